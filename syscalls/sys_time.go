package syscalls

import (
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vdso"
)

// CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and their _COARSE variants are the
// sandbox's own, computed from the TSC exactly as the vDSO computes them (sentry/vdso), so
// that a program mixing vDSO reads and these syscalls sees one clock. MONOTONIC_RAW and TAI
// are the host's. CPU-time clocks (the process's, the thread's, and those of
// clock_getcpuclockid/pthread_getcpuclockid) are the kernel's per-task accounting: host CPU
// time of the application thread plus the sentry's (sentry/kernel/timer_cpuclock.go); their
// resolution is 1 ns, as on Linux.

func readClock(id int32) (unix.Timespec, error) {
	if ns, ok := vdso.Now(id); ok {
		return unix.NsecToTimespec(ns), nil
	}
	switch id {
	case unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_TAI:
		var ts unix.Timespec
		err := unix.ClockGettime(id, &ts)
		return ts, err
	}
	return unix.Timespec{}, unix.EINVAL
}

// realtimeNow is the sandbox's CLOCK_REALTIME in nanoseconds.
func realtimeNow() int64 {
	ns, _ := vdso.Now(unix.CLOCK_REALTIME)
	return ns
}

// clockToTime converts an absolute time on the sandbox's clock id (CLOCK_MONOTONIC or
// CLOCK_REALTIME) to a Go time for deadlines: the time left is measured on the clock the
// application reads (sentry/vdso's timekeeper), not on the host's clocks, which it only
// follows (a deadline read as host wall time would be off by however far the sandbox's
// CLOCK_REALTIME is from the host's at that moment).
func clockToTime(id int32, ts unix.Timespec) time.Time {
	now, _ := readClock(id)
	d := time.Duration(ts.Sec-now.Sec)*time.Second + time.Duration(ts.Nsec-now.Nsec)
	return time.Now().Add(d)
}

// ClockGettime implements Linux syscall clock_gettime(2).
func ClockGettime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	id := args.Int(0)
	ts, err := readClock(id)
	if err != nil {
		c, err := t.ResolveClock(id, false)
		if err != nil {
			return 0, err
		}
		ts = unix.NsecToTimespec(c.Now())
	}
	return 0, copyOutStruct(t, args.Pointer(1), &ts)
}

// ClockGetres implements Linux syscall clock_getres(2).
func ClockGetres(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	id := args.Int(0)
	c, err := t.ResolveClock(id, false)
	if err != nil {
		return 0, err
	}
	var ts unix.Timespec
	if _, cpu := c.(kernel.CPUClock); cpu {
		ts.Nsec = 1
	} else if err := unix.ClockGetres(id, &ts); err != nil {
		return 0, err
	}
	if p := args.Pointer(1); p != 0 {
		return 0, copyOutStruct(t, p, &ts)
	}
	return 0, nil
}

// Gettimeofday implements Linux syscall gettimeofday(2).
func Gettimeofday(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if p := args.Pointer(0); p != 0 {
		now := realtimeNow()
		tv := unix.Timeval{Sec: now / 1e9, Usec: now % 1e9 / 1000}
		if err := copyOutStruct(t, p, &tv); err != nil {
			return 0, err
		}
	}
	if p := args.Pointer(1); p != 0 {
		var tz [2]int32 // UTC
		if err := copyOutStruct(t, p, &tz); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Time implements Linux syscall time(2).
func Time(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	now := realtimeNow() / 1e9
	if p := args.Pointer(0); p != 0 {
		if err := copyOutStruct(t, p, &now); err != nil {
			return 0, err
		}
	}
	return uintptr(now), nil
}

func readTimespec(t *kernel.Task, addr uintptr) (unix.Timespec, error) {
	var ts unix.Timespec
	if err := copyInStruct(t, addr, &ts); err != nil {
		return ts, err
	}
	if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
		return ts, unix.EINVAL
	}
	return ts, nil
}

// Nanosleep implements Linux syscall nanosleep(2).
func Nanosleep(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	ts, err := readTimespec(t, args.Pointer(0))
	if err != nil {
		return 0, err
	}
	return 0, sleepRestartable(t, time.Now().Add(time.Duration(ts.Sec)*time.Second+time.Duration(ts.Nsec)), args.Pointer(1))
}

// sleepRestartable sleeps until deadline for nanosleep and relative clock_nanosleep. When a
// signal interrupts it, the remaining time is written to rem (if not 0) and the sleep
// returns ERESTART_RESTARTBLOCK: it fails with EINTR if a handler runs, and otherwise
// continues, through restart_syscall, until the same deadline.
func sleepRestartable(t *kernel.Task, deadline time.Time, rem uintptr) error {
	err := t.Sleep(deadline)
	if err != kernel.ERESTARTSYS {
		return err
	}
	if rem != 0 {
		left := max(time.Until(deadline), 0)
		ts := unix.NsecToTimespec(int64(left))
		if err := copyOutStruct(t, rem, &ts); err != nil {
			return err
		}
	}
	t.SetRestartSyscall(func(t *kernel.Task) (uintptr, error) {
		return 0, sleepRestartable(t, deadline, rem)
	})
	return kernel.ERESTART_RESTARTBLOCK
}

// ClockNanosleep implements Linux syscall clock_nanosleep(2).
func ClockNanosleep(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	id, flags := args.Int(0), args.Int(1)
	if id == unix.CLOCK_THREAD_CPUTIME_ID || (id < 0 && id&4 != 0) {
		return 0, unix.EINVAL // thread CPU clocks cannot be slept on
	}
	if _, err := readClock(id); err != nil {
		c, err := t.ResolveClock(id, false)
		if err != nil {
			if id >= 0 {
				return 0, unix.EOPNOTSUPP
			}
			return 0, err
		}
		if _, cpu := c.(kernel.CPUClock); !cpu {
			return 0, unix.EOPNOTSUPP
		}
		return cpuClockNanosleep(t, c, flags&unix.TIMER_ABSTIME != 0, args.Pointer(2), args.Pointer(3))
	}
	ts, err := readTimespec(t, args.Pointer(2))
	if err != nil {
		return 0, err
	}
	if flags&unix.TIMER_ABSTIME == 0 {
		return 0, sleepRestartable(t, time.Now().Add(time.Duration(ts.Sec)*time.Second+time.Duration(ts.Nsec)), args.Pointer(3))
	}
	// An absolute sleep is simply made again if no handler runs. The sleep itself is timed
	// by the host clock, which the sandbox's may trail by a hair, so it goes on until the
	// sandbox's clock has reached the target.
	target := ts.Nano()
	for {
		now, err := readClock(id)
		if err != nil {
			return 0, err
		}
		if now.Nano() >= target {
			return 0, nil
		}
		switch err := t.Sleep(time.Now().Add(time.Duration(target - now.Nano()))); err {
		case nil:
		case kernel.ERESTARTSYS:
			return 0, kernel.ERESTARTNOHAND
		default:
			return 0, err
		}
	}
}

// cpuClockNanosleep sleeps until process CPU clock c reaches the requested time, with a
// one-shot timer on c (sampled, so the sleep may last about 5 ms more than asked).
func cpuClockNanosleep(t *kernel.Task, c kernel.Clock, abs bool, req, rem uintptr) (uintptr, error) {
	ts, err := readTimespec(t, req)
	if err != nil {
		return 0, err
	}
	target := ts.Nano()
	if !abs {
		if now := c.Now(); target > math.MaxInt64-now {
			target = math.MaxInt64
		} else {
			target += now
		}
	}
	return 0, cpuSleepUntil(t, c, target, abs, rem)
}

func cpuSleepUntil(t *kernel.Task, c kernel.Clock, target int64, abs bool, rem uintptr) error {
	if c.Now() >= target {
		return nil
	}
	done := make(chan struct{})
	tm := kernel.NewTimer(c, func(uint64) { close(done) })
	tm.Set(time.Duration(target), 0, true)
	err := t.BlockOn(done, time.Time{})
	tm.Destroy()
	if err != kernel.ERESTARTSYS {
		return err
	}
	if abs {
		return kernel.ERESTARTNOHAND
	}
	if rem != 0 {
		left := unix.NsecToTimespec(max(target-c.Now(), 0))
		if err := copyOutStruct(t, rem, &left); err != nil {
			return err
		}
	}
	t.SetRestartSyscall(func(t *kernel.Task) (uintptr, error) {
		return 0, cpuSleepUntil(t, c, target, false, rem)
	})
	return kernel.ERESTART_RESTARTBLOCK
}
