package kernel

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Interval timers (setitimer(2), alarm(2)): three per process, kept across execve and
// deleted at exit. ITIMER_REAL counts wall time (CLOCK_MONOTONIC) and sends SIGALRM;
// ITIMER_VIRTUAL counts the process's user CPU time and sends SIGVTALRM; ITIMER_PROF counts
// user and system CPU time and sends SIGPROF. The CPU-time ones are sampled (timer.go), so
// they fire within about 5 ms of the exact moment. The signals are process-directed with
// si_code SI_KERNEL, as on Linux.

// Which values of setitimer.
const (
	ITimerReal    = 0
	ITimerVirtual = 1
	ITimerProf    = 2
)

var itimerSignals = [3]int{int(syscall.SIGALRM), int(syscall.SIGVTALRM), int(syscall.SIGPROF)}

// itimer returns (creating it) the process's itimer which.
func (tg *ThreadGroup) itimer(which int) *Timer {
	ts := &tg.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if tm := ts.itimers[which]; tm != nil {
		return tm
	}
	var c Clock = WallClock(unix.CLOCK_MONOTONIC)
	switch which {
	case ITimerVirtual:
		c = CPUClock{TG: tg, Kind: CPUVirt}
	case ITimerProf:
		c = CPUClock{TG: tg, Kind: CPUProf}
	}
	sig := itimerSignals[which]
	tm := NewTimer(c, func(uint64) {
		if l := tg.Leader(); l != nil {
			l.SendSignal(sig, true)
		}
	})
	if ts.dead {
		tm.stopped = true
	}
	ts.itimers[which] = tm
	return tm
}

// GetITimer implements getitimer(2): the time left and the interval of itimer which.
func (tg *ThreadGroup) GetITimer(which int) (value, interval time.Duration, err error) {
	if which < 0 || which > 2 {
		return 0, 0, unix.EINVAL
	}
	value, interval = tg.itimer(which).Get()
	return value, interval, nil
}

// SetITimer implements setitimer(2): it arms (or with a zero value disarms) itimer which
// and returns its previous setting.
func (tg *ThreadGroup) SetITimer(which int, value, interval time.Duration) (oldValue, oldInterval time.Duration, err error) {
	if which < 0 || which > 2 {
		return 0, 0, unix.EINVAL
	}
	oldValue, oldInterval = tg.itimer(which).Set(value, interval, false)
	return oldValue, oldInterval, nil
}
