package ptrace

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
)

// ptrace requests and options not named by x/sys/unix.
const (
	ptraceSysemu     = 31 // PTRACE_SYSEMU
	ptraceEventStop  = 128
	syscallStopSig   = int(syscall.SIGTRAP) | 0x80 // with PTRACE_O_TRACESYSGOOD
	ptraceOptions    = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACESYSGOOD
	waitFlags        = unix.WALL | unix.WNOTHREAD
	interruptSignal  = syscall.SIGUSR2
	siginfoAddrOff   = 16 // offset of si_addr in siginfo_t for fault signals
	siginfoCodeOff   = 8
	siginfoSignoOff  = 0
	siginfoStructLen = 128
)

// thread is one stub thread: a host process sharing its address space's mm, traced by exactly
// one sentry OS thread (the one that seized it). Every method must be called from that OS
// thread.
type thread struct {
	tid int
	// tracer is the host tid of the OS thread that traces this thread.
	tracer int
	// dead is set once the host thread is known to have exited.
	dead bool
	// injRegs is scratch space for injected syscalls, kept here so injection does not
	// allocate.
	injRegs arch.Registers
	siginfo [siginfoStructLen]byte
	// name is the comm last given to the host thread (setName).
	name string
	// cpu is the CPU the thread is bound to, or -1.
	cpu     int
	cpuMask unix.CPUSet
}

// bindToCurrentCPU pins the stub thread to the CPU its tracer is running on. A syscall round
// trip is two context switches between tracer and stub; on the same CPU each is a direct
// switch, on different CPUs each needs a cross-CPU wake-up, which costs ~4x more (far more in
// a VM, where an IPI exits to the hypervisor). The tracer itself is not pinned: when the host
// migrates it, the stub follows at the next switch.
func (t *thread) bindToCurrentCPU() {
	var cpu uint32
	if _, _, e := syscall.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); e != 0 {
		return
	}
	if int(cpu) == t.cpu {
		return
	}
	t.cpuMask.Zero()
	t.cpuMask.Set(int(cpu))
	if _, _, e := syscall.RawSyscall(unix.SYS_SCHED_SETAFFINITY, uintptr(t.tid), unsafe.Sizeof(t.cpuMask), uintptr(unsafe.Pointer(&t.cpuMask))); e != 0 {
		t.cpu = -1
		return
	}
	t.cpu = int(cpu)
}

func ptrace(req int, pid int, addr, data uintptr) syscall.Errno {
	_, _, e := syscall.RawSyscall6(syscall.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	return e
}

func (t *thread) getRegs(regs *arch.Registers) error {
	if e := ptrace(unix.PTRACE_GETREGS, t.tid, 0, uintptr(unsafe.Pointer(&regs.PtraceRegs))); e != 0 {
		return fmt.Errorf("PTRACE_GETREGS of stub thread %d: %w", t.tid, e)
	}
	return nil
}

func (t *thread) setRegs(regs *arch.Registers) error {
	if e := ptrace(unix.PTRACE_SETREGS, t.tid, 0, uintptr(unsafe.Pointer(&regs.PtraceRegs))); e != 0 {
		return fmt.Errorf("PTRACE_SETREGS of stub thread %d: %w", t.tid, e)
	}
	return nil
}

// wait waits for the next stop of t and returns its raw status. It fails if the thread died.
func (t *thread) wait() (unix.WaitStatus, error) {
	var status unix.WaitStatus
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAIT4, uintptr(t.tid), uintptr(unsafe.Pointer(&status)), waitFlags, 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, fmt.Errorf("wait4 on stub thread %d: %w", t.tid, e)
		}
		break
	}
	if status.Exited() || status.Signaled() {
		t.dead = true
		return status, fmt.Errorf("stub thread %d died (status %#x)", t.tid, uint32(status))
	}
	return status, nil
}

// seize attaches to an untraced stub thread waiting in the stub's pause loop and stops it.
func (t *thread) seize() error {
	if e := ptrace(unix.PTRACE_SEIZE, t.tid, 0, ptraceOptions); e != 0 {
		return fmt.Errorf("PTRACE_SEIZE of stub thread %d: %w", t.tid, e)
	}
	if e := ptrace(unix.PTRACE_INTERRUPT, t.tid, 0, 0); e != 0 {
		return fmt.Errorf("PTRACE_INTERRUPT of stub thread %d: %w", t.tid, e)
	}
	for {
		status, err := t.wait()
		if err != nil {
			return err
		}
		if status.Stopped() && int(status)>>16 == ptraceEventStop {
			return nil
		}
		// Some other stop (a stray signal) came first: suppress it and keep waiting for the
		// interrupt stop.
		if e := ptrace(unix.PTRACE_CONT, t.tid, 0, 0); e != 0 {
			return fmt.Errorf("resuming stub thread %d: %w", t.tid, e)
		}
	}
}

// syscall runs one host syscall in t's address space and returns its raw result (negative
// errno on failure). t must be stopped. t's registers are clobbered; callers that resume
// application code always load the application's registers first.
//
// interrupted is set if an interrupt signal arrived meanwhile, so that the caller can report
// it instead of losing it.
func (t *thread) syscall(entry uintptr, sysno uintptr, interrupted *bool, args ...uintptr) (uintptr, error) {
	r := &t.injRegs
	*r = arch.InitialRegisters(entry, stubEnd)
	r.Rax = uint64(sysno)
	var a [6]uintptr
	copy(a[:], args)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]), uint64(a[5])
	if err := t.setRegs(r); err != nil {
		return 0, err
	}
	for {
		if e := ptrace(unix.PTRACE_CONT, t.tid, 0, 0); e != 0 {
			return 0, fmt.Errorf("resuming stub thread %d for syscall %d: %w", t.tid, sysno, e)
		}
		status, err := t.wait()
		if err != nil {
			return 0, err
		}
		if status.Stopped() && status.StopSignal() == syscall.SIGTRAP {
			break
		}
		if status.Stopped() && status.StopSignal() == interruptSignal && interrupted != nil {
			*interrupted = true
		}
		if status.Stopped() {
			switch status.StopSignal() {
			case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE:
				// Resuming would fault again forever: the stub itself is broken.
				return 0, fmt.Errorf("stub thread %d faulted (%v) running injected syscall %d", t.tid, status.StopSignal(), sysno)
			}
		}
		// Any other stop is suppressed; the injected syscall continues.
	}
	if err := t.getRegs(r); err != nil {
		return 0, err
	}
	if want := trapAddr(entry); r.Rip != uint64(want) {
		return 0, fmt.Errorf("stub thread %d trapped at %#x after injected syscall %d", t.tid, r.Rip, sysno)
	}
	return uintptr(r.Rax), nil
}

// trapAddr is where the int3 that follows the syscall at entry leaves the instruction pointer.
func trapAddr(entry uintptr) uintptr {
	if entry == stubClone {
		return stubCloneTrap
	}
	return entry + 3 // syscall, int3
}

// syscallErr is syscall for calls whose only interesting result is success or an errno.
func (t *thread) syscallErr(sysno uintptr, interrupted *bool, args ...uintptr) (uintptr, error) {
	ret, err := t.syscall(stubInject, sysno, interrupted, args...)
	if err != nil {
		return 0, err
	}
	if e := int64(ret); e < 0 && e > -4096 {
		return 0, syscall.Errno(-e)
	}
	return ret, nil
}

// kill kills the host thread. If this OS thread traces it, the corpse is also waited for
// so that it does not linger as a traced zombie.
func (t *thread) kill(reap bool) {
	if t.dead {
		return
	}
	syscall.Kill(t.tid, syscall.SIGKILL)
	if reap {
		var status unix.WaitStatus
		for {
			_, err := unix.Wait4(t.tid, &status, waitFlags, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil || status.Exited() || status.Signaled() {
				break
			}
		}
	}
	t.dead = true
}

// setName sets the stub thread's host command name (comm) with an injected
// prctl(PR_SET_NAME), so that the host's ps shows the application's name rather than the
// sentry's. The name is passed in a 16-byte slot of the stub data page chosen by tid, so
// that threads of one address space renamed at once by their tracers rarely share one (a
// clash only gives one of them the other's name). Failure is not an error for the caller:
// the name is cosmetic.
func (t *thread) setName(name string) {
	t.name = name
	var b [16]byte
	copy(b[:15], name)
	addr := stubData + nameSlots + uintptr(t.tid%nameSlotCount)*16
	if poke(t.tid, addr, b[:]) != nil {
		return
	}
	t.syscallErr(unix.SYS_PRCTL, nil, unix.PR_SET_NAME, addr)
}

// The stub data page's upper half holds setName's slots; the lower half is the master's.
const (
	nameSlots     = 0x800
	nameSlotCount = 0x800 / 16
)
