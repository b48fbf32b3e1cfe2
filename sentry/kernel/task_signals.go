package kernel

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// Signal state in this milestone: dispositions, masks and alternate stacks are recorded and
// reported exactly; a signal whose action is to ignore it is discarded; one whose default
// action is to terminate ends the thread group with that signal; one with a handler stays
// pending (visible through rt_sigpending) because delivery to handlers — building the
// signal frame — comes with the processes milestone.

const (
	sigDFL = 0
	sigIGN = 1
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

// ValidSignal reports whether sig is a signal number (1..64).
func ValidSignal(sig int) bool { return sig >= 1 && sig <= linux.NumSignals }

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
		// instances, as POSIX requires.
		if a.Handler == sigIGN || (a.Handler == sigDFL && sigBit(sig)&defaultIgnored != 0) {
			tg.pending &^= sigBit(sig)
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
// Linux does), and acts on signals it unblocks.
func (t *Task) SetSigMask(mask uint64) {
	t.mu.Lock()
	t.sigMask = mask &^ unblockable
	t.mu.Unlock()
	t.checkPendingFatal()
}

// PendingSignals returns the signals pending for the task or its process.
func (t *Task) PendingSignals() uint64 {
	t.tg.mu.Lock()
	p := t.tg.pending
	t.tg.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	return p | t.pending
}

// AltStack returns sigaltstack's state.
func (t *Task) AltStack() linux.SigAltStack { return t.altStack }

// SetAltStack sets sigaltstack's state.
func (t *Task) SetAltStack(s linux.SigAltStack) { t.altStack = s }

// SendSignal sends sig to a task (thread-directed) or, with group set, to its process.
func (t *Task) SendSignal(sig int, group bool) {
	tg := t.tg
	tg.mu.Lock()
	act := tg.actions[sig-1]
	bit := sigBit(sig)
	switch {
	case sig == int(syscall.SIGKILL):
		tg.mu.Unlock()
		tg.groupExit(ExitStatus{Signo: sig})
		return
	case act.Handler == sigIGN, act.Handler == sigDFL && bit&defaultIgnored != 0:
		tg.mu.Unlock()
		return
	}
	if group {
		tg.pending |= bit
	} else {
		t.mu.Lock()
		t.pending |= bit
		t.mu.Unlock()
	}
	tg.mu.Unlock()
	t.checkPendingFatal()
}

// checkPendingFatal ends the thread group if a pending, unblocked signal's action is the
// default "terminate" (with or without core). Stop signals stay pending (job control comes
// with processes) and so do signals with handlers.
func (t *Task) checkPendingFatal() {
	tg := t.tg
	tg.mu.Lock()
	t.mu.Lock()
	pending := (tg.pending | t.pending) &^ t.sigMask
	t.mu.Unlock()
	fatal := 0
	for sig := 1; sig <= linux.NumSignals && pending != 0; sig++ {
		bit := sigBit(sig)
		if pending&bit == 0 {
			continue
		}
		if tg.actions[sig-1].Handler == sigDFL && bit&(defaultIgnored|defaultStop) == 0 {
			fatal = sig
			break
		}
	}
	tg.mu.Unlock()
	if fatal != 0 {
		tg.groupExit(exitStatusFromSignal(fatal))
	}
}

// forceFaultSignal handles a synchronous fault the memory manager could not resolve. Linux
// forces such a signal: if it is blocked or ignored the default action applies. Delivery to
// a handler comes with the processes milestone; until then a fault always terminates.
func (t *Task) forceFaultSignal(sig int, addr uintptr) {
	if h := t.tg.SigAction(sig).Handler; h != sigDFL && h != sigIGN {
		t.k.Logf("task %d: signal %d at %#x has a handler, but handler delivery is not implemented: terminating", t.tid, sig, addr)
	}
	t.tg.groupExit(exitStatusFromSignal(sig))
}

// exitStatusFromSignal is the status of a process killed by sig. Core dumps are never
// written (RLIMIT_CORE is 0 in the sandbox), so the core bit is not set, as on Linux.
func exitStatusFromSignal(sig int) ExitStatus {
	return ExitStatus{Signo: sig}
}

// TaskByTID returns the live task with thread id tid.
func (k *Kernel) TaskByTID(tid int32) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks[tid]
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
	for _, t := range k.tasks {
		if !seen[t.tg] {
			seen[t.tg] = true
			out = append(out, t.tg)
		}
	}
	return out
}
