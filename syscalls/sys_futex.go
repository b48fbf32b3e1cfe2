package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexBitsetAll     = ^uint32(0)
)

// Futex implements Linux syscall futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP,
// WAIT_BITSET, WAKE_BITSET and the PI operations LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI,
// WAIT_REQUEUE_PI and CMP_REQUEUE_PI (the protocol without priority boosting), private or
// not. The checks come in Linux's order: the timeout, then the clock flag, then the
// operation's own.
func Futex(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	addr := args.Pointer(0)
	op := int(args.Int(1))
	val := args.Uint(2)
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	realtime := op&futexClockRealtime != 0

	var deadline time.Time
	switch cmd {
	case futexWait, futexWaitBitset, futexLockPI, futexLockPI2, futexWaitRequeuePI:
		if p := args.Pointer(3); p != 0 {
			var ts unix.Timespec
			if err := copyInStruct(t, p, &ts); err != nil {
				return 0, err
			}
			if ts.Nsec < 0 || ts.Nsec >= 1e9 || ts.Sec < 0 {
				return 0, unix.EINVAL
			}
			switch {
			case cmd == futexWait:
				deadline = time.Now().Add(time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec))
			case cmd == futexLockPI || realtime:
				// FUTEX_LOCK_PI's timeout is absolute on CLOCK_REALTIME.
				deadline = clockToTime(unix.CLOCK_REALTIME, ts)
			default:
				deadline = clockToTime(unix.CLOCK_MONOTONIC, ts)
			}
		}
	}
	if realtime && cmd != futexWaitBitset && cmd != futexWait && cmd != futexWaitRequeuePI && cmd != futexLockPI2 {
		return 0, unix.ENOSYS
	}
	if addr%4 != 0 && cmd != futexUnlockPI {
		return 0, unix.EINVAL
	}
	switch cmd {
	case futexWait, futexWaitBitset:
		bitset := futexBitsetAll
		if cmd == futexWaitBitset {
			bitset = args.Uint(5)
		}
		err := t.FutexWait(addr, val, bitset, deadline)
		if err == kernel.ERESTARTSYS && !deadline.IsZero() {
			// As Linux: a timed wait resumes until the same deadline if no handler runs,
			// and fails with EINTR (SA_RESTART or not) if one does.
			t.SetRestartSyscall(func(t *kernel.Task) (uintptr, error) {
				return 0, t.FutexWait(addr, val, bitset, deadline)
			})
			return 0, kernel.ERESTART_RESTARTBLOCK
		}
		return 0, err
	case futexWake, futexWakeBitset:
		bitset := futexBitsetAll
		if cmd == futexWakeBitset {
			bitset = args.Uint(5)
		}
		n, err := t.FutexWake(addr, int(clampCount(val)), bitset)
		return uintptr(n), err
	case futexRequeue, futexCmpRequeue:
		if args.Pointer(4)%4 != 0 {
			return 0, unix.EINVAL
		}
		nRequeue := int(clampCount(uint32(args[3])))
		if args.Int(3) < 0 || int32(val) < 0 {
			return 0, unix.EINVAL
		}
		n, err := t.FutexRequeue(addr, args.Pointer(4), cmd == futexCmpRequeue, args.Uint(5), int(val), nRequeue)
		return uintptr(n), err
	case futexWakeOp:
		if args.Pointer(4)%4 != 0 {
			return 0, unix.EINVAL
		}
		n, err := t.FutexWakeOp(addr, args.Pointer(4), int(clampCount(val)), int(clampCount(uint32(args[3]))), args.Uint(5))
		return uintptr(n), err
	case futexLockPI, futexLockPI2:
		return 0, t.FutexLockPI(addr, deadline, false)
	case futexTrylockPI:
		return 0, t.FutexLockPI(addr, time.Time{}, true)
	case futexUnlockPI:
		return 0, t.FutexUnlockPI(addr)
	case futexWaitRequeuePI:
		addr2 := args.Pointer(4)
		if addr == addr2 || addr2%4 != 0 {
			return 0, unix.EINVAL
		}
		return 0, t.FutexWaitRequeuePI(addr, val, deadline, addr2)
	case futexCmpRequeuePI:
		addr2 := args.Pointer(4)
		if int32(val) < 0 || args.Int(3) < 0 || addr == addr2 || val != 1 || addr2%4 != 0 {
			return 0, unix.EINVAL
		}
		n, err := t.FutexCmpRequeuePI(addr, addr2, int(clampCount(uint32(args[3]))), args.Uint(5))
		return uintptr(n), err
	}
	return 0, unix.ENOSYS
}

func clampCount(v uint32) uint32 {
	if int32(v) < 0 {
		return 1<<31 - 1
	}
	return v
}
