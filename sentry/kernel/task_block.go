package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// BlockOn blocks the task until ch is ready (nil), the deadline passes (ETIMEDOUT; a zero
// deadline never passes), or the task is interrupted: ERESTARTSYS when a signal it can act
// on is pending (the delivery point then restarts the syscall or makes it fail with EINTR;
// callers with other restart rules translate it), EINTR when the task must exit.
func (t *Task) BlockOn(ch <-chan struct{}, deadline time.Time) error {
	if t.exiting.Load() {
		return unix.EINTR
	}
	if t.signalPending() {
		return ERESTARTSYS
	}
	t.proc.blocked.Store(true)
	defer t.proc.blocked.Store(false)
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			select {
			case <-ch:
				return nil
			default:
				return unix.ETIMEDOUT
			}
		}
		// Since Go 1.23 a stopped timer delivers nothing stale, so Reset can reuse it.
		if t.blockTimer == nil {
			t.blockTimer = time.NewTimer(d)
		} else {
			t.blockTimer.Reset(d)
		}
		defer t.blockTimer.Stop()
		timeout = t.blockTimer.C
	}
	for {
		select {
		case <-ch:
			return nil
		case <-timeout:
			return unix.ETIMEDOUT
		case <-t.wake:
			if t.exiting.Load() {
				return unix.EINTR
			}
			if t.signalPending() {
				return ERESTARTSYS
			}
		}
	}
}

// Sleep blocks the task until the deadline or an interruption (BlockOn's errors).
func (t *Task) Sleep(deadline time.Time) error {
	err := t.BlockOn(nil, deadline)
	if err == unix.ETIMEDOUT {
		return nil
	}
	return err
}

// WaitReady blocks the task until w has an event in mask (BlockOn's errors if interrupted).
// The entry is registered before readiness is checked again, so that an event between the
// caller's failed attempt and the wait is not lost.
func (t *Task) WaitReady(w waiter.Waitable, mask waiter.EventMask) error {
	e, ch := waiter.ChannelEntry(mask)
	w.EventRegister(e)
	defer w.EventUnregister(e)
	if w.Readiness(mask) != 0 {
		return nil
	}
	return t.BlockOn(ch, time.Time{})
}

// BlockingIO is the loop of a blocking read or write: it calls attempt until attempt is
// done, waiting in between until w has an event in mask (WaitReady), or failing with
// EAGAIN at once if nonblocking.
func (t *Task) BlockingIO(w waiter.Waitable, mask waiter.EventMask, nonblocking bool, attempt func() (n int, done bool, err error)) (int, error) {
	for {
		if n, done, err := attempt(); done {
			return n, err
		}
		if nonblocking {
			return 0, unix.EAGAIN
		}
		if err := t.WaitReady(w, mask); err != nil {
			return 0, err
		}
	}
}
