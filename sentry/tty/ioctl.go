package tty

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Ioctl handles the terminal ioctls common to both sides (tty_ioctl and n_tty_ioctl): on
// the master side they act on the slave's settings, as Linux's pty master does, and skip
// the controlling-terminal checks. readable says whether the file was opened for reading
// (TIOCSCTTY); privileged whether the caller has CAP_SYS_ADMIN. Pty-specific ioctls
// (TIOCGPTN...) are the caller's (fsimpl/devpts).
func (tm *Terminal) Ioctl(t *kernel.Task, master, readable, privileged bool, cmd, arg uintptr) (uintptr, error) {
	if !master {
		tm.mu.Lock()
		hungUp := !tm.masterOpen
		tm.mu.Unlock()
		if hungUp {
			// A hung-up terminal (hung_up_tty_ioctl).
			if cmd == unix.TIOCSPGRP {
				return 0, unix.ENOTTY
			}
			return 0, unix.EIO
		}
	}
	switch cmd {
	case unix.TCGETS, unix.TCGETS2:
		size := termiosSize
		if cmd == unix.TCGETS2 {
			size = termios2Size
		}
		var b [termios2Size]byte
		tio := tm.Termios()
		tio.marshal(b[:size])
		return 0, copyOut(t, arg, b[:size])
	case unix.TCSETS, unix.TCSETSW, unix.TCSETSF, unix.TCSETS2, unix.TCSETSW2, unix.TCSETSF2:
		size := termiosSize
		if cmd == unix.TCSETS2 || cmd == unix.TCSETSW2 || cmd == unix.TCSETSF2 {
			size = termios2Size
		}
		if !master {
			if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
				return 0, err
			}
		}
		var b [termios2Size]byte
		if err := copyIn(t, arg, b[:size]); err != nil {
			return 0, err
		}
		var tio Termios
		tio.unmarshal(b[:])
		// TCSETSW waits for output to drain: the master reads it at its own pace, and a
		// pty's output is never "in transmission", so there is nothing to wait for.
		tm.mu.Lock()
		if cmd == unix.TCSETSF || cmd == unix.TCSETSF2 {
			tm.flushInputLocked()
		}
		tm.setTermiosLocked(tio)
		tm.mu.Unlock()
		tm.notify()
		return 0, nil
	case unix.TIOCGWINSZ:
		var b [winsizeSize]byte
		ws := tm.Winsize()
		ws.marshal(b[:])
		return 0, copyOut(t, arg, b[:])
	case unix.TIOCSWINSZ:
		var b [winsizeSize]byte
		if err := copyIn(t, arg, b[:]); err != nil {
			return 0, err
		}
		var ws Winsize
		ws.unmarshal(b[:])
		tm.SetWinsize(ws)
		return 0, nil
	case unix.TIOCSCTTY:
		return 0, tm.SetControllingTerminal(t, arg == 1, readable, privileged)
	case unix.TIOCNOTTY:
		if master {
			return 0, unix.ENOTTY
		}
		return 0, tm.releaseControllingTerminal(t)
	case unix.TIOCGPGRP:
		if !master && !tm.isCttyOf(t) {
			return 0, unix.ENOTTY
		}
		return 0, putInt32(t, arg, tm.foreground(t.PIDNamespace()))
	case unix.TIOCSPGRP:
		var b [4]byte
		if err := copyIn(t, arg, b[:]); err != nil {
			return 0, err
		}
		return 0, tm.setForeground(t, int32(binary.LittleEndian.Uint32(b[:])))
	case unix.TIOCGSID:
		if !master && !tm.isCttyOf(t) {
			return 0, unix.ENOTTY
		}
		sid, err := tm.sessionID(t.PIDNamespace())
		if err != nil {
			return 0, err
		}
		return 0, putInt32(t, arg, sid)
	case unix.TIOCINQ: // FIONREAD
		tm.mu.Lock()
		n := len(tm.readq)
		if master {
			n = len(tm.outq)
		}
		tm.mu.Unlock()
		return 0, putInt32(t, arg, int32(n))
	case unix.TIOCOUTQ:
		// A pty has no transmitter: nothing is ever waiting to be sent (Linux's pty
		// driver reports 0 too).
		return 0, putInt32(t, arg, 0)
	case unix.TCFLSH:
		if !master {
			if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
				return 0, err
			}
		}
		// The queue a side reads is its input: the slave's is the read queue, the
		// master's the slave's output. Neither side has an output buffer of its own (a
		// pty's output reaches its peer's input at once), so TCOFLUSH has nothing to do.
		tm.mu.Lock()
		flushIn := tm.flushInputLocked
		if master {
			flushIn = tm.flushOutputLocked
		}
		flushOut := func() {
			// Nothing to discard, but packet mode reports it (pty_flush_buffer).
			if !master && tm.packet {
				tm.pktStatus |= unix.TIOCPKT_FLUSHWRITE
			}
		}
		switch arg {
		case unix.TCIFLUSH:
			flushIn()
		case unix.TCOFLUSH:
			flushOut()
		case unix.TCIOFLUSH:
			flushIn()
			flushOut()
		default:
			tm.mu.Unlock()
			return 0, unix.EINVAL
		}
		tm.mu.Unlock()
		tm.notify()
		return 0, nil
	case unix.TCSBRK, unix.TCSBRKP:
		// tcdrain and tcsendbreak: nothing is in transmission and a pty has no line to
		// send a break on.
		if !master {
			if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
				return 0, err
			}
		}
		return 0, nil
	case unix.TCXONC:
		if !master {
			if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
				return 0, err
			}
		}
		tm.mu.Lock()
		switch arg {
		case unix.TCOOFF:
			tm.setStoppedLocked(true)
		case unix.TCOON:
			tm.setStoppedLocked(false)
		case unix.TCIOFF, unix.TCION:
			// Sending STOP/START characters to a pty's master is not modelled.
		default:
			tm.mu.Unlock()
			return 0, unix.EINVAL
		}
		tm.mu.Unlock()
		tm.notify()
		return 0, nil
	case unix.TIOCSTI:
		// Pretend the byte was typed: for the caller's own controlling terminal, or with
		// privilege (Linux's legacy_tiocsti). It goes into the sentry's terminal only.
		if !privileged && (master || !tm.isCttyOf(t)) {
			return 0, unix.EPERM
		}
		var b [1]byte
		if err := copyIn(t, arg, b[:]); err != nil {
			return 0, err
		}
		tm.receiveTyped(b[:])
		return 0, nil
	case unix.TIOCGETD:
		return 0, putInt32(t, arg, 0) // N_TTY, the only line discipline
	case unix.TIOCSETD:
		var b [4]byte
		if err := copyIn(t, arg, b[:]); err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(b[:]) != 0 {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	return 0, unix.ENOTTY
}

func copyOut(t *kernel.Task, addr uintptr, b []byte) error {
	if _, err := t.CopyOut(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

func copyIn(t *kernel.Task, addr uintptr, b []byte) error {
	if _, err := t.CopyIn(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

func putInt32(t *kernel.Task, addr uintptr, v int32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return copyOut(t, addr, b[:])
}
