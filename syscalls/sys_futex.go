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
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexBitsetAll     = ^uint32(0)
)

// Futex implements Linux syscall futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP,
// WAIT_BITSET and WAKE_BITSET, private or not (shared futexes are keyed by address space,
// which is exact while every process has its own address space). PI futexes return ENOSYS.
func Futex(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	addr := args.Pointer(0)
	op := int(args.Int(1))
	val := args.Uint(2)
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	if addr%4 != 0 {
		return 0, unix.EINVAL
	}
	if op&futexClockRealtime != 0 && cmd != futexWaitBitset && cmd != futexWait {
		return 0, unix.ENOSYS
	}
	switch cmd {
	case futexWait, futexWaitBitset:
		bitset := futexBitsetAll
		if cmd == futexWaitBitset {
			bitset = args.Uint(5)
		}
		var deadline time.Time
		if p := args.Pointer(3); p != 0 {
			var ts unix.Timespec
			if err := copyInStruct(t, p, &ts); err != nil {
				return 0, err
			}
			if ts.Nsec < 0 || ts.Nsec >= 1e9 || ts.Sec < 0 {
				return 0, unix.EINVAL
			}
			if cmd == futexWait {
				deadline = time.Now().Add(time.Duration(ts.Sec)*time.Second + time.Duration(ts.Nsec))
			} else if op&futexClockRealtime != 0 {
				deadline = time.Unix(ts.Sec, ts.Nsec)
			} else {
				deadline = monotonicToTime(ts)
			}
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
		nRequeue := int(clampCount(uint32(args[3])))
		if args.Int(3) < 0 || int32(val) < 0 {
			return 0, unix.EINVAL
		}
		n, err := t.FutexRequeue(addr, args.Pointer(4), cmd == futexCmpRequeue, args.Uint(5), int(val), nRequeue)
		return uintptr(n), err
	case futexWakeOp:
		n, err := t.FutexWakeOp(addr, args.Pointer(4), int(clampCount(val)), int(clampCount(uint32(args[3]))), args.Uint(5))
		return uintptr(n), err
	case futexLockPI, futexUnlockPI, futexTrylockPI:
		return 0, unix.ENOSYS
	}
	return 0, unix.ENOSYS
}

func clampCount(v uint32) uint32 {
	if int32(v) < 0 {
		return 1<<31 - 1
	}
	return v
}
