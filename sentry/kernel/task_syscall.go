package kernel

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Control errors a SyscallFn may return.
var (
	// ErrExited means the task is exiting: the registers must not be touched.
	ErrExited = errors.New("task exited")
	// ErrFullRestore means the syscall replaced the whole register state (execve,
	// rt_sigreturn): the return value must not be written to rax.
	ErrFullRestore = errors.New("registers replaced")
)

// doSyscall runs the syscall the task stopped at and stores its result.
func (t *Task) doSyscall() {
	sysno := t.regs.SyscallNo()
	args := t.regs.SyscallArgs()
	hook := t.k.strace
	if hook != nil {
		hook.Enter(t, sysno, args)
	}
	var (
		ret uintptr
		err error
	)
	if sysno < maxSyscall && syscallTable[sysno].Fn != nil {
		ret, err = syscallTable[sysno].Fn(t, args)
	} else {
		err = t.unimplemented(sysno)
	}
	switch err {
	case ErrExited:
		return
	case ErrFullRestore:
		if hook != nil {
			hook.Exit(t, sysno, args, 0, nil)
		}
		return
	}
	if hook != nil {
		hook.Exit(t, sysno, args, ret, err)
	}
	if err != nil {
		e := errnoOf(err)
		switch e {
		case ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
			// Settled at the delivery point: restarted, or EINTR for a handler.
			t.sig.restartErr = e
		}
		t.regs.SetReturn(uintptr(-int64(e)))
		return
	}
	t.regs.SetReturn(ret)
}

// unimplemented returns the errno for a syscall with no implementation, and logs the first
// call of each number.
func (t *Task) unimplemented(sysno uintptr) error {
	e := unix.ENOSYS
	name := "unknown"
	if sysno < maxSyscall {
		if syscallTable[sysno].Errno != 0 {
			e = syscallTable[sysno].Errno
		}
		if syscallTable[sysno].Name != "" {
			name = syscallTable[sysno].Name
		}
	}
	t.k.mu.Lock()
	first := !t.k.unimplLogged[sysno]
	t.k.unimplLogged[sysno] = true
	t.k.mu.Unlock()
	if first {
		t.k.Logf("unimplemented syscall %d (%s) from task %d: returning %v", sysno, name, t.tid.Load(), e)
	}
	return e
}

// errnoOf maps an error from a syscall implementation to an errno. Errors that are not
// errnos are bugs in the sentry; they become EIO rather than a crash, and are logged by the
// caller's strace if enabled.
func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EIO
}
