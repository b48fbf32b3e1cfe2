package tty

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Reads and writes of both sides. The *Locked cores never block; the Task-facing calls wait
// on the side's waiter queue (interruptibly, through Task.BlockOn) unless non-blocking.

// consumeInputLocked drops the first n bytes of the read queue.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) consumeInputLocked(n int) {
	tm.readq = tm.readq[:copy(tm.readq, tm.readq[n:])]
	for i := range tm.lineEnds {
		tm.lineEnds[i] -= n
	}
}

// readSlaveLocked reads input for the slave: in canonical mode at most one line (eof is
// set for a line ended by VEOF with nothing in it), otherwise what there is.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) readSlaveLocked(dst []byte) (n int, eof bool) {
	if !tm.termios.lflag(unix.ICANON) {
		n = copy(dst, tm.readq)
		tm.consumeInputLocked(n)
		return n, false
	}
	if len(tm.lineEnds) == 0 {
		return 0, false
	}
	end := tm.lineEnds[0]
	if end == 0 {
		tm.lineEnds = tm.lineEnds[:copy(tm.lineEnds, tm.lineEnds[1:])]
		return 0, true
	}
	n = copy(dst, tm.readq[:end])
	tm.consumeInputLocked(n)
	if tm.lineEnds[0] == 0 {
		tm.lineEnds = tm.lineEnds[:copy(tm.lineEnds, tm.lineEnds[1:])]
	}
	return n, false
}

// blocker waits on a waiter queue for a task.
type blocker struct {
	q  *waiter.Queue
	e  *waiter.Entry
	ch chan struct{}
}

// wait blocks t until the queue is notified or deadline passes (BlockOn's errors). The
// entry is registered on first use, before the caller re-checks its condition.
func (b *blocker) wait(t *kernel.Task, deadline time.Time) error {
	return t.BlockOn(b.ch, deadline)
}

// arm registers the blocker's entry on q (once).
func (b *blocker) arm(q *waiter.Queue) {
	if b.e == nil {
		b.q = q
		b.e, b.ch = waiter.ChannelEntry(waiter.AllEvents)
		q.EventRegister(b.e)
	}
}

func (b *blocker) done() {
	if b.e != nil {
		b.q.EventUnregister(b.e)
	}
}

// SlaveRead reads what the application reads from the terminal: a background process
// gets SIGTTIN (job control), a canonical read returns at most a line, a raw one follows
// VMIN and VTIME. After a hangup, reads return end of file.
func (tm *Terminal) SlaveRead(t *kernel.Task, dst []byte, nonblock bool) (int, error) {
	if err := tm.checkBackground(t, int(unix.SIGTTIN)); err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	var b blocker
	defer b.done()
	copied := 0
	var deadline time.Time
	for {
		tm.mu.Lock()
		canon := tm.termios.lflag(unix.ICANON)
		vmin, vtime := int(tm.termios.Cc[vMIN]), int(tm.termios.Cc[vTIME])
		n, eof := tm.readSlaveLocked(dst[copied:])
		readable := tm.slaveReadableLocked()
		hungUp := !tm.masterOpen
		tm.mu.Unlock()
		if n > 0 {
			tm.masterQ.Notify(waiter.EventOut)
		}
		copied += n
		if canon {
			if n > 0 || eof || hungUp {
				return copied, nil
			}
		} else {
			want := vmin
			if want == 0 {
				want = 1
			}
			if copied >= want || copied == len(dst) || hungUp {
				return copied, nil
			}
			if readable {
				continue
			}
			if vmin == 0 && vtime == 0 {
				return copied, nil
			}
			switch {
			case vmin == 0:
				// VTIME is a timeout for the whole read, from its start.
				if deadline.IsZero() {
					deadline = time.Now().Add(time.Duration(vtime) * 100 * time.Millisecond)
				}
			case vtime > 0 && n > 0:
				// VTIME is an inter-byte timer, started by the first byte.
				deadline = time.Now().Add(time.Duration(vtime) * 100 * time.Millisecond)
			}
		}
		if nonblock {
			if copied > 0 {
				return copied, nil
			}
			return 0, unix.EAGAIN
		}
		if b.e == nil {
			b.arm(&tm.slaveQ)
			continue // re-check now that wakeups cannot be missed
		}
		if err := b.wait(t, deadline); err != nil {
			if err == unix.ETIMEDOUT {
				return copied, nil
			}
			if copied > 0 {
				return copied, nil
			}
			return 0, err
		}
	}
}

// SlaveWrite writes application output through output processing: with TOSTOP a
// background process gets SIGTTOU; EIO after a hangup.
func (tm *Terminal) SlaveWrite(t *kernel.Task, src []byte, nonblock bool) (int, error) {
	tm.mu.Lock()
	tostop := tm.termios.lflag(unix.TOSTOP)
	tm.mu.Unlock()
	if tostop {
		if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
			return 0, err
		}
	}
	var b blocker
	defer b.done()
	done := 0
	for {
		tm.mu.Lock()
		if !tm.masterOpen {
			tm.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, unix.EIO
		}
		start := done
		for done < len(src) && len(tm.outq) < outputQueueMax {
			tm.outputLocked(src[done], false)
			done++
		}
		tm.mu.Unlock()
		if done > start {
			tm.masterQ.Notify(waiter.EventIn)
		}
		if done == len(src) {
			return done, nil
		}
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if b.e == nil {
			b.arm(&tm.slaveQ)
			continue
		}
		if err := b.wait(t, time.Time{}); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// ReadOutput is the master's read without waiting: output for the terminal's screen,
// EAGAIN if there is none, EIO once it is drained and no slave is open (after one was).
// In packet mode a read is either one status byte (TIOCPKT_FLUSHREAD...) or
// TIOCPKT_DATA followed by data.
func (tm *Terminal) ReadOutput(dst []byte) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	tm.mu.Lock()
	if tm.packet && tm.pktStatus != 0 {
		// A status byte alone.
		dst[0] = tm.pktStatus
		tm.pktStatus = 0
		tm.mu.Unlock()
		return 1, nil
	}
	if len(tm.outq) == 0 || tm.stopped {
		closed := tm.otherClosed
		tm.mu.Unlock()
		if closed {
			return 0, unix.EIO
		}
		return 0, unix.EAGAIN
	}
	hdr := 0
	if tm.packet {
		dst[0] = unix.TIOCPKT_DATA
		hdr = 1
	}
	n := copy(dst[hdr:], tm.outq)
	tm.outq = tm.outq[:copy(tm.outq, tm.outq[n:])]
	tm.mu.Unlock()
	tm.slaveQ.Notify(waiter.EventOut)
	return hdr + n, nil
}

// WriteInput is the master's write without waiting: keys typed at the terminal, through
// the line discipline. It returns how much was taken (EAGAIN if nothing fit); EIO when
// no slave is open. ISIG characters signal the foreground process group.
func (tm *Terminal) WriteInput(src []byte) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	var sigs signalSet
	tm.mu.Lock()
	if tm.slaveOpens == 0 {
		tm.mu.Unlock()
		return 0, unix.EIO
	}
	n := tm.receiveLocked(src, &sigs)
	fg := tm.fg
	tm.mu.Unlock()
	tm.notify()
	tm.sendSignals(fg, sigs)
	if n == 0 {
		return 0, unix.EAGAIN
	}
	return n, nil
}

// sendSignals sends the signals ISIG characters raised to the foreground group fg.
func (tm *Terminal) sendSignals(fg *kernel.ProcessGroup, sigs signalSet) {
	if fg == nil {
		return
	}
	for sig := 1; sigs != 0; sig++ {
		if sigs&1 != 0 {
			tm.k.SignalProcessGroup(fg, sig)
		}
		sigs >>= 1
	}
}

// receiveTyped puts src through the line discipline as typed input, whether or not a
// slave is open, dropping what does not fit (TIOCSTI).
func (tm *Terminal) receiveTyped(src []byte) {
	var sigs signalSet
	tm.mu.Lock()
	tm.receiveLocked(src, &sigs)
	fg := tm.fg
	tm.mu.Unlock()
	tm.notify()
	tm.sendSignals(fg, sigs)
}

// MasterRead is ReadOutput for a task, waiting unless nonblock.
func (tm *Terminal) MasterRead(t *kernel.Task, dst []byte, nonblock bool) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	var b blocker
	defer b.done()
	for {
		n, err := tm.ReadOutput(dst)
		if err != unix.EAGAIN || nonblock {
			return n, err
		}
		if b.e == nil {
			b.arm(&tm.masterQ)
			continue
		}
		if err := b.wait(t, time.Time{}); err != nil {
			return 0, err
		}
	}
}

// MasterWrite is WriteInput for a task: it waits for room unless nonblock.
func (tm *Terminal) MasterWrite(t *kernel.Task, src []byte, nonblock bool) (int, error) {
	var b blocker
	defer b.done()
	done := 0
	for done < len(src) {
		n, err := tm.WriteInput(src[done:])
		done += n
		if err == unix.EAGAIN && !nonblock {
			if b.e == nil {
				b.arm(&tm.masterQ)
				continue
			}
			if err := b.wait(t, time.Time{}); err != nil {
				if done > 0 {
					return done, nil
				}
				return 0, err
			}
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}
