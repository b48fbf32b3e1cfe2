// Package confine confines runsc's own processes: a small seccomp-BPF assembler (no cgo, no
// libseccomp), the allow-lists of the sandbox process (`runsc boot`) and of the gofer, and
// the steps that install them (no_new_privs, capabilities, pivot_root). docs/security.md
// describes what is allowed and why.
package confine

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Action is a seccomp filter return value (SECCOMP_RET_*).
type Action uint32

// Seccomp actions.
const (
	ActKillProcess Action = 0x80000000
	ActKillThread  Action = 0x00000000
	ActTrap        Action = 0x00030000
	ActErrnoBase   Action = 0x00050000
	ActLog         Action = 0x7ffc0000
	ActAllow       Action = 0x7fff0000
)

// ActErrno fails the syscall with e instead of running it.
func ActErrno(e unix.Errno) Action { return ActErrnoBase | Action(uint32(e)&0xffff) }

// auditArchX86_64 is AUDIT_ARCH_X86_64; x32Bit marks x32 syscall numbers.
const (
	auditArchX86_64 = 0xc000003e
	x32Bit          = 0x40000000
)

// Offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// Classic BPF opcodes used here.
const (
	bpfLdWAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfAndK   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	bpfJa     = unix.BPF_JMP | unix.BPF_JA
	bpfJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfRetK   = unix.BPF_RET | unix.BPF_K
)

// ArgCheck holds when args[Arg] & Mask == Value (Mask 0 means all 64 bits).
type ArgCheck struct {
	Arg   int
	Mask  uint64
	Value uint64
}

// Eq is the check args[arg] == v.
func Eq(arg int, v uint64) ArgCheck { return ArgCheck{Arg: arg, Value: v} }

// Eq32 is the check (uint32)args[arg] == v, for int arguments (the upper half of the
// register is unspecified for a 32-bit argument).
func Eq32(arg int, v uint32) ArgCheck { return ArgCheck{Arg: arg, Mask: 0xffffffff, Value: uint64(v)} }

// MaskedEq is the check args[arg] & mask == v.
func MaskedEq(arg int, mask, v uint64) ArgCheck { return ArgCheck{Arg: arg, Mask: mask, Value: v} }

// Rule applies Action (zero: ActAllow) to syscall Nr when one of the alternatives in Match
// holds (each alternative: all of its checks hold), or always when Match is empty. A
// syscall whose rule does not match gets the filter's default action.
type Rule struct {
	Nr     uintptr
	Match  [][]ArgCheck
	Action Action
}

// Allow is an unconditional rule.
func Allow(nr uintptr) Rule { return Rule{Nr: nr} }

// AllowIf allows nr when any one of alts holds.
func AllowIf(nr uintptr, alts ...[]ArgCheck) Rule { return Rule{Nr: nr, Match: alts} }

// One is a single alternative made of checks.
func One(checks ...ArgCheck) []ArgCheck { return checks }

// insn is an instruction under construction: a jump to a label is resolved by Assemble.
type insn struct {
	unix.SockFilter
	label  int // for bpfJa: the target label; -1 otherwise
	target int // for a label pseudo-instruction (code 0xffff): its id
}

type asm struct {
	prog   []insn
	labels int
}

func (a *asm) emit(code uint16, jt, jf uint8, k uint32) {
	a.prog = append(a.prog, insn{SockFilter: unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}, label: -1})
}
func (a *asm) newLabel() int { a.labels++; return a.labels }
func (a *asm) jump(label int) {
	a.prog = append(a.prog, insn{SockFilter: unix.SockFilter{Code: bpfJa}, label: label})
}
func (a *asm) place(label int) {
	a.prog = append(a.prog, insn{SockFilter: unix.SockFilter{Code: 0xffff}, label: -1, target: label})
}
func (a *asm) ret(act Action)       { a.emit(bpfRetK, 0, 0, uint32(act)) }
func (a *asm) load(off uint32)      { a.emit(bpfLdWAbs, 0, 0, off) }
func (a *asm) skipIfEq(k uint32)    { a.emit(bpfJeqK, 1, 0, k) } // equal: skip the next insn
func (a *asm) skipIfNotEq(k uint32) { a.emit(bpfJeqK, 0, 1, k) } // not equal: skip the next insn

// Assemble builds the filter: the architecture check (anything but x86-64, and x32 syscall
// numbers, is killed), then each rule in order (put the hottest syscalls first: the search
// is linear), then def for everything else.
func Assemble(rules []Rule, def Action) ([]unix.SockFilter, error) {
	var a asm
	kill := a.newLabel()
	a.load(offArch)
	a.skipIfEq(auditArchX86_64)
	a.jump(kill)
	a.load(offNr)
	a.emit(bpfJgeK, 0, 1, x32Bit)
	a.jump(kill)
	seen := map[uintptr]bool{}
	for _, r := range rules {
		if seen[r.Nr] {
			return nil, fmt.Errorf("syscall %d has two rules", r.Nr)
		}
		seen[r.Nr] = true
		act := r.Action
		if act == 0 { // the zero value (which is also ActKillThread) means allow
			act = ActAllow
		}
		next := a.newLabel()
		a.skipIfEq(uint32(r.Nr))
		a.jump(next)
		if len(r.Match) == 0 {
			a.ret(act)
		}
		for _, alt := range r.Match {
			nextAlt := a.newLabel()
			for _, c := range alt {
				if c.Arg < 0 || c.Arg > 5 {
					return nil, fmt.Errorf("syscall %d: argument %d", r.Nr, c.Arg)
				}
				mask := c.Mask
				if mask == 0 {
					mask = ^uint64(0)
				}
				if c.Value&^mask != 0 {
					return nil, fmt.Errorf("syscall %d: value %#x has bits outside mask %#x", r.Nr, c.Value, mask)
				}
				for half := 0; half < 2; half++ { // low word, then high word
					m, v := uint32(mask>>(32*half)), uint32(c.Value>>(32*half))
					if m == 0 {
						continue
					}
					a.load(uint32(offArgs + 8*c.Arg + 4*half))
					if m != 0xffffffff {
						a.emit(bpfAndK, 0, 0, m)
					}
					a.skipIfEq(v)
					a.jump(nextAlt)
				}
			}
			a.ret(act)
			a.place(nextAlt)
		}
		if len(r.Match) > 0 {
			a.ret(def) // no alternative held
		}
		// Only the number check jumps here, with A still holding the number.
		a.place(next)
	}
	a.ret(def)
	a.place(kill)
	a.ret(ActKillProcess)
	return a.resolve()
}

// resolve removes the label pseudo-instructions and fills in jump offsets.
func (a *asm) resolve() ([]unix.SockFilter, error) {
	pos := map[int]int{}
	n := 0
	for _, in := range a.prog {
		if in.Code == 0xffff {
			pos[in.target] = n
			continue
		}
		n++
	}
	if n > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("filter has %d instructions, more than %d", n, unix.BPF_MAXINSNS)
	}
	out := make([]unix.SockFilter, 0, n)
	for _, in := range a.prog {
		if in.Code == 0xffff {
			continue
		}
		f := in.SockFilter
		if in.label >= 0 {
			p, ok := pos[in.label]
			if !ok {
				return nil, fmt.Errorf("unplaced label %d", in.label)
			}
			f.K = uint32(p - len(out) - 1)
		}
		out = append(out, f)
	}
	return out, nil
}

// SeccompData is struct seccomp_data, for tests and for Run.
type SeccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

func (d *SeccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.IP)
	for i, v := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], v)
	}
	return b
}

// Run interprets prog on d as the kernel would (for the instructions Assemble emits) and
// returns the action. It exists to test filters without installing them.
func Run(prog []unix.SockFilter, d SeccompData) (Action, error) {
	data := d.bytes()
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case bpfLdWAbs:
			if in.K%4 != 0 || int(in.K)+4 > len(data) {
				return 0, fmt.Errorf("pc %d: bad load offset %d", pc, in.K)
			}
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case bpfAndK:
			acc &= in.K
		case bpfJa:
			pc += int(in.K)
		case bpfJeqK, bpfJgeK:
			cond := acc == in.K
			if in.Code == bpfJgeK {
				cond = acc >= in.K
			}
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfRetK:
			return Action(in.K), nil
		default:
			return 0, fmt.Errorf("pc %d: unsupported opcode %#x", pc, in.Code)
		}
	}
	return 0, fmt.Errorf("fell off the end of the program")
}
