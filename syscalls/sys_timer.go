package syscalls

import (
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/timerfd"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Timers: alarm and the itimers (sentry/kernel/itimer.go), POSIX timers
// (sentry/kernel/timer_posix.go) and timerfds (fsimpl/timerfd).

// itimerval is struct itimerval.
type itimerval struct {
	Interval, Value unix.Timeval
}

// itimerspec is struct itimerspec.
type itimerspec struct {
	Interval, Value unix.Timespec
}

// maxTimerSec is the largest number of seconds a time.Duration holds; longer times are
// clamped to the largest Duration (as Linux clamps to KTIME_MAX).
const maxTimerSec = math.MaxInt64/int64(time.Second) - 1

func timevalDuration(tv unix.Timeval) time.Duration {
	if tv.Sec >= maxTimerSec {
		return math.MaxInt64
	}
	return time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond
}

func durationTimeval(d time.Duration) unix.Timeval {
	// Round up, so that an armed timer never reads as zero (disarmed).
	if d < math.MaxInt64-time.Microsecond {
		d += time.Microsecond - 1
	}
	return unix.NsecToTimeval(int64(d / time.Microsecond * time.Microsecond))
}

func timespecDuration(ts unix.Timespec) time.Duration {
	if ts.Sec >= maxTimerSec {
		return math.MaxInt64
	}
	return time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec)
}

// Alarm implements Linux syscall alarm(2).
func Alarm(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	secs := time.Duration(args.Uint(0)) * time.Second
	old, _, err := t.ThreadGroup().SetITimer(kernel.ITimerReal, secs, 0)
	if err != nil {
		return 0, err
	}
	// Rounded to the nearest second, but never 0 for an armed alarm (as Linux).
	s := uintptr((old + time.Second/2) / time.Second)
	if s == 0 && old > 0 {
		s = 1
	}
	return s, nil
}

// Getitimer implements Linux syscall getitimer(2).
func Getitimer(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	v, i, err := t.ThreadGroup().GetITimer(int(args.Int(0)))
	if err != nil {
		return 0, err
	}
	it := itimerval{Interval: durationTimeval(i), Value: durationTimeval(v)}
	return 0, copyOutStruct(t, args.Pointer(1), &it)
}

// Setitimer implements Linux syscall setitimer(2).
func Setitimer(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	which := args.Int(0)
	var it itimerval
	if p := args.Pointer(1); p != 0 {
		if err := copyInStruct(t, p, &it); err != nil {
			return 0, err
		}
	}
	for _, tv := range []unix.Timeval{it.Value, it.Interval} {
		if tv.Sec < 0 || tv.Usec < 0 || tv.Usec >= 1e6 {
			return 0, unix.EINVAL
		}
	}
	v, i, err := t.ThreadGroup().SetITimer(int(which), timevalDuration(it.Value), timevalDuration(it.Interval))
	if err != nil {
		return 0, err
	}
	if p := args.Pointer(2); p != 0 {
		old := itimerval{Interval: durationTimeval(i), Value: durationTimeval(v)}
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// sigevent is the head of struct sigevent (64 bytes; the rest is padding or
// SIGEV_THREAD's user-space fields).
type sigevent struct {
	Value  uint64
	Signo  int32
	Notify int32
	TID    int32
	_      [44]byte
}

// TimerCreate implements Linux syscall timer_create(2).
func TimerCreate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	var ev *kernel.Sigevent
	if p := args.Pointer(1); p != 0 {
		var se sigevent
		if err := copyInStruct(t, p, &se); err != nil {
			return 0, err
		}
		ev = &kernel.Sigevent{Notify: se.Notify, Signo: se.Signo, Value: se.Value, TID: se.TID}
	}
	// Check the result pointer first, so that a bad one does not leak a timer.
	var zero int32
	if err := copyOutStruct(t, args.Pointer(2), &zero); err != nil {
		return 0, err
	}
	id, err := t.CreateTimer(args.Int(0), ev)
	if err != nil {
		return 0, err
	}
	if err := copyOutStruct(t, args.Pointer(2), &id); err != nil {
		t.DeleteTimer(id)
		return 0, err
	}
	return 0, nil
}

// readItimerspec reads and checks a struct itimerspec.
func readItimerspec(t *kernel.Task, addr uintptr) (itimerspec, error) {
	var its itimerspec
	if err := copyInStruct(t, addr, &its); err != nil {
		return its, err
	}
	for _, ts := range []unix.Timespec{its.Value, its.Interval} {
		if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
			return its, unix.EINVAL
		}
	}
	return its, nil
}

func makeItimerspec(v, i time.Duration) itimerspec {
	return itimerspec{Interval: unix.NsecToTimespec(int64(i)), Value: unix.NsecToTimespec(int64(v))}
}

// TimerSettime implements Linux syscall timer_settime(2).
func TimerSettime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(1) // unknown flags are ignored, as on Linux
	its, err := readItimerspec(t, args.Pointer(2))
	if err != nil {
		return 0, err
	}
	v, i, err := t.SetTimer(args.Int(0), timespecDuration(its.Value), timespecDuration(its.Interval), flags&unix.TIMER_ABSTIME != 0)
	if err != nil {
		return 0, err
	}
	if p := args.Pointer(3); p != 0 {
		old := makeItimerspec(v, i)
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// TimerGettime implements Linux syscall timer_gettime(2).
func TimerGettime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	v, i, err := t.GetTimer(args.Int(0))
	if err != nil {
		return 0, err
	}
	its := makeItimerspec(v, i)
	return 0, copyOutStruct(t, args.Pointer(1), &its)
}

// TimerGetoverrun implements Linux syscall timer_getoverrun(2).
func TimerGetoverrun(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	n, err := t.TimerOverrun(args.Int(0))
	return uintptr(n), err
}

// TimerDelete implements Linux syscall timer_delete(2).
func TimerDelete(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.DeleteTimer(args.Int(0))
}

// TimerfdCreate implements Linux syscall timerfd_create(2). The *_ALARM clocks need
// CAP_WAKE_ALARM, which the sandbox never grants: EPERM.
func TimerfdCreate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	id, flags := args.Int(0), args.Uint(1)
	if flags&^(unix.TFD_CLOEXEC|unix.TFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	switch id {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME:
	case unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM:
		return 0, unix.EPERM
	default:
		return 0, unix.EINVAL
	}
	f := timerfd.New(kernel.WallClock(id), flags)
	return installFile(t, f, flags&unix.TFD_CLOEXEC != 0)
}

func getTimerfd(t *kernel.Task, fd int32) (*kernel.FileRef, *timerfd.File, error) {
	ref, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	tf, ok := ref.File.(*timerfd.File)
	if !ok {
		ref.DecRef()
		return nil, nil, unix.EINVAL
	}
	return ref, tf, nil
}

// TimerfdSettime implements Linux syscall timerfd_settime(2).
func TimerfdSettime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(1)
	if flags&^(unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET) != 0 {
		return 0, unix.EINVAL
	}
	ref, tf, err := getTimerfd(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	its, err := readItimerspec(t, args.Pointer(2))
	if err != nil {
		return 0, err
	}
	v, i := tf.SetTime(timespecDuration(its.Value), timespecDuration(its.Interval),
		flags&unix.TFD_TIMER_ABSTIME != 0, flags&unix.TFD_TIMER_CANCEL_ON_SET != 0)
	if p := args.Pointer(3); p != 0 {
		old := makeItimerspec(v, i)
		return 0, copyOutStruct(t, p, &old)
	}
	return 0, nil
}

// TimerfdGettime implements Linux syscall timerfd_gettime(2).
func TimerfdGettime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	ref, tf, err := getTimerfd(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	its := makeItimerspec(tf.GetTime())
	return 0, copyOutStruct(t, args.Pointer(1), &its)
}
