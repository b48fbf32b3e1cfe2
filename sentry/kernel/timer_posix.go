package kernel

import (
	"encoding/binary"
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// POSIX timers (timer_create(2) and friends): per process, deleted at execve and exit.
//
// A timer that notifies by signal queues one siginfo (si_code SI_TIMER, si_timerid,
// si_value) per expiration batch; while that signal is still pending, further expirations
// only count overruns, so a timer never has two signals queued and never needs more than
// the one RLIMIT_SIGPENDING slot (timer signals are exempt from the limit, as Linux
// preallocates them). When the signal is dequeued (delivery, sigwaitinfo, signalfd) the
// overruns counted so far go into si_overrun and become timer_getoverrun's value, capped at
// DELAYTIMER_MAX.

// Sigevent notification kinds.
const (
	SigevSignal   = 0
	SigevNone     = 1
	SigevThread   = 2 // the kernel treats it as SIGEV_SIGNAL; the C library does the rest
	SigevThreadID = 4
)

// delaytimerMax is DELAYTIMER_MAX (INT_MAX).
const delaytimerMax = math.MaxInt32

// maxPosixTimers bounds the timers of one process (Linux bounds them by memory).
const maxPosixTimers = 4096

// Sigevent is a decoded struct sigevent.
type Sigevent struct {
	Notify int32
	Signo  int32
	Value  uint64
	TID    int32
}

// posixTimer is one POSIX timer.
type posixTimer struct {
	id    int32
	timer *Timer
	ev    Sigevent
	// target is the thread to signal (SIGEV_THREAD_ID), or nil for the process.
	target *Task
	tg     *ThreadGroup

	// pending is set while the timer's signal is queued; overrun counts expirations since
	// it was queued; lastOverrun is timer_getoverrun's value. Guarded by tg.mu.
	pending     bool
	overrun     uint64
	lastOverrun int32
}

// CreateTimer implements timer_create(2) with a decoded sigevent (nil: SIGEV_SIGNAL with
// SIGALRM and the timer id as value). It returns the new timer's id.
func (t *Task) CreateTimer(clockID int32, ev *Sigevent) (int32, error) {
	c, err := t.ResolveClock(clockID, true)
	if err != nil {
		return 0, err
	}
	switch clockID {
	case unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC_COARSE:
		return 0, unix.EINVAL // not timer clocks on Linux either
	}
	pt := &posixTimer{tg: t.tg}
	if ev != nil {
		pt.ev = *ev
		switch ev.Notify {
		case SigevThreadID | SigevSignal:
			tt := t.PIDNamespace().TaskWithID(ev.TID)
			if tt == nil || tt.tg != t.tg {
				return 0, unix.EINVAL
			}
			pt.target = tt
			fallthrough
		case SigevSignal, SigevThread:
			if !ValidSignal(int(ev.Signo)) {
				return 0, unix.EINVAL
			}
		case SigevNone:
		default:
			return 0, unix.EINVAL
		}
	}
	ts := &t.tg.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.posix == nil {
		ts.posix = make(map[int32]*posixTimer)
	}
	if len(ts.posix) >= maxPosixTimers || ts.dead {
		return 0, unix.EAGAIN
	}
	id := ts.nextID
	for ts.posix[id] != nil {
		id = (id + 1) & math.MaxInt32
	}
	ts.nextID = (id + 1) & math.MaxInt32
	pt.id = id
	if ev == nil {
		pt.ev = Sigevent{Notify: SigevSignal, Signo: int32(unix.SIGALRM), Value: uint64(id)}
	}
	pt.timer = NewTimer(c, pt.expired)
	ts.posix[id] = pt
	return id, nil
}

func (t *Task) posixTimer(id int32) (*posixTimer, error) {
	ts := &t.tg.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	pt := ts.posix[id]
	if pt == nil {
		return nil, unix.EINVAL
	}
	return pt, nil
}

// SetTimer implements timer_settime(2).
func (t *Task) SetTimer(id int32, value, interval time.Duration, abs bool) (oldValue, oldInterval time.Duration, err error) {
	pt, err := t.posixTimer(id)
	if err != nil {
		return 0, 0, err
	}
	oldValue, oldInterval = pt.timer.Set(value, interval, abs)
	t.tg.mu.Lock()
	pt.lastOverrun = 0
	t.tg.mu.Unlock()
	return oldValue, oldInterval, nil
}

// GetTimer implements timer_gettime(2).
func (t *Task) GetTimer(id int32) (value, interval time.Duration, err error) {
	pt, err := t.posixTimer(id)
	if err != nil {
		return 0, 0, err
	}
	value, interval = pt.timer.Get()
	return value, interval, nil
}

// TimerOverrun implements timer_getoverrun(2).
func (t *Task) TimerOverrun(id int32) (int32, error) {
	pt, err := t.posixTimer(id)
	if err != nil {
		return 0, err
	}
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return pt.lastOverrun, nil
}

// DeleteTimer implements timer_delete(2). A signal it already queued stays pending.
func (t *Task) DeleteTimer(id int32) error {
	ts := &t.tg.timers
	ts.mu.Lock()
	pt := ts.posix[id]
	delete(ts.posix, id)
	ts.mu.Unlock()
	if pt == nil {
		return unix.EINVAL
	}
	pt.timer.Destroy()
	return nil
}

// deletePosixTimers deletes every POSIX timer of the process (execve).
func (tg *ThreadGroup) deletePosixTimers() {
	ts := &tg.timers
	ts.mu.Lock()
	all := ts.posix
	ts.posix = nil
	ts.mu.Unlock()
	for _, pt := range all {
		pt.timer.Destroy()
	}
}

// expired is the timer's expiration callback: it queues the timer's signal, or counts
// overruns while it is pending.
func (pt *posixTimer) expired(n uint64) {
	if pt.ev.Notify == SigevNone {
		return
	}
	tg := pt.tg
	sig := int(pt.ev.Signo)
	tg.mu.Lock()
	target := pt.target
	if target == nil {
		// Linux signals the process through its leader.
		if _, ok := tg.tasks[tg.leader]; ok {
			target = tg.leader
		} else {
			for o := range tg.tasks {
				target = o
				break
			}
		}
	} else if _, ok := tg.tasks[target]; !ok {
		target = nil // the thread has exited: the signal is lost, as on Linux
	}
	if target == nil || tg.exiting {
		tg.mu.Unlock()
		return
	}
	q := &tg.pending
	if pt.target != nil {
		q = &target.sig.pending
	}
	// The signal may have been discarded (SIG_IGN) without being dequeued: pending is
	// trusted only while the signal is still in the queue.
	if pt.pending && q.set&sigBit(sig) != 0 {
		pt.overrun += n
		tg.mu.Unlock()
		return
	}
	pt.pending = true
	pt.overrun = n - 1
	tg.mu.Unlock()

	info := &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_TIMER}
	setTimerInfo(info, pt.id, 0)
	info.SetValue(pt.ev.Value)
	target.SendSignalInfo(info, pt.target == nil)
}

// setTimerInfo sets si_timerid and si_overrun.
func setTimerInfo(info *linux.SignalInfo, id, overrun int32) {
	binary.LittleEndian.PutUint32(info.Fields[0:], uint32(id))
	binary.LittleEndian.PutUint32(info.Fields[4:], uint32(overrun))
}

// timerSignalDequeuedLocked completes a timer signal being dequeued: it fills si_overrun
// and resets the timer's overrun count.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) timerSignalDequeuedLocked(info *linux.SignalInfo) {
	id := int32(binary.LittleEndian.Uint32(info.Fields[0:]))
	ts := &tg.timers
	ts.mu.Lock()
	pt := ts.posix[id]
	ts.mu.Unlock()
	if pt == nil || !pt.pending || pt.ev.Signo != info.Signo {
		return
	}
	ov := int32(min(pt.overrun, delaytimerMax))
	pt.pending, pt.overrun, pt.lastOverrun = false, 0, ov
	setTimerInfo(info, id, ov)
}
