package kernel

import (
	"syscall"
)

// Job control: group stop and SIGCONT (signal(7), "Stopping and continuing").
//
// A stop signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) whose action is the default stops
// every thread of its process. The task that dequeues it at the delivery point starts a
// group stop: every other live task gets stopPending and is interrupted; each takes part at
// its own next delivery point (a blocking syscall returns ERESTARTSYS first, so that it is
// restarted once the process continues), and sleeps there until SIGCONT or SIGKILL. The last
// task to stop marks the process stopped and tells its parent (SIGCHLD with CLD_STOPPED
// unless SA_NOCLDSTOP; wait with WUNTRACED reports it once). SIGTSTP, SIGTTIN and SIGTTOU are
// discarded instead when the process group is orphaned (an orphaned group has nobody to
// continue it); SIGSTOP always stops.
//
// When a signal is sent (before it is queued, and whatever its disposition or the mask):
// SIGCONT discards pending stop signals, ends a stop in progress, wakes stopped tasks and
// tells the parent (CLD_CONTINUED, which wait with WCONTINUED reports once); a stop signal
// discards pending SIGCONT.
//
// When a process exits and thereby orphans a process group with a stopped member, that
// group gets SIGHUP then SIGCONT (orphanedGroupsOnExitLocked).
//
// Interfaces for other subsystems (terminals' SIGTTIN/SIGTTOU and foreground groups):
// Kernel.SignalProcessGroup, Kernel.IsOrphaned, Task.IsOrphanedPGrp,
// Task.SignalIgnoredOrBlocked and ThreadGroup.Stopped.
//
// Locking: groupStop and the stop fields of taskSignals are guarded by ThreadGroup.mu; the
// parent is told after ThreadGroup.mu is dropped (Kernel.mu comes first).

// groupStop is a process's job-control state. Guarded by ThreadGroup.mu.
type groupStop struct {
	// pending counts the tasks that have yet to stop in the group stop in progress; 0 when
	// none is in progress.
	pending int
	// signo is the signal of the current or last group stop.
	signo int
	// stopped is set once every task has stopped, until SIGCONT.
	stopped bool
	// contGen is incremented by every SIGCONT: a task that drops the lock between dequeuing
	// a stop signal and acting on it learns whether a SIGCONT came in between.
	contGen uint64
}

var (
	sigContBit = sigBit(int(syscall.SIGCONT))
	sigStop    = int(syscall.SIGSTOP)
)

// discardLocked drops every pending instance of sig, process-wide and in every task.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) discardLocked(sig int) {
	tg.sigQueued -= tg.pending.discard(sig)
	for t := range tg.tasks {
		tg.sigQueued -= t.sig.pending.discard(sig)
	}
}

// jobControlSendLocked applies the job-control side effects of sending sig to tg (Linux's
// prepare_signal): a stop signal discards pending SIGCONT; SIGCONT discards pending stop
// signals, cancels the group stop and returns the tasks to wake and the parent
// notification to send (CLD_CONTINUED, CLD_STOPPED if a stop was in progress, or 0).
//
// Preconditions: tg.mu is held; tg is not exiting.
func (tg *ThreadGroup) jobControlSendLocked(sig int) (wake []*Task, notify int32) {
	bit := sigBit(sig)
	switch {
	case bit&defaultStop != 0:
		if tg.pending.set&sigContBit != 0 || tg.anyTaskPendingLocked(sigContBit) {
			tg.discardLocked(int(syscall.SIGCONT))
		}
	case bit == sigContBit:
		for stop := defaultStop; stop != 0; stop &= stop - 1 {
			s := trailingSig(stop)
			tg.discardLocked(s)
		}
		tg.jc.contGen++
		for t := range tg.tasks {
			t.sig.stopPending = false
			if t.sig.stopped {
				t.sig.stopped = false
				// Runnable from now on (/proc's state R), not blocked until it wakes.
				t.proc.blocked.Store(false)
				wake = append(wake, t)
			}
		}
		switch {
		case tg.jc.stopped:
			notify = cldContinued
		case tg.jc.pending > 0:
			// A stop was under way: as on Linux, the parent hears of it as a stop whose
			// continuation it does not hear of (SIGCHLD does not queue), while wait
			// reports the continuation.
			notify = cldStopped
		}
		tg.jc.stopped, tg.jc.pending = false, 0
	}
	return wake, notify
}

// anyTaskPendingLocked reports whether a task of tg has a signal of set pending.
//
// Preconditions: tg.mu is held.
func (tg *ThreadGroup) anyTaskPendingLocked(set uint64) bool {
	for t := range tg.tasks {
		if t.sig.pending.set&set != 0 {
			return true
		}
	}
	return false
}

// finishContinue wakes the tasks a SIGCONT resumed and tells the parent, after tg.mu has
// been dropped.
func (tg *ThreadGroup) finishContinue(wake []*Task, notify int32) {
	for _, t := range wake {
		t.interrupt()
	}
	switch notify {
	case cldContinued:
		tg.notifyJobChange(cldContinued)
	case cldStopped:
		tg.notifyJobChange(cldStopped)
	}
}

// startGroupStop acts on a stop signal t dequeued whose action is the default, with tg.mu
// released: unless the signal is discarded (an orphaned process group for all but SIGSTOP,
// or a SIGCONT or group exit in between), t starts a group stop (or joins the one in
// progress) and stops. gen is tg.jc.contGen when the signal was dequeued.
func (t *Task) startGroupStop(sig int, gen uint64) {
	tg := t.tg
	if sig != sigStop && t.IsOrphanedPGrp() {
		return
	}
	tg.mu.Lock()
	if tg.jc.contGen != gen || tg.exiting {
		tg.mu.Unlock()
		return
	}
	var others []*Task
	if !t.sig.stopPending {
		// No group stop includes t yet: start one. Tasks already stopped stay stopped
		// and do not count.
		if !tg.jc.stopped {
			tg.jc.signo = sig
		}
		tg.jc.pending = 0
		for o := range tg.tasks {
			if o.sig.stopped || o.exiting.Load() {
				continue
			}
			o.sig.stopPending = true
			tg.jc.pending++
			if o != t {
				others = append(others, o)
			}
		}
	}
	notify := t.participateGroupStopLocked()
	tg.mu.Unlock()
	for _, o := range others {
		o.interrupt()
	}
	t.sleepStopped(notify)
}

// participateGroupStopLocked makes t, which has stopPending, stop. It reports whether t was
// the last task to stop, which must tell the parent.
//
// Preconditions: tg.mu is held; t.sig.stopPending.
func (t *Task) participateGroupStopLocked() bool {
	tg := t.tg
	t.sig.stopPending = false
	t.sig.stopped = true
	if tg.jc.pending > 0 {
		tg.jc.pending--
	}
	if tg.jc.pending == 0 && !tg.jc.stopped {
		tg.jc.stopped = true
		return true
	}
	return false
}

// leaveGroupStopLocked is called when t exits: if the group stop in progress was waiting
// for t, it no longer does, and if t was the last one the parent must hear of the stop
// (the returned signal, else 0).
//
// Preconditions: tg.mu is held.
func (t *Task) leaveGroupStopLocked() int {
	tg := t.tg
	if !t.sig.stopPending {
		return 0
	}
	t.sig.stopPending = false
	tg.jc.pending--
	if tg.jc.pending == 0 && !tg.jc.stopped && !tg.exiting {
		tg.jc.stopped = true
		return tg.jc.signo
	}
	return 0
}

// sleepStopped keeps t stopped until SIGCONT or until it must exit. notify says that t
// completed the group stop and tells the parent first.
func (t *Task) sleepStopped(notify bool) {
	tg := t.tg
	if notify {
		tg.notifyJobChange(cldStopped)
	}
	t.sig.inStop.Store(true)
	t.proc.blocked.Store(true)
	defer func() {
		t.sig.inStop.Store(false)
		t.proc.blocked.Store(false)
	}()
	for !t.exiting.Load() {
		tg.mu.Lock()
		stopped := t.sig.stopped
		tg.mu.Unlock()
		if !stopped {
			return
		}
		<-t.wake
	}
}

// notifyJobChange records a stop (code cldStopped) or continuation (cldContinued) of tg for
// its parent's wait, wakes the parent's waiters and sends it SIGCHLD unless it set
// SA_NOCLDSTOP. The state is re-checked under the locks, so that of a stop and a
// continuation racing to be reported, the one that reflects the process's state wins.
// A continuation reported with cldStopped (a stop interrupted by SIGCONT) is recorded as a
// continuation.
func (tg *ThreadGroup) notifyJobChange(code int32) {
	k := tg.k
	k.mu.Lock()
	tg.mu.Lock()
	stopped, signo := tg.jc.stopped, tg.jc.signo
	tg.mu.Unlock()
	p := tg.parent
	status := int32(syscall.SIGCONT)
	switch {
	case code == cldStopped && stopped:
		tg.proc.stopSignal, tg.proc.continued = signo, false
		status = int32(signo)
	case !stopped:
		tg.proc.stopSignal, tg.proc.continued = 0, true
		if code == cldStopped {
			status = int32(signo)
		}
	default:
		k.mu.Unlock()
		return // stopped again since: that stop reports itself
	}
	if p != nil {
		p.notifyChildWaitLocked()
	}
	k.mu.Unlock()
	if p != nil && p.SigAction(int(syscall.SIGCHLD)).Flags&saNoCldStop == 0 {
		p.sendChildSignal(int(syscall.SIGCHLD), tg, code, status)
	}
}

// Stopped reports whether tg is stopped by job control.
func (tg *ThreadGroup) Stopped() bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.jc.stopped
}

// Stopped reports whether t is sleeping in a job-control stop (/proc's state T): no longer
// once a SIGCONT has ended the stop, even before t has woken, as on Linux, where the
// sender's kill makes the stopped tasks runnable.
func (t *Task) Stopped() bool {
	if !t.sig.inStop.Load() {
		return false
	}
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.sig.stopped
}

// SignalIgnoredOrBlocked reports whether t blocks sig or its process ignores it: a terminal
// uses it to decide between sending SIGTTOU/SIGTTIN and letting the access proceed (or
// fail with EIO).
func (t *Task) SignalIgnoredOrBlocked(sig int) bool {
	if !ValidSignal(sig) {
		return false
	}
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.sigMask&sigBit(sig) != 0 || t.tg.actions[sig-1].Handler == sigIGN
}

// IsOrphanedPGrp reports whether t's process group is orphaned (Kernel.IsOrphaned).
func (t *Task) IsOrphanedPGrp() bool {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	pg := t.tg.proc.pgrp
	return pg == nil || pg.orphanedLocked(nil)
}

// orphanedLocked reports whether pg is orphaned, not counting ignore (the process that is
// exiting).
//
// Preconditions: Kernel.mu is held.
func (pg *ProcessGroup) orphanedLocked(ignore *ThreadGroup) bool {
	for m := range pg.members {
		if m == ignore || m.proc.zombie {
			continue
		}
		p := m.parent
		if p == nil {
			continue
		}
		if pp := p.proc.pgrp; pp != nil && pp != pg && pp.session == pg.session {
			return false
		}
	}
	return true
}

// hasStoppedLocked reports whether a member of pg is stopped.
//
// Preconditions: Kernel.mu is held.
func (pg *ProcessGroup) hasStoppedLocked() bool {
	for m := range pg.members {
		m.mu.Lock()
		s := m.jc.stopped
		m.mu.Unlock()
		if s {
			return true
		}
	}
	return false
}

// orphanedGroupsOnExitLocked returns the process groups that tg's exit orphans while they
// have a stopped member, which must get SIGHUP then SIGCONT: tg's own group, if tg's
// parent was its link to the session; and its children's groups, if tg was theirs.
//
// Preconditions: Kernel.mu is held; tg's children have been reparented (the old parent of
// each is tg) and tg is a zombie.
func (k *Kernel) orphanedGroupsOnExitLocked(tg *ThreadGroup, children []*ThreadGroup) []*ProcessGroup {
	var out []*ProcessGroup
	add := func(pg *ProcessGroup) {
		for _, o := range out {
			if o == pg {
				return
			}
		}
		out = append(out, pg)
	}
	pg := tg.proc.pgrp
	if p := tg.parent; p != nil && pg != nil && p.proc.pgrp != nil && p.proc.pgrp != pg && p.proc.pgrp.session == pg.session &&
		pg.orphanedLocked(tg) && pg.hasStoppedLocked() {
		add(pg)
	}
	for _, c := range children {
		cpg := c.proc.pgrp
		if cpg == nil || pg == nil || cpg == pg || cpg.session != pg.session {
			continue
		}
		if cpg.orphanedLocked(nil) && cpg.hasStoppedLocked() {
			add(cpg)
		}
	}
	return out
}

// hangUpOrphans sends SIGHUP then SIGCONT to each group, as the kernel does.
func (k *Kernel) hangUpOrphans(pgs []*ProcessGroup) {
	for _, pg := range pgs {
		k.SignalProcessGroup(pg, int(syscall.SIGHUP))
		k.SignalProcessGroup(pg, int(syscall.SIGCONT))
	}
}

// trailingSig returns the lowest signal in a non-empty set.
func trailingSig(set uint64) int {
	n := 1
	for set&1 == 0 {
		set >>= 1
		n++
	}
	return n
}
