// Package arch describes the x86-64 machine state of an application thread as the sentry
// sees it: general registers, and the syscall calling convention over them.
//
// The platform fills Registers when an application thread stops (a syscall, a fault) and
// loads them when it resumes; the kernel reads arguments and writes results through the
// accessors here, so that no other package needs to know which register holds what.
package arch

import "golang.org/x/sys/unix"

// Registers is the general-purpose register file of an x86-64 thread, in the layout of the
// kernel's struct user_regs_struct (what PTRACE_GETREGS transfers).
type Registers struct {
	unix.PtraceRegs
}

// SyscallNo returns the number of the syscall the thread is making.
func (r *Registers) SyscallNo() uintptr { return uintptr(r.Orig_rax) }

// SyscallArgs returns the six syscall arguments (rdi, rsi, rdx, r10, r8, r9).
func (r *Registers) SyscallArgs() SyscallArguments {
	return SyscallArguments{
		uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx),
		uintptr(r.R10), uintptr(r.R8), uintptr(r.R9),
	}
}

// SetReturn sets the value the syscall returns (rax). Errors are negative errnos.
func (r *Registers) SetReturn(v uintptr) { r.Rax = uint64(v) }

// Return is the syscall return value last set.
func (r *Registers) Return() uintptr { return uintptr(r.Rax) }

// IP is the instruction pointer.
func (r *Registers) IP() uintptr { return uintptr(r.Rip) }

// SetIP sets the instruction pointer.
func (r *Registers) SetIP(v uintptr) { r.Rip = uint64(v) }

// Stack is the stack pointer.
func (r *Registers) Stack() uintptr { return uintptr(r.Rsp) }

// SetStack sets the stack pointer.
func (r *Registers) SetStack(v uintptr) { r.Rsp = uint64(v) }

// TLS is the FS base, the thread pointer of the x86-64 TLS ABI.
func (r *Registers) TLS() uintptr { return uintptr(r.Fs_base) }

// SetTLS sets the FS base.
func (r *Registers) SetTLS(v uintptr) { r.Fs_base = uint64(v) }

// User-mode segment selectors on x86-64 Linux.
const (
	userCS = 0x33
	userSS = 0x2b
)

// InitialRegisters returns the register state of a thread about to run a fresh program at
// entry with the given stack pointer: everything zero but what the ABI defines.
func InitialRegisters(entry, stack uintptr) Registers {
	var r Registers
	r.Rip = uint64(entry)
	r.Rsp = uint64(stack)
	r.Cs = userCS
	r.Ss = userSS
	r.Eflags = 0x202 // IF, and the reserved bit 1.
	r.Orig_rax = ^uint64(0)
	return r
}

// SyscallArguments are the raw arguments of one syscall.
type SyscallArguments [6]uintptr

// Int returns argument i as a C int.
func (a *SyscallArguments) Int(i int) int32 { return int32(a[i]) }

// Uint returns argument i as a C unsigned int.
func (a *SyscallArguments) Uint(i int) uint32 { return uint32(a[i]) }

// Int64 returns argument i as a 64-bit signed value.
func (a *SyscallArguments) Int64(i int) int64 { return int64(a[i]) }

// Pointer returns argument i as a user address.
func (a *SyscallArguments) Pointer(i int) uintptr { return a[i] }
