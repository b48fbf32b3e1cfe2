package kernel

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Signals.
//
// A signal is sent to a task (thread-directed: tgkill, faults) or to its thread group
// (process-directed: kill), and waits, with its siginfo, in the task's or the group's
// pending queue (sigQueue: standard signals coalesce, real-time signals queue up to
// RLIMIT_SIGPENDING). Sending interrupts a task that does not block the signal: out of
// application code (platform Interrupt) or out of a blocking syscall (BlockOn returns
// ERESTARTSYS).
//
// Signals are acted on only by the task goroutine, at the delivery point before each switch
// into application code (deliverSignals, signal_deliver.go): the lowest unblocked pending
// signal (synchronous fault signals first, then the task's queue, then the group's) is
// dequeued and ignored, made fatal, or handed to its handler on a signal frame. The syscall
// that was interrupted is restarted or fails with EINTR there, per its ERESTART* error and
// SA_RESTART.
//
// Job control (stop signals, SIGCONT) is in signal_jobctl.go.
//
// The sandbox's init is protected as a pid namespace's init is (pid_namespaces(7)): a signal
// whose action is the default is dropped when sent to it, unless it is SIGKILL or SIGSTOP
// sent from outside the sandbox (SendExternalSignal) or by the kernel (si_code SI_KERNEL);
// one that was blocked when sent is dropped at delivery. Fault signals it does not handle
// still kill it (forceSignal lifts the protection).
//
// Locking: pending queues and signal actions are guarded by ThreadGroup.mu; Task.sigMask is
// written with ThreadGroup.mu and Task.mu held.

const (
	sigDFL = 0
	sigIGN = 1
)

// Errors a syscall returns to be restarted after a signal (include/linux/errno.h). The
// application never sees them: the delivery point turns them into a restart or EINTR.
const (
	// ERESTARTSYS restarts the syscall if no handler runs or the handler has SA_RESTART.
	ERESTARTSYS = unix.Errno(512)
	// ERESTARTNOINTR always restarts the syscall.
	ERESTARTNOINTR = unix.Errno(513)
	// ERESTARTNOHAND restarts the syscall only if no handler runs.
	ERESTARTNOHAND = unix.Errno(514)
	// ERESTART_RESTARTBLOCK restarts through restart_syscall(2), which runs the function
	// the syscall set with SetRestartSyscall, if no handler runs.
	ERESTART_RESTARTBLOCK = unix.Errno(516)
)

func sigBit(sig int) uint64 { return 1 << uint(sig-1) }

// unblockable signals can be neither blocked nor caught.
var unblockable = sigBit(int(syscall.SIGKILL)) | sigBit(int(syscall.SIGSTOP))

// defaultIgnored are signals whose default action is to ignore them.
var defaultIgnored = sigBit(int(syscall.SIGCHLD)) | sigBit(int(syscall.SIGURG)) | sigBit(int(syscall.SIGWINCH)) | sigBit(int(syscall.SIGCONT))

// defaultStop are signals whose default action is to stop the process.
var defaultStop = sigBit(int(syscall.SIGSTOP)) | sigBit(int(syscall.SIGTSTP)) | sigBit(int(syscall.SIGTTIN)) | sigBit(int(syscall.SIGTTOU))

// defaultCore are signals whose default action is to terminate with a core dump.
var defaultCore = sigBit(int(syscall.SIGQUIT)) | sigBit(int(syscall.SIGILL)) | sigBit(int(syscall.SIGTRAP)) |
	sigBit(int(syscall.SIGABRT)) | sigBit(int(syscall.SIGBUS)) | sigBit(int(syscall.SIGFPE)) |
	sigBit(int(syscall.SIGSEGV)) | sigBit(int(syscall.SIGXCPU)) | sigBit(int(syscall.SIGXFSZ)) | sigBit(int(syscall.SIGSYS))

// synchronousSignals are delivered before any other pending signal, as Linux does, so that
// a fault is handled with the state that caused it.
var synchronousSignals = sigBit(int(syscall.SIGSEGV)) | sigBit(int(syscall.SIGBUS)) | sigBit(int(syscall.SIGILL)) |
	sigBit(int(syscall.SIGTRAP)) | sigBit(int(syscall.SIGFPE)) | sigBit(int(syscall.SIGSYS))

// MayKill reports whether tg may send sig to target (kill_ok_by_cred and the SIGCONT
// exception of Linux's check_kill_permission): always to itself; otherwise if tg's real or
// effective uid is target's real or saved uid, if tg holds CAP_KILL, or for SIGCONT within
// tg's session. kill, tgkill, tkill, rt_(tg)sigqueueinfo and pidfd_send_signal all ask it,
// for signal 0 too.
func (tg *ThreadGroup) MayKill(target *ThreadGroup, sig int) bool {
	if tg == target {
		return true
	}
	c, tc := tg.Creds(), target.Creds()
	if c.EffectiveUID == tc.RealUID || c.EffectiveUID == tc.SavedUID || c.RealUID == tc.RealUID ||
		c.RealUID == tc.SavedUID || c.HasCap(unix.CAP_KILL) {
		return true
	}
	if sig != int(unix.SIGCONT) {
		return false
	}
	s := tg.Session()
	return s != nil && s == target.Session()
}

// ValidSignal reports whether sig is a signal number (1..64).
func ValidSignal(sig int) bool { return sig >= 1 && sig <= linux.NumSignals }

// ignoredAction reports whether act discards sig.
func ignoredAction(sig int, act *linux.SigAction) bool {
	return act.Handler == sigIGN || (act.Handler == sigDFL && sigBit(sig)&defaultIgnored != 0)
}

// SigAction returns the disposition of sig.
func (tg *ThreadGroup) SigAction(sig int) linux.SigAction {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.actions[sig-1]
}

// SetSigAction implements rt_sigaction's update: it returns the old action.
func (tg *ThreadGroup) SetSigAction(sig int, act *linux.SigAction) (linux.SigAction, error) {
	if !ValidSignal(sig) {
		return linux.SigAction{}, unix.EINVAL
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	old := tg.actions[sig-1]
	if act != nil {
		if sigBit(sig)&unblockable != 0 {
			return linux.SigAction{}, unix.EINVAL
		}
		a := *act
		a.Mask &^= unblockable
		tg.actions[sig-1] = a
		// Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards pending
		// instances, blocked or not, as POSIX requires.
		if ignoredAction(sig, &a) {
			tg.sigQueued -= tg.pending.discard(sig)
			for t := range tg.tasks {
				tg.sigQueued -= t.sig.pending.discard(sig)
			}
		}
	}
	return old, nil
}

// SigMask returns the task's blocked set.
func (t *Task) SigMask() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sigMask
}

// SetSigMask sets the blocked set (SIGKILL and SIGSTOP are silently left unblocked, as
// Linux does). Signals it unblocks are delivered at the next delivery point; pending
// process-directed signals it blocks are handed to another thread that can take them.
func (t *Task) SetSigMask(mask uint64) {
	tg := t.tg
	tg.mu.Lock()
	wake := t.setSigMaskLocked(mask)
	tg.mu.Unlock()
	if wake != nil {
		wake.interrupt()
	}
}

// setSigMaskLocked sets the mask and returns a task to interrupt for group signals newly
// blocked here, or nil.
//
// Preconditions: t.tg.mu is held.
func (t *Task) setSigMaskLocked(mask uint64) *Task {
	mask &^= unblockable
	t.mu.Lock()
	newlyBlocked := mask &^ t.sigMask
	t.sigMask = mask
	t.mu.Unlock()
	if shared := t.tg.pending.set & newlyBlocked; shared != 0 {
		for o := range t.tg.tasks {
			if o != t && shared&^o.sigMask != 0 {
				return o
			}
		}
	}
	return nil
}

// SetSavedSigMask installs mask for the rest of the current syscall (rt_sigsuspend,
// epoll_pwait): the mask in force before is restored at the next delivery point, after it
// has been recorded in any signal frame built there.
func (t *Task) SetSavedSigMask(mask uint64) {
	if !t.sig.haveSavedMask {
		t.sig.savedMask = t.SigMask()
		t.sig.haveSavedMask = true
	}
	t.SetSigMask(mask)
}

// RestoreSavedSigMask restores the mask SetSavedSigMask replaced, now, for a syscall that
// ends without being interrupted.
func (t *Task) RestoreSavedSigMask() {
	if t.sig.haveSavedMask {
		t.sig.haveSavedMask = false
		t.SetSigMask(t.sig.savedMask)
	}
}

// PendingSignals returns the signals pending for the task or its process.
func (t *Task) PendingSignals() uint64 {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.tg.pending.set | t.sig.pending.set
}

// AltStack returns sigaltstack's state: ss_flags is SS_DISABLE when there is none, else
// SS_AUTODISARM or 0 (SS_ONSTACK is computed by the caller from the stack pointer).
func (t *Task) AltStack() linux.SigAltStack {
	s := t.altStack
	if s.Size == 0 {
		return linux.SigAltStack{Flags: linux.SS_DISABLE}
	}
	return s
}

// SetAltStack sets sigaltstack's state (SS_DISABLE, or a stack with SS_AUTODISARM or 0).
func (t *Task) SetAltStack(s linux.SigAltStack) {
	if s.Flags&linux.SS_DISABLE != 0 {
		s = linux.SigAltStack{Flags: linux.SS_DISABLE}
	}
	t.altStack = s
}

// OnAltStack reports whether sp is on the task's alternate signal stack. As on Linux, a
// stack with SS_AUTODISARM never counts: the task cannot be on it unless it set it up while
// already there.
func (t *Task) OnAltStack(sp uintptr) bool {
	s := t.altStack
	if s.Size == 0 || uint32(s.Flags)&linux.SS_AUTODISARM != 0 {
		return false
	}
	return uint64(sp) > s.Addr && uint64(sp)-s.Addr <= s.Size
}

// SendSignal sends sig to a task (thread-directed) or, with group set, to its process, as
// the kernel does (si_code SI_KERNEL). See SendSignalInfo.
func (t *Task) SendSignal(sig int, group bool) {
	info := &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL}
	t.SendSignalInfo(info, group)
}

// SendSignalInfo sends info.Signo with info to t or, with group set, to t's process. A
// signal the target ignores is dropped (unless the target blocks it); SIGKILL ends the group
// at once; SIGCONT and stop signals have their job-control effects first (signal_jobctl.go).
// A signal with si_code SI_KERNEL comes from the kernel, which may SIGKILL or SIGSTOP the
// sandbox's init. It returns EAGAIN if a real-time signal sent by sigqueue-like means
// (si_code not SI_USER) would exceed RLIMIT_SIGPENDING.
func (t *Task) SendSignalInfo(info *linux.SignalInfo, group bool) error {
	return t.sendSignal(info, group, info.Code == linux.SI_KERNEL)
}

// SendUserSignal sends info, from sender's kill, tkill, tgkill, rt_sigqueueinfo or
// pidfd_send_signal, to t or (group) its process. As on Linux, info carries the sender's
// pid in the sender's own namespace; a sender that is not visible in t's pid namespace
// (it is in an ancestor) appears there with si_pid 0, and it may SIGKILL or SIGSTOP the
// namespace's init.
func (t *Task) SendUserSignal(sender *ThreadGroup, info *linux.SignalInfo, group bool) error {
	force := info.Code == linux.SI_KERNEL
	if sender != nil && sender.ids.in(t.tg.ids.ns) == 0 {
		switch info.Code {
		case linux.SI_USER, linux.SI_TKILL, linux.SI_QUEUE:
			cp := *info
			cp.SetPID(0)
			info = &cp
		}
		force = true
	}
	return t.sendSignal(info, group, force)
}

// SendExternalSignal sends sig to t's process from outside the sandbox (runsc kill): as
// from an ancestor pid namespace, si_pid is 0, and the sandbox's init gets SIGKILL and
// SIGSTOP even without a handler (but, as on Linux, no other signal it has no handler for).
func (t *Task) SendExternalSignal(sig int) error {
	return t.sendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}, true, true)
}

// sendSignal is SendSignalInfo; force says that the sender may SIGKILL or SIGSTOP init.
func (t *Task) sendSignal(info *linux.SignalInfo, group, force bool) error {
	sig := int(info.Signo)
	if !ValidSignal(sig) {
		return unix.EINVAL
	}
	tg := t.tg
	bit := sigBit(sig)
	tg.mu.Lock()
	if tg.exiting {
		tg.mu.Unlock()
		return nil
	}
	wake, notify := tg.jobControlSendLocked(sig)
	act := &tg.actions[sig-1]
	dropped := false
	switch {
	case t.sigMask&bit != 0:
		// A blocked signal is kept: its action may change before it is unblocked.
	case tg.unkillable && act.Handler == sigDFL && !(force && bit&unblockable != 0):
		// The sandbox's init gets no signal it has not asked for (pid_namespaces(7)).
		dropped = true
	case ignoredAction(sig, act):
		dropped = true
	}
	if dropped || sig == int(syscall.SIGKILL) {
		tg.mu.Unlock()
		tg.finishContinue(wake, notify)
		if !dropped {
			tg.groupExit(ExitStatus{Signo: sig})
		}
		return nil
	}
	q := &t.sig.pending
	if group {
		q = &tg.pending
	}
	// POSIX timer signals are exempt: a timer queues at most one (timer_posix.go).
	if sig >= linux.SIGRTMIN && info.Code != linux.SI_USER && info.Code != linux.SI_TIMER &&
		uint64(tg.sigQueued) >= tg.rlimits[unix.RLIMIT_SIGPENDING].Cur {
		tg.mu.Unlock()
		tg.finishContinue(wake, notify)
		return unix.EAGAIN
	}
	cp := *info
	if q.push(&cp) {
		tg.sigQueued++
	}
	target := t
	if group && t.sigMask&bit != 0 {
		target = nil
		for o := range tg.tasks {
			if o.sigMask&bit == 0 {
				target = o
				break
			}
		}
	} else if !group && t.sigMask&bit != 0 {
		target = nil
	}
	tg.mu.Unlock()
	tg.finishContinue(wake, notify)
	if target != nil {
		target.interrupt()
	}
	tg.signalfds.Notify(waiter.EventIn)
	return nil
}

// forceSignal sends a synchronous signal to t as Linux's force_sig does: if t blocks or
// ignores it, its action is reset to the default and it is unblocked, so that it cannot be
// lost (a fault the application cannot handle kills it).
func (t *Task) forceSignal(info *linux.SignalInfo) {
	sig := int(info.Signo)
	tg := t.tg
	tg.mu.Lock()
	act := &tg.actions[sig-1]
	blocked := t.sigMask&sigBit(sig) != 0
	if blocked || act.Handler == sigIGN {
		act.Handler = sigDFL
		if blocked {
			t.mu.Lock()
			t.sigMask &^= sigBit(sig)
			t.mu.Unlock()
		}
	}
	if act.Handler == sigDFL {
		// A fault nothing handles kills even init.
		tg.unkillable = false
	}
	cp := *info
	if t.sig.pending.push(&cp) {
		tg.sigQueued++
	}
	tg.mu.Unlock()
}

// forceFaultSignal handles a synchronous fault the memory manager could not resolve: the
// signal is forced on the task (forceSignal) with the fault's si_code and si_addr, and the
// delivery point that follows runs its handler or its default action.
func (t *Task) forceFaultSignal(sig int, code int32, addr uintptr) {
	info := &linux.SignalInfo{Signo: int32(sig), Code: code}
	info.SetAddr(uint64(addr))
	t.forceSignal(info)
}

// exitStatusFromSignal is the status of a process killed by sig. Core dumps are never
// written (RLIMIT_CORE is 0 in the sandbox), so the core bit is not set, as on Linux.
func exitStatusFromSignal(sig int) ExitStatus {
	return ExitStatus{Signo: sig}
}

// TaskByTID returns the live task with thread id tid in the root pid namespace.
func (k *Kernel) TaskByTID(tid int32) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.root.tasks[tid]
}

// Leader returns the thread group leader (or any live task if the leader has exited).
func (tg *ThreadGroup) Leader() *Task {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if _, ok := tg.tasks[tg.leader]; ok {
		return tg.leader
	}
	for t := range tg.tasks {
		return t
	}
	return nil
}

// ThreadGroups returns every live process.
func (k *Kernel) ThreadGroups() []*ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	seen := map[*ThreadGroup]bool{}
	var out []*ThreadGroup
	for _, t := range k.root.tasks {
		if !seen[t.tg] {
			seen[t.tg] = true
			out = append(out, t.tg)
		}
	}
	return out
}
