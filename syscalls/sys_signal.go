package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

const sigSetSize = 8

// RtSigaction implements Linux syscall rt_sigaction(2).
func RtSigaction(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	sig := int(args.Int(0))
	if args[3] != sigSetSize || !kernel.ValidSignal(sig) {
		return 0, unix.EINVAL
	}
	var newAct *linux.SigAction
	if p := args.Pointer(1); p != 0 {
		newAct = new(linux.SigAction)
		if err := copyInStruct(t, p, newAct); err != nil {
			return 0, err
		}
	}
	old, err := t.ThreadGroup().SetSigAction(sig, newAct)
	if err != nil {
		return 0, err
	}
	if p := args.Pointer(2); p != 0 {
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// RtSigprocmask implements Linux syscall rt_sigprocmask(2).
func RtSigprocmask(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args[3] != sigSetSize {
		return 0, unix.EINVAL
	}
	old := t.SigMask()
	if p := args.Pointer(1); p != 0 {
		var set uint64
		if err := copyInStruct(t, p, &set); err != nil {
			return 0, err
		}
		switch args.Int(0) {
		case unix.SIG_BLOCK:
			t.SetSigMask(old | set)
		case unix.SIG_UNBLOCK:
			t.SetSigMask(old &^ set)
		case unix.SIG_SETMASK:
			t.SetSigMask(set)
		default:
			return 0, unix.EINVAL
		}
	}
	if p := args.Pointer(2); p != 0 {
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// RtSigpending implements Linux syscall rt_sigpending(2).
func RtSigpending(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args[1] != sigSetSize {
		return 0, unix.EINVAL
	}
	p := t.PendingSignals() & t.SigMask()
	return 0, copyOutStruct(t, args.Pointer(0), &p)
}

// minSigStkSz is MINSIGSTKSZ: sigaltstack refuses smaller stacks.
const minSigStkSz = 2048

// Sigaltstack implements Linux syscall sigaltstack(2).
func Sigaltstack(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	sp := t.Regs().Stack()
	old := t.AltStack()
	onStack := t.OnAltStack(sp)
	if onStack {
		old.Flags |= linux.SS_ONSTACK
	}
	if p := args.Pointer(0); p != 0 {
		var ss linux.SigAltStack
		if err := copyInStruct(t, p, &ss); err != nil {
			return 0, err
		}
		if onStack {
			return 0, unix.EPERM
		}
		flags := uint32(ss.Flags)
		switch flags &^ linux.SS_AUTODISARM {
		case 0, linux.SS_ONSTACK:
			if ss.Size < minSigStkSz {
				return 0, unix.ENOMEM
			}
			ss.Flags = int32(flags & linux.SS_AUTODISARM)
		case linux.SS_DISABLE:
			ss = linux.SigAltStack{Flags: linux.SS_DISABLE}
		default:
			return 0, unix.EINVAL
		}
		t.SetAltStack(ss)
	}
	if p := args.Pointer(1); p != 0 {
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// signalTarget finds the thread tid (of process tgid, if tgid > 0) that tgkill, tkill and
// rt_tgsigqueueinfo signal. A zombie process's leader still counts as found, as on Linux,
// where it keeps its pid until reaped: its process is returned with a nil task, and a
// signal that passes the permission check is dropped.
func signalTarget(t *kernel.Task, tgid, tid int32) (*kernel.Task, *kernel.ThreadGroup, error) {
	if target := t.PIDNamespace().TaskWithID(tid); target != nil {
		if tgid > 0 && t.PIDNamespace().IDOfThreadGroup(target.ThreadGroup()) != tgid {
			return nil, nil, unix.ESRCH
		}
		return target, target.ThreadGroup(), nil
	}
	if tg := t.PIDNamespace().ThreadGroupWithID(tid); tg != nil && (tgid <= 0 || tgid == tid) {
		return nil, tg, nil
	}
	return nil, nil, unix.ESRCH
}

// Kill implements Linux syscall kill(2) for a process id, 0 (the caller's process group), -1
// (every process but init and the caller) and -pgid (a process group).
func Kill(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pid, sig := args.Int(0), int(args.Int(1))
	if sig != 0 && !kernel.ValidSignal(sig) {
		return 0, unix.EINVAL
	}
	// Zombies count as found (and ignore the signal), as on Linux.
	tgs, err := t.SignalTargets(pid)
	if err != nil {
		return 0, err
	}
	// A group signal fails with EPERM only if no member may be signalled.
	var targets []*kernel.Task
	allowed := false
	for _, tg := range tgs {
		if !t.ThreadGroup().MayKill(tg, sig) {
			continue
		}
		allowed = true
		if l := tg.Leader(); l != nil {
			targets = append(targets, l)
		}
	}
	if !allowed {
		return 0, unix.EPERM
	}
	if sig != 0 {
		info := userSignalInfo(t, sig, linux.SI_USER)
		for _, target := range targets {
			target.SendUserSignal(t.ThreadGroup(), info, true)
		}
	}
	return 0, nil
}

// Tgkill implements Linux syscall tgkill(2).
func Tgkill(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tgid, tid, sig := args.Int(0), args.Int(1), int(args.Int(2))
	if tgid <= 0 || tid <= 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return 0, unix.EINVAL
	}
	return threadKill(t, tgid, tid, sig)
}

// Tkill implements Linux syscall tkill(2).
func Tkill(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tid, sig := args.Int(0), int(args.Int(1))
	if tid <= 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return 0, unix.EINVAL
	}
	return threadKill(t, 0, tid, sig)
}

// threadKill sends sig (SI_TKILL) to thread tid of process tgid (any process if tgid is 0).
func threadKill(t *kernel.Task, tgid, tid int32, sig int) (uintptr, error) {
	target, tg, err := signalTarget(t, tgid, tid)
	if err != nil {
		return 0, err
	}
	if !t.ThreadGroup().MayKill(tg, sig) {
		return 0, unix.EPERM
	}
	if sig == 0 || target == nil {
		return 0, nil
	}
	return 0, target.SendUserSignal(t.ThreadGroup(), userSignalInfo(t, sig, linux.SI_TKILL), false)
}

// userSignalInfo is the siginfo of a signal sent by t with kill(2) (SI_USER) or
// tkill/tgkill (SI_TKILL): the sender's pid (in its own pid namespace, as Linux's
// task_tgid_vnr; SendUserSignal hides it from a namespace it is not in) and real uid.
func userSignalInfo(t *kernel.Task, sig int, code int32) *linux.SignalInfo {
	info := &linux.SignalInfo{Signo: int32(sig), Code: code}
	info.SetPID(t.ProcessID())
	info.SetUID(t.ThreadGroup().Creds().RealUID)
	return info
}

// RtSigreturn implements Linux syscall rt_sigreturn(2).
func RtSigreturn(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.SignalReturn()
}

// RestartSyscall implements Linux syscall restart_syscall(2).
func RestartSyscall(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return t.RestartSyscall()
}

// waitForSignal blocks until a signal the task can act on is pending, and returns
// ERESTARTNOHAND: the syscall fails with EINTR once a handler has run, and is restarted
// if none did.
func waitForSignal(t *kernel.Task) error {
	for {
		err := t.BlockOn(nil, time.Time{})
		if err == kernel.ERESTARTSYS {
			return kernel.ERESTARTNOHAND
		}
		if err != nil {
			return err
		}
	}
}

// Pause implements Linux syscall pause(2).
func Pause(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, waitForSignal(t)
}

// RtSigsuspend implements Linux syscall rt_sigsuspend(2): it waits with a temporary mask,
// which the handler's frame records as the mask to restore.
func RtSigsuspend(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args[1] != sigSetSize {
		return 0, unix.EINVAL
	}
	var mask uint64
	if err := copyInStruct(t, args.Pointer(0), &mask); err != nil {
		return 0, err
	}
	t.SetSavedSigMask(mask)
	return 0, waitForSignal(t)
}

// RtSigtimedwait implements Linux syscall rt_sigtimedwait(2).
func RtSigtimedwait(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args[3] != sigSetSize {
		return 0, unix.EINVAL
	}
	var set uint64
	if err := copyInStruct(t, args.Pointer(0), &set); err != nil {
		return 0, err
	}
	set &^= 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)
	var deadline time.Time
	poll := false
	if p := args.Pointer(2); p != 0 {
		ts, err := readTimespec(t, p)
		if err != nil {
			return 0, err
		}
		d := time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec)
		poll = d == 0
		deadline = time.Now().Add(d)
	}
	info := t.DequeueSignal(set)
	if info == nil {
		if poll {
			return 0, unix.EAGAIN
		}
		// Wait with the awaited signals unblocked, so that sending one interrupts the wait
		// (a process-directed one picks this thread); no handler can run meanwhile, since
		// handlers run only at the delivery point after the syscall.
		mask := t.SigMask()
		t.SetSigMask(mask &^ set)
		err := t.BlockOn(nil, deadline)
		t.SetSigMask(mask)
		info = t.DequeueSignal(set)
		if info == nil {
			switch err {
			case unix.ETIMEDOUT:
				return 0, unix.EAGAIN
			case nil, kernel.ERESTARTSYS:
				return 0, unix.EINTR
			default:
				return 0, err
			}
		}
	}
	if p := args.Pointer(1); p != 0 {
		if err := copyOutStruct(t, p, info); err != nil {
			return 0, err
		}
	}
	return uintptr(info.Signo), nil
}

// queuedSignalInfo reads the siginfo of rt_sigqueueinfo and rt_tgsigqueueinfo. Unless the
// target id is the caller's own thread id (as Linux compares), si_code must be negative and not SI_TKILL: an application
// may not pretend to be the kernel or kill(2).
func queuedSignalInfo(t *kernel.Task, sig int, addr uintptr, self bool) (*linux.SignalInfo, error) {
	info := new(linux.SignalInfo)
	if err := copyInStruct(t, addr, info); err != nil {
		return nil, err
	}
	if !self && (info.Code >= 0 || info.Code == linux.SI_TKILL) {
		return nil, unix.EPERM
	}
	info.Signo = int32(sig)
	return info, nil
}

// RtSigqueueinfo implements Linux syscall rt_sigqueueinfo(2).
func RtSigqueueinfo(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pid, sig := args.Int(0), int(args.Int(1))
	if sig != 0 && !kernel.ValidSignal(sig) {
		return 0, unix.EINVAL
	}
	var tg *kernel.ThreadGroup
	if pid > 0 {
		tg = t.PIDNamespace().ThreadGroupWithID(pid)
	}
	if tg == nil {
		return 0, unix.ESRCH
	}
	if !t.ThreadGroup().MayKill(tg, sig) {
		return 0, unix.EPERM
	}
	info, err := queuedSignalInfo(t, sig, args.Pointer(2), t.ThreadID() == pid)
	if err != nil || sig == 0 {
		return 0, err
	}
	if target := tg.Leader(); target != nil && tg.Alive() {
		return 0, target.SendUserSignal(t.ThreadGroup(), info, true)
	}
	return 0, nil
}

// RtTgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2).
func RtTgsigqueueinfo(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tgid, tid, sig := args.Int(0), args.Int(1), int(args.Int(2))
	if tgid <= 0 || tid <= 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return 0, unix.EINVAL
	}
	target, tg, err := signalTarget(t, tgid, tid)
	if err != nil {
		return 0, err
	}
	if !t.ThreadGroup().MayKill(tg, sig) {
		return 0, unix.EPERM
	}
	info, err := queuedSignalInfo(t, sig, args.Pointer(3), target == t)
	if err != nil || sig == 0 || target == nil {
		return 0, err
	}
	return 0, target.SendUserSignal(t.ThreadGroup(), info, false)
}
