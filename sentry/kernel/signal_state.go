package kernel

import (
	"sync/atomic"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// sigQueue is a set of pending signals with their siginfo: a standard signal (below
// SIGRTMIN) is pending at most once, and a second instance sent while it is pending is
// merged into the first; every instance of a real-time signal is queued, in order.
//
// A sigQueue is guarded by the ThreadGroup.mu of the group it belongs to.
type sigQueue struct {
	// set has bit sig-1 for every signal with at least one queued instance.
	set uint64
	// infos are the queued instances of each signal, oldest first.
	infos [linux.NumSignals][]*linux.SignalInfo
}

// push queues info. It reports false if a standard signal was already pending (the new
// instance merges into it and nothing is queued).
func (q *sigQueue) push(info *linux.SignalInfo) bool {
	sig := int(info.Signo)
	if sig < linux.SIGRTMIN && q.set&sigBit(sig) != 0 {
		return false
	}
	q.infos[sig-1] = append(q.infos[sig-1], info)
	q.set |= sigBit(sig)
	return true
}

// pop dequeues the oldest instance of sig, or returns nil.
func (q *sigQueue) pop(sig int) *linux.SignalInfo {
	l := q.infos[sig-1]
	if len(l) == 0 {
		return nil
	}
	info := l[0]
	l[0] = nil
	q.infos[sig-1] = l[1:]
	if len(l) == 1 {
		q.infos[sig-1] = nil
		q.set &^= sigBit(sig)
	}
	return info
}

// discard drops every instance of sig and returns how many there were.
func (q *sigQueue) discard(sig int) int {
	n := len(q.infos[sig-1])
	q.infos[sig-1] = nil
	q.set &^= sigBit(sig)
	return n
}

// taskSignals is the per-task signal state that is not in Task itself.
type taskSignals struct {
	// pending holds thread-directed signals. Guarded by tg.mu.
	pending sigQueue

	// stopPending means the task must take part in the group stop in progress at its next
	// delivery point; stopped that it has, and waits for SIGCONT (signal_jobctl.go).
	// Guarded by tg.mu.
	stopPending, stopped bool
	// inStop is set while the task sleeps stopped (/proc's state T).
	inStop atomic.Bool

	// savedMask, if haveSavedMask, is the mask to restore once the current syscall has
	// returned and any handler frame has been built (which records savedMask as the mask
	// rt_sigreturn restores): rt_sigsuspend and epoll_pwait run with a temporary mask.
	// Owned by the task goroutine.
	savedMask     uint64
	haveSavedMask bool

	// restartErr is the ERESTART* error the last syscall returned, consumed by the next
	// delivery point, which turns it into a restart or EINTR. Owned by the task goroutine.
	restartErr error
	// restartFn is what restart_syscall(2) runs after an ERESTART_RESTARTBLOCK. Owned by
	// the task goroutine.
	restartFn func(t *Task) (uintptr, error)
}
