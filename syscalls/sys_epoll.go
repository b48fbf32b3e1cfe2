package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/epoll"
	"github.com/stockade-sandbox/stockade/fsimpl/eventfd"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

func installFile(t *kernel.Task, f kernel.File, cloexec bool) (uintptr, error) {
	ref := kernel.NewFileRef(f)
	defer ref.DecRef()
	fd, err := t.FDTable().NewFD(ref, 0, cloexec, fdLimit(t))
	return uintptr(fd), err
}

// Eventfd2 implements Linux syscall eventfd2(2).
func Eventfd2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Uint(1)
	if flags&^(unix.EFD_CLOEXEC|unix.EFD_NONBLOCK|unix.EFD_SEMAPHORE) != 0 {
		return 0, unix.EINVAL
	}
	return installFile(t, eventfd.New(uint64(args.Uint(0)), flags), flags&unix.EFD_CLOEXEC != 0)
}

// Eventfd implements Linux syscall eventfd(2).
func Eventfd(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return installFile(t, eventfd.New(uint64(args.Uint(0)), 0), false)
}

// EpollCreate1 implements Linux syscall epoll_create1(2).
func EpollCreate1(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Uint(0)
	if flags&^unix.EPOLL_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	return installFile(t, epoll.New(flags), flags&unix.EPOLL_CLOEXEC != 0)
}

// EpollCreate implements Linux syscall epoll_create(2).
func EpollCreate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Int(0) <= 0 {
		return 0, unix.EINVAL
	}
	return installFile(t, epoll.New(0), false)
}

func getEpoll(t *kernel.Task, fd int32) (*kernel.FileRef, *epoll.Instance, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	ep, ok := f.File.(*epoll.Instance)
	if !ok {
		f.DecRef()
		return nil, nil, unix.EINVAL
	}
	return f, ep, nil
}

// EpollCtl implements Linux syscall epoll_ctl(2).
func EpollCtl(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	epf, ep, err := getEpoll(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer epf.DecRef()
	fd := args.Int(2)
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var ev epoll.Event
	op := int(args.Int(1))
	if op != unix.EPOLL_CTL_DEL {
		var b [epoll.EventSize]byte
		if _, err := t.CopyIn(args.Pointer(3), b[:]); err != nil {
			return 0, unix.EFAULT
		}
		ev = epoll.ParseEvent(b[:])
	}
	return 0, ep.Ctl(op, fd, f, ev)
}

func epollWait(t *kernel.Task, epfd int32, addr uintptr, max int32, deadline time.Time, poll bool) (uintptr, error) {
	if max <= 0 || max > (1<<31-1)/epoll.EventSize {
		return 0, unix.EINVAL
	}
	epf, ep, err := getEpoll(t, epfd)
	if err != nil {
		return 0, err
	}
	defer epf.DecRef()
	// The events are encoded straight into the task's scratch buffer: no allocation per call.
	out := t.Scratch(min(int(max), 1024) * epoll.EventSize)
	n, err := ep.Wait(t, out, deadline, poll)
	if err == kernel.ERESTARTSYS {
		// epoll_wait is never restarted after a signal (signal(7)).
		return 0, unix.EINTR
	}
	if err != nil {
		return 0, err
	}
	if _, err := t.CopyOut(addr, out[:n*epoll.EventSize]); err != nil {
		return 0, unix.EFAULT
	}
	return uintptr(n), nil
}

func msDeadline(ms int32) (time.Time, bool) {
	switch {
	case ms < 0:
		return time.Time{}, false
	case ms == 0:
		return time.Time{}, true
	}
	return time.Now().Add(time.Duration(ms) * time.Millisecond), false
}

// EpollWait implements Linux syscall epoll_wait(2).
func EpollWait(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	d, poll := msDeadline(args.Int(3))
	return epollWait(t, args.Int(0), args.Pointer(1), args.Int(2), d, poll)
}

// EpollPwait implements Linux syscall epoll_pwait(2). The signal mask argument is applied for
// the duration of the wait, as Linux does.
func EpollPwait(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	d, poll := msDeadline(args.Int(3))
	return epollPwait(t, args, d, poll)
}

// EpollPwait2 implements Linux syscall epoll_pwait2(2): epoll_pwait with a timespec timeout
// (NULL waits without limit; an invalid timespec is EINVAL).
func EpollPwait2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	d, zero, _, err := timeoutFromTimespec(t, args.Pointer(3))
	if err != nil {
		return 0, err
	}
	return epollPwait(t, args, d, zero)
}

// epollPwait waits with the signal mask at args[4] (size args[5]) applied.
func epollPwait(t *kernel.Task, args arch.SyscallArguments, d time.Time, poll bool) (uintptr, error) {
	if p := args.Pointer(4); p != 0 {
		if args[5] != sigSetSize {
			return 0, unix.EINVAL
		}
		var mask uint64
		if err := copyInStruct(t, p, &mask); err != nil {
			return 0, err
		}
		// The old mask comes back after the handler of a signal that interrupted the wait
		// (its frame records it), or now if none did.
		t.SetSavedSigMask(mask)
	}
	n, err := epollWait(t, args.Int(0), args.Pointer(1), args.Int(2), d, poll)
	if err != unix.EINTR {
		t.RestoreSavedSigMask()
	}
	return n, err
}
