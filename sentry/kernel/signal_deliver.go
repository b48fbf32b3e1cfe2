package kernel

import (
	"math/bits"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
)

// x86-64 user-visible details of faults that sigcontext reports (trapno).
const (
	trapDivide    = 0
	trapDebug     = 1
	trapBreakpt   = 3
	trapInvalidOp = 6
	trapPageFault = 14
	sysRestart    = 219 // restart_syscall
)

// deliverableLocked returns the pending signals t can act on now: those it does not block.
//
// Preconditions: t.tg.mu is held.
func (t *Task) deliverableLocked() uint64 {
	return (t.sig.pending.set | t.tg.pending.set) &^ t.sigMask
}

// signalPending reports whether a signal t can act on is pending, or t must take part in a
// group stop: a blocking syscall must return.
func (t *Task) signalPending() bool {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.sig.stopPending || t.deliverableLocked() != 0
}

// dequeueLocked removes and returns the next signal among allowed to act on: synchronous
// signals of the task's queue first, then the task's queue, then the group's, lowest number
// first. It returns nil if none is pending.
//
// Preconditions: t.tg.mu is held.
func (t *Task) dequeueLocked(allowed uint64) *linux.SignalInfo {
	tg := t.tg
	var q *sigQueue
	var set uint64
	switch {
	case t.sig.pending.set&allowed&synchronousSignals != 0:
		q, set = &t.sig.pending, t.sig.pending.set&allowed&synchronousSignals
	case t.sig.pending.set&allowed != 0:
		q, set = &t.sig.pending, t.sig.pending.set&allowed
	case tg.pending.set&allowed != 0:
		q, set = &tg.pending, tg.pending.set&allowed
	default:
		return nil
	}
	info := q.pop(bits.TrailingZeros64(set) + 1)
	if info != nil {
		tg.sigQueued--
		if info.Code == linux.SI_TIMER {
			tg.timerSignalDequeuedLocked(info)
		}
	}
	return info
}

// DequeueSignal removes and returns a pending signal of set for rt_sigtimedwait, or nil.
func (t *Task) DequeueSignal(set uint64) *linux.SignalInfo {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.dequeueLocked(set)
}

// SetRestartSyscall records what restart_syscall(2) runs; a syscall that returns
// ERESTART_RESTARTBLOCK sets it first.
func (t *Task) SetRestartSyscall(fn func(t *Task) (uintptr, error)) { t.sig.restartFn = fn }

// RestartSyscall implements restart_syscall(2).
func (t *Task) RestartSyscall() (uintptr, error) {
	fn := t.sig.restartFn
	t.sig.restartFn = nil
	if fn == nil {
		return 0, unix.EINTR
	}
	return fn(t)
}

// deliverSignals is the delivery point, run by the task goroutine before every switch into
// application code: it acts on pending signals (handler frames, default actions), then
// settles the syscall that just returned (restart or EINTR) and the saved mask.
func (t *Task) deliverSignals() {
	restartErr := t.sig.restartErr
	t.sig.restartErr = nil
	handled := false
	for !t.exiting.Load() {
		tg := t.tg
		tg.mu.Lock()
		if t.sig.stopPending {
			// Another task started a group stop: take part in it.
			notify := t.participateGroupStopLocked()
			tg.mu.Unlock()
			t.sleepStopped(notify)
			continue
		}
		info := t.dequeueLocked(t.deliverableLocked())
		if info == nil {
			tg.mu.Unlock()
			break
		}
		sig := int(info.Signo)
		act := tg.actions[sig-1]
		switch {
		case act.Handler == sigIGN:
			tg.mu.Unlock()
			continue
		case act.Handler == sigDFL:
			bit := sigBit(sig)
			if tg.unkillable && bit&unblockable == 0 {
				// Init protection: only a signal that was blocked when sent gets here.
				tg.mu.Unlock()
				continue
			}
			gen := tg.jc.contGen
			tg.mu.Unlock()
			switch {
			case bit&defaultIgnored != 0:
				continue
			case bit&defaultStop != 0:
				t.startGroupStop(sig, gen)
				continue
			}
			tg.groupExit(exitStatusFromSignal(sig))
			return
		}
		if act.Flags&linux.SA_RESETHAND != 0 {
			tg.actions[sig-1].Handler = sigDFL
		}
		tg.mu.Unlock()

		if !handled {
			// The first handler decides how the interrupted syscall ends.
			switch restartErr {
			case ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
				t.regs.SetReturn(errnoReturn(unix.EINTR))
			case ERESTARTSYS:
				if act.Flags&linux.SA_RESTART != 0 {
					t.restartSyscall(false)
				} else {
					t.regs.SetReturn(errnoReturn(unix.EINTR))
				}
			case ERESTARTNOINTR:
				t.restartSyscall(false)
			}
			restartErr = nil
		}
		if err := t.runHandler(info, &act); err != nil {
			t.k.Logf("task %d: cannot deliver signal %d: %v", t.tid.Load(), sig, err)
			t.forceSigsegv(sig)
			continue
		}
		handled = true
	}
	if restartErr != nil {
		t.restartSyscall(restartErr == ERESTART_RESTARTBLOCK)
	}
	if t.sig.haveSavedMask {
		t.sig.haveSavedMask = false
		t.SetSigMask(t.sig.savedMask)
	}
}

// restartSyscall rewinds the task to the syscall instruction it stopped after, to make the
// same syscall again, or restart_syscall(2) with viaBlock.
func (t *Task) restartSyscall(viaBlock bool) {
	if viaBlock {
		t.regs.Rax = sysRestart
	} else {
		t.regs.Rax = t.regs.Orig_rax
	}
	t.regs.Rip -= 2 // the syscall instruction: 0f 05
}

// forceSigsegv handles a frame that could not be built for sig, as Linux does: SIGSEGV is
// forced, and if sig was SIGSEGV itself its handler is reset first, so the task dies.
func (t *Task) forceSigsegv(sig int) {
	if sig == int(syscall.SIGSEGV) {
		t.tg.mu.Lock()
		t.tg.actions[sig-1].Handler = sigDFL
		t.tg.mu.Unlock()
	}
	t.forceSignal(&linux.SignalInfo{Signo: int32(syscall.SIGSEGV), Code: linux.SI_KERNEL})
}

// faultTrapno returns sigcontext's trapno for a fault signal.
func faultTrapno(info *linux.SignalInfo) uint64 {
	if info.Code <= 0 || info.Code == linux.SI_KERNEL {
		return 0
	}
	switch syscall.Signal(info.Signo) {
	case syscall.SIGSEGV, syscall.SIGBUS:
		return trapPageFault
	case syscall.SIGFPE:
		return trapDivide
	case syscall.SIGILL:
		return trapInvalidOp
	case syscall.SIGTRAP:
		if info.Code == 1 { // TRAP_BRKPT
			return trapBreakpt
		}
		return trapDebug
	}
	return 0
}

// runHandler builds a signal frame for info on the task's stack (or its alternate stack)
// and points the registers at act's handler. On error nothing has changed but possibly the
// application memory below the stack pointer.
func (t *Task) runHandler(info *linux.SignalInfo, act *linux.SigAction) error {
	sig := int(info.Signo)
	// x86-64 has no kernel-provided return trampoline: without sa_restorer Linux fails the
	// frame (and the task gets SIGSEGV).
	if act.Flags&linux.SA_RESTORER == 0 {
		return unix.EFAULT
	}
	regs := &t.regs
	sp := uintptr(regs.Rsp) - arch.RedZoneSize
	alt := t.AltStack()
	onAlt := t.OnAltStack(uintptr(regs.Rsp))
	entering := false
	if act.Flags&linux.SA_ONSTACK != 0 && alt.Size != 0 && !onAlt {
		sp = uintptr(alt.Addr + alt.Size)
		entering = true
	}
	fp, err := t.ctx.FullState(t.mm.AddressSpace())
	if err != nil {
		return err
	}
	f := arch.SignalFrame{
		Info:     *info,
		Mask:     t.SigMask(),
		Stack:    alt,
		FPState:  fp,
		Restorer: act.Restorer,
	}
	if t.sig.haveSavedMask {
		f.Mask = t.sig.savedMask
	}
	if tr := faultTrapno(info); tr != 0 || info.Code > 0 {
		f.Trapno = tr
		if tr == trapPageFault {
			f.Cr2 = info.Addr()
			f.Err = 4 // a user-mode access
		}
	}
	l := arch.BuildSignalFrame(regs, sp, &f)
	if (entering || onAlt) && uint64(l.Addr) < alt.Addr {
		return unix.ENOMEM // the frame would overflow the alternate stack
	}
	if _, err := t.CopyOut(l.Addr, l.Bytes); err != nil {
		return err
	}
	if err := t.ctx.SetFullState(t.mm.AddressSpace(), arch.InitFPState(fp)); err != nil {
		return err
	}
	if entering && uint32(alt.Flags)&linux.SS_AUTODISARM != 0 {
		t.SetAltStack(linux.SigAltStack{Flags: linux.SS_DISABLE})
	}
	regs.SetupSignalHandler(l, act.Handler, sig)

	mask := t.SigMask() | act.Mask
	if act.Flags&linux.SA_NODEFER == 0 {
		mask |= sigBit(sig)
	}
	t.sig.haveSavedMask = false
	t.SetSigMask(mask)
	return nil
}

// SignalReturn implements rt_sigreturn(2): it restores the registers, FPU state, signal
// mask and alternate stack saved in the frame whose ucontext is at the stack pointer (the
// handler returned into sa_restorer, popping pretcode). A corrupt frame gets the task
// SIGSEGV, as on Linux. It returns ErrFullRestore.
func (t *Task) SignalReturn() error {
	if err := t.signalReturn(); err != nil {
		t.k.Logf("task %d: rt_sigreturn: bad frame: %v", t.tid.Load(), err)
		t.forceSignal(&linux.SignalInfo{Signo: int32(syscall.SIGSEGV), Code: linux.SI_KERNEL})
	}
	return ErrFullRestore
}

func (t *Task) signalReturn() error {
	ucAddr := uintptr(t.regs.Rsp)
	b := make([]byte, arch.UContextSize)
	if _, err := t.CopyIn(ucAddr, b); err != nil {
		return err
	}
	uc := arch.DecodeUContext(b)
	t.SetSigMask(uc.Sigmask)

	regs := t.regs
	if !regs.RestoreSignalContext(&uc) {
		return unix.EINVAL
	}
	if err := t.restoreFPState(uintptr(uc.MContext.Fpstate)); err != nil {
		return err
	}
	t.regs = regs
	// As Linux does, a bad uc_stack is ignored; only its fault would fail the frame.
	t.restoreAltStack(uc.Stack)
	return nil
}

// restoreFPState loads the FPU image at addr (0: reset the FPU to its initial state).
func (t *Task) restoreFPState(addr uintptr) error {
	as := t.mm.AddressSpace()
	cur, err := t.ctx.FullState(as)
	if err != nil {
		return err
	}
	var state []byte
	if addr == 0 {
		state = arch.InitFPState(cur)
	} else {
		head := make([]byte, arch.FXSaveSize)
		if _, err := t.CopyIn(addr, head); err != nil {
			return err
		}
		state = arch.FPStateFromFrame(cur, head, func(off, n int) ([]byte, error) {
			b := make([]byte, n)
			_, err := t.CopyIn(addr+uintptr(off), b)
			return b, err
		})
		if state == nil {
			return unix.EINVAL
		}
	}
	return t.ctx.SetFullState(as, state)
}

// restoreAltStack is sigaltstack(2) with the frame's uc_stack, errors ignored.
func (t *Task) restoreAltStack(s linux.SigAltStack) {
	if t.OnAltStack(uintptr(t.regs.Rsp)) {
		return
	}
	switch {
	case s.Flags&linux.SS_DISABLE != 0:
		t.SetAltStack(linux.SigAltStack{Flags: linux.SS_DISABLE})
	case uint32(s.Flags)&^uint32(linux.SS_AUTODISARM|linux.SS_ONSTACK) == 0 && s.Size != 0:
		s.Flags = int32(uint32(s.Flags) & linux.SS_AUTODISARM)
		t.SetAltStack(s)
	}
}

// errnoReturn is the rax value of a syscall failing with e.
func errnoReturn(e unix.Errno) uintptr { return uintptr(-int64(e)) }
