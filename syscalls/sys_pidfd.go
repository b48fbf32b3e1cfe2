package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// pidfdNonblock is PIDFD_NONBLOCK (O_NONBLOCK).
const pidfdNonblock = unix.O_NONBLOCK

// pidfdProcess returns the process pidfd fd refers to: EBADF if fd is not open or not a
// pidfd.
func pidfdProcess(t *kernel.Task, fd int32) (*kernel.ThreadGroup, bool, error) {
	ref, err := getFile(t, fd)
	if err != nil {
		return nil, false, err
	}
	defer ref.DecRef()
	pf, ok := ref.File.(*kernel.PIDFD)
	if !ok {
		return nil, false, unix.EBADF
	}
	return pf.ThreadGroup(), ref.NonBlocking(), nil
}

// PidfdOpen implements Linux syscall pidfd_open(2). PIDFD_THREAD (Linux 6.9) returns
// EINVAL.
func PidfdOpen(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pid, flags := args.Int(0), args.Uint(1)
	if flags&^pidfdNonblock != 0 || pid <= 0 {
		return 0, unix.EINVAL
	}
	tg := t.PIDNamespace().ThreadGroupWithID(pid)
	if tg == nil {
		if t.PIDNamespace().TaskWithID(pid) != nil {
			return 0, unix.EINVAL // a thread that does not lead its process
		}
		return 0, unix.ESRCH
	}
	return installFile(t, kernel.NewPIDFD(tg, flags&pidfdNonblock != 0), true)
}

// pidfd_send_signal's flags (Linux 6.9): whom the signal is for.
const (
	pidfdSignalThread       = 1 // PIDFD_SIGNAL_THREAD: the thread (a process pidfd: its leader)
	pidfdSignalThreadGroup  = 2 // PIDFD_SIGNAL_THREAD_GROUP: the process (the default)
	pidfdSignalProcessGroup = 4 // PIDFD_SIGNAL_PROCESS_GROUP: the process's group
)

// PidfdSendSignal implements Linux syscall pidfd_send_signal(2), with the PIDFD_SIGNAL_*
// flags of Linux 6.9 (at most one).
func PidfdSendSignal(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	sig := int(args.Int(1))
	flags := args.Uint(3)
	switch flags {
	case 0, pidfdSignalThread, pidfdSignalThreadGroup, pidfdSignalProcessGroup:
	default:
		return 0, unix.EINVAL
	}
	tg, _, err := pidfdProcess(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	if sig != 0 && !kernel.ValidSignal(sig) {
		return 0, unix.EINVAL
	}
	code := int32(linux.SI_USER)
	if flags == pidfdSignalThread {
		code = linux.SI_TKILL
	}
	info := userSignalInfo(t, sig, code)
	if p := args.Pointer(2); p != 0 {
		in := new(linux.SignalInfo)
		if err := copyInStruct(t, p, in); err != nil {
			return 0, err
		}
		if int(in.Signo) != sig {
			return 0, unix.EINVAL
		}
		// Only a process signalling itself may pretend to be the kernel or kill(2).
		if tg != t.ThreadGroup() && (in.Code >= 0 || in.Code == linux.SI_TKILL) {
			return 0, unix.EPERM
		}
		info = in
	}
	if tg.Reaped() {
		return 0, unix.ESRCH
	}
	targets := []*kernel.ThreadGroup{tg}
	if flags == pidfdSignalProcessGroup {
		pgid := t.PIDNamespace().IDOfProcessGroup(tg.ProcessGroup())
		if pgid == 0 {
			return 0, unix.ESRCH
		}
		if targets, err = t.SignalTargets(-pgid); err != nil {
			return 0, err
		}
	}
	// kill(2)'s permission check, for signal 0 too; a group signal fails with EPERM only if
	// no member may be signalled.
	allowed := targets[:0:0]
	for _, target := range targets {
		if t.ThreadGroup().MayKill(target, sig) {
			allowed = append(allowed, target)
		}
	}
	if len(allowed) == 0 && len(targets) > 0 {
		return 0, unix.EPERM
	}
	targets = allowed
	if sig == 0 {
		return 0, nil
	}
	for _, target := range targets {
		// A zombie takes the signal and does nothing with it.
		if l := target.Leader(); l != nil && target.Alive() {
			if err := l.SendUserSignal(t.ThreadGroup(), info, flags != pidfdSignalThread); err != nil && len(targets) == 1 {
				return 0, err
			}
		}
	}
	return 0, nil
}

// PidfdGetfd implements Linux syscall pidfd_getfd(2): a duplicate, close-on-exec, of
// another process's descriptor. The caller needs ptrace access to the process: the same
// real, effective and saved uids as the caller's, or an effective uid 0.
func PidfdGetfd(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Uint(2) != 0 {
		return 0, unix.EINVAL
	}
	tg, _, err := pidfdProcess(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	l := tg.Leader()
	if l == nil || !tg.Alive() {
		return 0, unix.ESRCH
	}
	me, them := t.ThreadGroup().Creds(), tg.Creds()
	if !me.HasCap(unix.CAP_SYS_PTRACE) && (them.RealUID != me.RealUID || them.EffectiveUID != me.RealUID ||
		them.SavedUID != me.RealUID || them.RealGID != me.RealGID || them.EffectiveGID != me.RealGID ||
		them.SavedGID != me.RealGID) {
		return 0, unix.EPERM
	}
	ref, err := l.FDTable().Get(args.Int(1))
	if err != nil {
		return 0, unix.EBADF
	}
	defer ref.DecRef()
	fd, err := t.FDTable().NewFD(ref, 0, true, fdLimit(t))
	return uintptr(fd), err
}
