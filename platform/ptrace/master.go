package ptrace

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
)

// master is the stub process from which every address space is forked. It is created once
// per platform by a dedicated goroutine that owns its OS thread for the platform's whole
// life: that thread is the master's tracer, and the master's PR_SET_PDEATHSIG is tied to it.
type master struct {
	t        thread
	requests chan chan forkResult
	// stopped is closed when the master stub has been shut down.
	stopped chan struct{}
}

type forkResult struct {
	tid int
	err error
}

// startMaster creates the master stub and the goroutine that serves fork requests.
func startMaster() (*master, error) {
	m := &master{requests: make(chan chan forkResult), stopped: make(chan struct{})}
	ready := make(chan error)
	go m.run(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return m, nil
}

func (m *master) run(ready chan<- error) {
	// Never unlocked: the OS thread must outlive the master stub.
	runtime.LockOSThread()
	if err := m.create(); err != nil {
		if m.t.tid != 0 {
			m.t.kill(true)
		}
		ready <- fmt.Errorf("creating ptrace stub: %w", err)
		return
	}
	ready <- nil
	defer close(m.stopped)
	for reply := range m.requests {
		if reply == nil {
			m.shutdown()
			return
		}
		tid, err := m.t.syscall(stubClone, unix.SYS_CLONE, nil, cloneAddressSpace, 0, 0, 0, 0)
		if err == nil && int64(tid) < 0 {
			err = fmt.Errorf("clone in master stub: %w", syscall.Errno(-int64(tid)))
		}
		reply <- forkResult{int(tid), err}
	}
}

// shutdown waits until every stub forked from the master has died, then kills and reaps the
// master. Because the master ignores SIGCHLD, a wait4 injected into it blocks until all of its
// children are gone and then fails with ECHILD: no stub is left as a zombie for the host's
// init to reap (which, in a container, may never happen).
func (m *master) shutdown() {
	m.t.syscall(stubInject, unix.SYS_WAIT4, nil, ^uintptr(0), 0, unix.WALL, 0)
	m.t.kill(true)
}

// stop shuts the master down, waiting at most timeout for stubs still dying.
func (m *master) stop(timeout time.Duration) {
	select {
	case m.requests <- nil:
	case <-m.stopped:
		return
	}
	select {
	case <-m.stopped:
	case <-time.After(timeout):
	}
}

// fork returns the tid of a new stub process, untraced, waiting to be seized.
func (m *master) fork() (int, error) {
	reply := make(chan forkResult, 1)
	m.requests <- reply
	r := <-reply
	return r.tid, r.err
}

// create clones the master from this thread and strips it down to the stub pages.
func (m *master) create() error {
	pid, errno := rawCloneMaster()
	if errno != 0 {
		return fmt.Errorf("clone: %w", errno)
	}
	m.t = thread{tid: pid, tracer: unix.Gettid(), cpu: -1}
	t := &m.t
	status, err := t.wait()
	if err != nil {
		return err
	}
	if !status.Stopped() || status.StopSignal() != syscall.SIGSTOP {
		return fmt.Errorf("master stub stopped unexpectedly (status %#x)", uint32(status))
	}
	if e := ptrace(unix.PTRACE_SETOPTIONS, pid, 0, ptraceOptions); e != 0 {
		return fmt.Errorf("PTRACE_SETOPTIONS: %w", e)
	}
	// The master, and every stub forked from it, get a process group of their own: the
	// signals a terminal sends runsc's process group (SIGWINCH on a resize, SIGINT, SIGHUP)
	// must not reach them. A traced stub reports even a signal it ignores, which breaks a
	// syscall being injected, and an untraced spare dies of SIGINT.
	if err := unix.Setpgid(pid, pid); err != nil {
		return fmt.Errorf("setpgid of the master stub: %w", err)
	}
	// The master stopped on return from kill(2): the two bytes before its instruction
	// pointer are a syscall instruction, which we borrow to map the stub pages.
	var regs arch.Registers
	if err := t.getRegs(&regs); err != nil {
		return err
	}
	sysInsn := uintptr(regs.Rip) - 2
	word, err := peek(pid, sysInsn)
	if err != nil {
		return err
	}
	if word&0xffff != 0x050f {
		return fmt.Errorf("master stub stopped at %#x, not after a syscall instruction", regs.Rip)
	}
	// A libc (in a cgo build) registers an rseq area for each thread, and the clone
	// inherited it: once that memory is unmapped, every return to user mode would fail to
	// update it and force a SIGSEGV. Unregister it while it is still mapped.
	if err := unregisterRseq(t, regs, sysInsn); err != nil {
		return err
	}
	ret, err := syscallViaStops(t, regs, sysInsn, unix.SYS_MMAP, stubStart, stubEnd-stubStart,
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, ^uintptr(0), 0)
	if err != nil {
		return err
	}
	if ret != stubStart {
		return fmt.Errorf("mapping stub pages: mmap returned %#x", ret)
	}
	if err := poke(pid, stubCode, stubCodeBytes); err != nil {
		return err
	}
	// The stub code page must be executable before it can run anything, so this too goes
	// through the borrowed syscall instruction.
	ret, err = syscallViaStops(t, regs, sysInsn, unix.SYS_MPROTECT, stubCode, 0x1000, unix.PROT_READ|unix.PROT_EXEC)
	if err != nil {
		return err
	}
	if ret != 0 {
		return fmt.Errorf("protecting stub code: mprotect returned %d", int64(ret))
	}
	// From here on the stub code does the work.
	steps := []struct {
		what string
		nr   uintptr
		args []uintptr
	}{
		{"unmapping below stub", unix.SYS_MUNMAP, []uintptr{0, stubStart}},
		{"unmapping above stub", unix.SYS_MUNMAP, []uintptr{stubEnd, taskSize - stubEnd}},
	}
	for _, s := range steps {
		if _, err := t.syscallErr(s.nr, nil, s.args...); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	// Ignore SIGCHLD so that dead stubs are reaped automatically. The other dispositions
	// are left as inherited: every signal a traced stub thread receives stops it for its
	// tracer before any handler could run, and untraced spares receive none. (Resetting all
	// 64 took 63 more injections: a millisecond of every sandbox's start-up.)
	act := make([]byte, 32)                   // struct sigaction: handler, flags, restorer, mask
	binary.LittleEndian.PutUint64(act[0:], 1) // SIG_IGN
	if err := poke(pid, stubData, act); err != nil {
		return err
	}
	if _, err := t.syscallErr(unix.SYS_RT_SIGACTION, nil, uintptr(syscall.SIGCHLD), stubData, 0, 8); err != nil {
		return fmt.Errorf("ignoring SIGCHLD: %w", err)
	}
	// Unblock every signal.
	clear(act[:8])
	if err := poke(pid, stubData, act[:8]); err != nil {
		return err
	}
	if _, err := t.syscallErr(unix.SYS_RT_SIGPROCMASK, nil, unix.SIG_SETMASK, stubData, 0, 8); err != nil {
		return fmt.Errorf("unblocking signals: %w", err)
	}
	return nil
}

// syscallViaStops runs one syscall at the syscall instruction sysInsn using syscall-entry and
// syscall-exit stops, for use before the stub code exists.
func syscallViaStops(t *thread, regs arch.Registers, sysInsn uintptr, nr uintptr, args ...uintptr) (uintptr, error) {
	regs.Rip = uint64(sysInsn)
	regs.Rax = uint64(nr)
	regs.Orig_rax = ^uint64(0)
	var a [6]uintptr
	copy(a[:], args)
	regs.Rdi, regs.Rsi, regs.Rdx, regs.R10, regs.R8, regs.R9 = uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]), uint64(a[5])
	if err := t.setRegs(&regs); err != nil {
		return 0, err
	}
	// A signal sent to runsc's process group before the master moved to a group of its own
	// (setpgid above), such as SIGWINCH from a terminal being resized, is still pending and
	// stops it on the way: such asynchronous signals are suppressed (resuming with signal
	// 0), as the stub-code path does; faults mean the borrowed code is broken.
	for stop, suppressed := 0, 0; stop < 2; { // entry, then exit
		if e := ptrace(unix.PTRACE_SYSCALL, t.tid, 0, 0); e != 0 {
			return 0, fmt.Errorf("PTRACE_SYSCALL: %w", e)
		}
		status, err := t.wait()
		if err != nil {
			return 0, err
		}
		if status.Stopped() && status.StopSignal() == syscall.SIGTRAP|0x80 {
			stop++
			continue
		}
		if status.Stopped() && suppressed < 64 {
			switch status.StopSignal() {
			case syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGILL, syscall.SIGFPE, syscall.SIGTRAP:
			default:
				suppressed++
				continue
			}
		}
		return 0, fmt.Errorf("unexpected stop %#x injecting syscall %d", uint32(status), nr)
	}
	if err := t.getRegs(&regs); err != nil {
		return 0, err
	}
	return uintptr(regs.Rax), nil
}

// ptraceGetRseqConfiguration is PTRACE_GET_RSEQ_CONFIGURATION (Linux 5.13).
const ptraceGetRseqConfiguration = 0x420f

// rseqConfiguration is struct ptrace_rseq_configuration.
type rseqConfiguration struct {
	abiPointer uint64
	abiSize    uint32
	signature  uint32
	flags      uint32
	_          uint32
}

// unregisterRseq removes the master's inherited rseq registration, if any. Unregistering
// needs the registered address and signature, which only the tracer can read.
func unregisterRseq(t *thread, regs arch.Registers, sysInsn uintptr) error {
	var conf rseqConfiguration
	if e := ptrace(ptraceGetRseqConfiguration, t.tid, unsafe.Sizeof(conf), uintptr(unsafe.Pointer(&conf))); e != 0 {
		// Kernels before 5.13 cannot say; a Go runtime without cgo registers nothing.
		return nil
	}
	if conf.abiPointer == 0 {
		return nil
	}
	const rseqFlagUnregister = 1
	ret, err := syscallViaStops(t, regs, sysInsn, unix.SYS_RSEQ, uintptr(conf.abiPointer), uintptr(conf.abiSize), rseqFlagUnregister, uintptr(conf.signature))
	if err != nil {
		return err
	}
	if ret != 0 {
		return fmt.Errorf("unregistering the inherited rseq area: %w", syscall.Errno(-int64(ret)))
	}
	return nil
}

func peek(pid int, addr uintptr) (uint64, error) {
	var word uint64
	if e := ptrace(unix.PTRACE_PEEKDATA, pid, addr, uintptr(unsafe.Pointer(&word))); e != 0 {
		return 0, fmt.Errorf("PTRACE_PEEKDATA at %#x: %w", addr, e)
	}
	return word, nil
}

// poke writes b (padded to whole words with what is already there) at addr in pid.
func poke(pid int, addr uintptr, b []byte) error {
	for off := 0; off < len(b); off += 8 {
		var word [8]byte
		if len(b)-off < 8 {
			w, err := peek(pid, addr+uintptr(off))
			if err != nil {
				return err
			}
			binary.LittleEndian.PutUint64(word[:], w)
		}
		copy(word[:], b[off:])
		if e := ptrace(unix.PTRACE_POKEDATA, pid, addr+uintptr(off), uintptr(binary.LittleEndian.Uint64(word[:]))); e != 0 {
			return fmt.Errorf("PTRACE_POKEDATA at %#x: %w", addr+uintptr(off), e)
		}
	}
	return nil
}
