package syscalls

import (
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

const (
	ssOnStack    = 1
	ssDisable    = 2
	ssAutoDisarm = 1 << 31
	minSigStkSz  = 2048
)

// Sigaltstack implements Linux syscall sigaltstack(2).
func Sigaltstack(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	old := t.AltStack()
	if old.Size == 0 && old.Addr == 0 {
		old.Flags = ssDisable
	}
	if p := args.Pointer(0); p != 0 {
		var ss linux.SigAltStack
		if err := copyInStruct(t, p, &ss); err != nil {
			return 0, err
		}
		// A signal handler never runs in this milestone, so the task is never on the
		// alternate stack and EPERM (changing it while on it) cannot arise.
		switch uint32(ss.Flags) &^ ssAutoDisarm {
		case 0, ssOnStack:
			if ss.Size < minSigStkSz {
				return 0, unix.ENOMEM
			}
			ss.Flags = 0
		case ssDisable:
			ss = linux.SigAltStack{Flags: ssDisable}
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

// Kill implements Linux syscall kill(2) for a process id, 0 (the caller's process group: in
// this milestone, every process) and -1 (every process but init... which here is all but
// the caller when it is init).
func Kill(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pid, sig := args.Int(0), int(args.Int(1))
	if sig != 0 && !kernel.ValidSignal(sig) {
		return 0, unix.EINVAL
	}
	var targets []*kernel.Task
	switch {
	case pid > 0:
		target := t.Kernel().TaskByTID(pid)
		if target == nil || target.ThreadGroup().TGID() != pid {
			return 0, unix.ESRCH
		}
		targets = append(targets, target)
	case pid == 0 || pid == -1:
		for _, tg := range t.Kernel().ThreadGroups() {
			if pid == -1 && tg == t.ThreadGroup() {
				continue
			}
			if l := tg.Leader(); l != nil {
				targets = append(targets, l)
			}
		}
		if len(targets) == 0 {
			return 0, unix.ESRCH
		}
	default:
		// A process group other than the caller's: there is only one in this milestone.
		return 0, unix.ESRCH
	}
	if sig != 0 {
		for _, target := range targets {
			target.SendSignal(sig, true)
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
	target := t.Kernel().TaskByTID(tid)
	if target == nil || target.ThreadGroup().TGID() != tgid {
		return 0, unix.ESRCH
	}
	if sig != 0 {
		target.SendSignal(sig, false)
	}
	return 0, nil
}

// Tkill implements Linux syscall tkill(2).
func Tkill(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tid, sig := args.Int(0), int(args.Int(1))
	if tid <= 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return 0, unix.EINVAL
	}
	target := t.Kernel().TaskByTID(tid)
	if target == nil {
		return 0, unix.ESRCH
	}
	if sig != 0 {
		target.SendSignal(sig, false)
	}
	return 0, nil
}
