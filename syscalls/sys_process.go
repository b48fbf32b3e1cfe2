package syscalls

import (
	"errors"
	"io"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/loader"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Fork implements Linux syscall fork(2).
func Fork(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{ExitSignal: uint64(syscall.SIGCHLD)})
	return uintptr(tid), err
}

// Vfork implements Linux syscall vfork(2).
func Vfork(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{
		Flags:      unix.CLONE_VM | unix.CLONE_VFORK,
		ExitSignal: uint64(syscall.SIGCHLD),
	})
	return uintptr(tid), err
}

// Wait options (wait4 and waitid).
const (
	wNoHang     = 0x1
	wUntraced   = 0x2 // WSTOPPED for waitid
	wExited     = 0x4
	wContinued  = 0x8
	wNoWait     = 0x01000000
	wNoThread   = 0x20000000
	wAll        = 0x40000000
	wClone      = 0x80000000
	wCommonOpts = wNoHang | wContinued | wNoThread | wAll | wClone
)

// Wait4 implements Linux syscall wait4(2). __WNOTHREAD is accepted and has no effect:
// children belong to the process, not to the thread that created them. The rusage holds
// the child's CPU time; the other fields are zero.
func Wait4(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pid := args.Int(0)
	opts := uint64(uint32(args[2]))
	if opts&^(wCommonOpts|wUntraced) != 0 {
		return 0, unix.EINVAL
	}
	if pid == -1<<31 { // -INT_MIN has no process group
		return 0, unix.ESRCH
	}
	o := waitOptions(opts)
	o.Exited = true
	o.Stopped = opts&wUntraced != 0
	switch {
	case pid == -1:
		o.Which = kernel.PAll
	case pid == 0:
		o.Which, o.ID = kernel.PPGID, 0
	case pid < 0:
		o.Which, o.ID = kernel.PPGID, -pid
	default:
		o.Which, o.ID = kernel.PPID, pid
	}
	res, err := t.Wait(o)
	if err != nil || res == nil {
		return 0, err
	}
	if p := args.Pointer(1); p != 0 {
		ws := int32(res.WaitStatus)
		if err := copyOutStruct(t, p, &ws); err != nil {
			return 0, err
		}
	}
	if p := args.Pointer(3); p != 0 {
		ru := rusageOf(res.CPU)
		if err := copyOutStruct(t, p, &ru); err != nil {
			return 0, err
		}
	}
	return uintptr(res.PID), nil
}

func waitOptions(opts uint64) kernel.WaitOptions {
	return kernel.WaitOptions{
		NoHang:    opts&wNoHang != 0,
		NoWait:    opts&wNoWait != 0,
		Continued: opts&wContinued != 0,
		Clone:     opts&wClone != 0,
		All:       opts&wAll != 0,
	}
}

// pPIDFD is waitid's P_PIDFD.
const pPIDFD = 3

// Waitid implements Linux syscall waitid(2), including P_PGID with id 0 (the caller's
// group, as Linux 5.4 and later) and P_PIDFD (a pidfd opened with PIDFD_NONBLOCK makes the
// wait fail with EAGAIN rather than block). The rusage argument is filled as for wait4.
func Waitid(t *kernel.Task, args arch.SyscallArguments) (_ uintptr, waitErr error) {
	which, id := int(args.Int(0)), args.Int(1)
	waitNothing := false
	opts := uint64(uint32(args[3]))
	if opts&^(wCommonOpts|wUntraced|wExited|wNoWait) != 0 || opts&(wUntraced|wExited|wContinued) == 0 {
		return 0, unix.EINVAL
	}
	o := waitOptions(opts)
	o.Exited = opts&wExited != 0
	o.Stopped = opts&wUntraced != 0
	switch which {
	case kernel.PAll:
	case kernel.PPID:
		if id <= 0 {
			return 0, unix.EINVAL
		}
	case kernel.PPGID:
		if id < 0 {
			return 0, unix.EINVAL
		}
	case pPIDFD:
		if id < 0 {
			return 0, unix.EINVAL
		}
		tg, nonblock, err := pidfdProcess(t, id)
		if err != nil {
			return 0, err
		}
		which, id = kernel.PPID, t.PIDNamespace().IDOfThreadGroup(tg)
		if nonblock && !o.NoHang {
			o.NoHang = true
			defer func() {
				if waitNothing {
					waitErr = unix.EAGAIN
				}
			}()
		}
	default:
		return 0, unix.EINVAL
	}
	o.Which, o.ID = which, id
	res, err := t.Wait(o)
	if err != nil {
		return 0, err
	}
	waitNothing = res == nil
	var info linux.SignalInfo
	var cpu kernel.CPUTime
	if res != nil {
		info.Signo = int32(syscall.SIGCHLD)
		info.Code = res.Code
		info.SetPID(res.PID)
		info.SetUID(res.UID)
		info.SetStatus(res.Status)
		cpu = res.CPU
	}
	if p := args.Pointer(2); p != 0 {
		if err := copyOutStruct(t, p, &info); err != nil {
			return 0, err
		}
	}
	if p := args.Pointer(4); p != 0 {
		ru := rusageOf(cpu)
		if err := copyOutStruct(t, p, &ru); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// rusage is struct rusage on x86-64.
type rusage struct {
	Utime, Stime unix.Timeval
	// Maxrss through Nivcsw: not measured (zero).
	Rest [14]int64
}

func rusageOf(c kernel.CPUTime) rusage {
	return rusage{Utime: unix.NsecToTimeval(c.User.Nanoseconds()), Stime: unix.NsecToTimeval(c.Sys.Nanoseconds())}
}

// Getrusage implements Linux syscall getrusage(2) for RUSAGE_SELF, RUSAGE_CHILDREN and
// RUSAGE_THREAD. CPU times are measured on the host (see Task.CPUTimes); the other fields
// are zero.
func Getrusage(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	var c kernel.CPUTime
	switch args.Int(0) {
	case unix.RUSAGE_SELF:
		c, _ = t.CPUTimes()
	case unix.RUSAGE_CHILDREN:
		_, c = t.CPUTimes()
	case unix.RUSAGE_THREAD:
		c = t.ThreadCPUTime()
	default:
		return 0, unix.EINVAL
	}
	ru := rusageOf(c)
	return 0, copyOutStruct(t, args.Pointer(1), &ru)
}

// clockTicks is USER_HZ, the unit of times(2).
const clockTicks = 100

func ticks(d time.Duration) int64 { return int64(d / (time.Second / clockTicks)) }

// Times implements Linux syscall times(2). The return value counts clock ticks since the
// sandbox started.
func Times(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if p := args.Pointer(0); p != 0 {
		self, children := t.CPUTimes()
		tms := [4]int64{ticks(self.User), ticks(self.Sys), ticks(children.User), ticks(children.Sys)}
		if err := copyOutStruct(t, p, &tms); err != nil {
			return 0, err
		}
	}
	return uintptr(ticks(t.Kernel().Uptime())), nil
}

// Getpgid implements Linux syscall getpgid(2).
func Getpgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pgid, err := t.GetPGID(args.Int(0))
	return uintptr(pgid), err
}

// Getpgrp implements Linux syscall getpgrp(2).
func Getpgrp(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	pgid, err := t.GetPGID(0)
	return uintptr(pgid), err
}

// Setpgid implements Linux syscall setpgid(2).
func Setpgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.SetPGID(args.Int(0), args.Int(1))
}

// Getsid implements Linux syscall getsid(2).
func Getsid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	sid, err := t.GetSID(args.Int(0))
	return uintptr(sid), err
}

// Setsid implements Linux syscall setsid(2).
func Setsid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	sid, err := t.SetSID()
	return uintptr(sid), err
}

// OpenExecutable opens path for execve on behalf of t: it resolves path in t's filesystem
// context, checks that it is a regular file with execute permission on an exec mount, and
// returns the file and a function that releases it. A variable so tests can substitute it.
var OpenExecutable = func(t *kernel.Task, path string) (io.ReaderAt, func(), error) {
	fd, err := vfs.OpenExecutable(t, path)
	if err != nil {
		return nil, nil, err
	}
	return fd, fd.Release, nil
}

// maxArgs bounds the number of argv or envp pointers read (Linux's MAX_ARG_STRINGS).
const maxArgs = 0x7fffffff

// Execve implements Linux syscall execve(2): the arguments are read and checked here, the
// file is opened with OpenExecutable, and Task.Execve does the rest.
func Execve(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	path, err := t.CopyInString(args.Pointer(0), unix.PathMax)
	if err != nil {
		return 0, err
	}
	argv, err := copyInStringVector(t, args.Pointer(1))
	if err != nil {
		return 0, err
	}
	envv, err := copyInStringVector(t, args.Pointer(2))
	if err != nil {
		return 0, err
	}
	f, release, err := OpenExecutable(t, path)
	if err != nil {
		return 0, err
	}
	defer release()
	if err := t.Execve(f, path, argv, envv); err != nil {
		if err == kernel.ErrExited {
			return 0, err
		}
		var le *loader.Error
		if errors.As(err, &le) {
			return 0, le.Errno
		}
		t.Kernel().Logf("task %d: execve %q: %v", t.TID(), path, err)
		return 0, unix.ENOMEM
	}
	return 0, kernel.ErrFullRestore
}

// copyInStringVector reads a NULL-terminated array of string pointers (argv, envp). A
// NULL array is empty, as Linux accepts. E2BIG when the strings exceed execve's limits.
func copyInStringVector(t *kernel.Task, addr uintptr) ([]string, error) {
	var out []string
	if addr == 0 {
		return out, nil
	}
	total := 0
	for i := 0; i < maxArgs; i++ {
		var p uint64
		if err := copyInStruct(t, addr+uintptr(i)*8, &p); err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.CopyInString(uintptr(p), loader.MaxArgStrLen)
		if err == unix.ENAMETOOLONG {
			return nil, unix.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1 + 8
		if total > loader.MaxArgBytes {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
	return nil, unix.E2BIG
}
