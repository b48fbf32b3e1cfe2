// Package tty is the sentry's terminal layer: a Terminal is one terminal device — a line
// discipline between a master side (the "keyboard and screen": bytes typed in, bytes to
// display) and a slave side (the application's /dev/pts/N) — with its termios, window size,
// controlling session and foreground process group.
//
// The line discipline (ldisc.go) is Linux's N_TTY as POSIX and termios(3) describe it:
// canonical mode with line editing (VERASE, VKILL, VWERASE, VEOF, VEOL, VEOL2), raw mode
// with VMIN/VTIME, ECHO/ECHOE/ECHOK/ECHOKE/ECHONL/ECHOCTL, ISIG (VINTR, VQUIT, VSUSP
// signal the foreground process group, flushing unless NOFLSH), ICRNL/INLCR/IGNCR/ISTRIP,
// IXON flow control (VSTOP/VSTART), IUTF8 erasure and OPOST/ONLCR/OCRNL/ONOCR/ONLRET/
// OLCUC/TAB3 output processing. Job control (jobcontrol.go) follows tty_io.c: a session
// leader opening a terminal without O_NOCTTY acquires it, TIOCSCTTY/TIOCNOTTY, background
// reads get SIGTTIN and, with TOSTOP, background writes SIGTTOU, a session leader's exit
// hangs up the foreground group. VLNEXT, VREPRINT and ECHOPRT work in canonical mode;
// VDISCARD is an ordinary character, as in Linux. The master has packet mode (TIOCPKT).
// Not implemented: parity and break handling.
//
// fsimpl/devpts makes Terminals for /dev/ptmx opens; runsc/boot pumps one between a host
// terminal and the container's init (its console).
//
// Locking: Terminal.mu guards all of a terminal's state. It is taken before Kernel.mu (the
// terminal asks the kernel about sessions and process groups with it held) and is never
// held while signals are sent or waiter queues are notified: those happen after it is
// released.
package tty

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

const (
	// inputQueueMax is N_TTY_BUF_SIZE: the most the slave's input queue (committed data
	// plus the line being edited) holds.
	inputQueueMax = 4096
	// outputQueueMax is how much the slave may write before the master reads: writes block
	// beyond it. Echoes may exceed it up to outputQueueHardMax, then they are dropped.
	outputQueueMax     = 16384
	outputQueueHardMax = 2 * outputQueueMax
)

// Terminal is a terminal: its line discipline, settings and job-control state.
type Terminal struct {
	// k is the kernel whose sessions and process groups the terminal deals with.
	k *kernel.Kernel
	// Index is the terminal's number (/dev/pts/Index). Immutable.
	Index uint32

	// masterQ and slaveQ are notified when the master's or the slave's readiness changes.
	masterQ, slaveQ waiter.Queue

	mu sync.Mutex
	// termios and winsize are the settings. Guarded by mu.
	termios Termios
	winsize Winsize
	// readq holds the input the slave can read: in canonical mode whole lines only, their
	// ends at the offsets in lineEnds (a line ended by VEOF has no byte of its own). Guarded
	// by mu.
	readq    []byte
	lineEnds []int
	// line is the canonical line being edited. Guarded by mu.
	line []byte
	// outq holds output (the slave's writes and echoes) for the master to read. Guarded by
	// mu.
	outq []byte
	// echoStart is where the current input write's echoes start in outq. Guarded by mu.
	echoStart int
	// column is the output column, for ONOCR, TAB3 and erasing tabs. Guarded by mu.
	column int
	// erasing is set while an ECHOPRT erasure is being echoed (until its closing /).
	// Guarded by mu.
	erasing bool
	// lnext is set by VLNEXT: the next input character is literal. Guarded by mu.
	lnext bool
	// stopped is set by VSTOP (IXON) or TCOOFF until VSTART or TCOON: output stays
	// queued. Guarded by mu (setStoppedLocked).
	stopped bool
	// packet is TIOCPKT on the master: its reads start with a status byte, pktStatus the
	// TIOCPKT_* events not yet reported. Guarded by mu.
	packet    bool
	pktStatus byte
	// masterOpen is cleared when the master side closes: the slave is hung up. Guarded by
	// mu.
	masterOpen bool
	// slaveOpens counts the slave side's open files; otherClosed is set when it drops to
	// zero (the master's reads then end with EIO) and cleared by the next open. Guarded by
	// mu.
	slaveOpens  int
	otherClosed bool
	// session is the session whose controlling terminal this is, fg its foreground
	// process group (nil: none). Guarded by mu.
	session *kernel.Session
	fg      *kernel.ProcessGroup
}

var _ kernel.ControllingTerminal = (*Terminal)(nil)

// New returns a terminal numbered index, with a pty slave's default settings, whose master
// side is open and slave side not yet.
func New(k *kernel.Kernel, index uint32) *Terminal {
	return &Terminal{k: k, Index: index, termios: defaultTermios(), masterOpen: true}
}

// notify wakes both sides' waiters; called with mu released.
func (tm *Terminal) notify() {
	tm.masterQ.Notify(waiter.AllEvents)
	tm.slaveQ.Notify(waiter.AllEvents)
}

// OpenSlave records an open of the slave side: EIO if the master has closed.
func (tm *Terminal) OpenSlave() error {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if !tm.masterOpen {
		return unix.EIO
	}
	tm.slaveOpens++
	tm.otherClosed = false
	return nil
}

// CloseSlave records that a slave open file was released.
func (tm *Terminal) CloseSlave() {
	tm.mu.Lock()
	tm.slaveOpens--
	if tm.slaveOpens == 0 {
		tm.otherClosed = true
	}
	tm.mu.Unlock()
	tm.notify()
}

// MasterOpen reports whether the master side is still open.
func (tm *Terminal) MasterOpen() bool {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.masterOpen
}

// CloseMaster closes the master side, which hangs the slave up (Hangup).
func (tm *Terminal) CloseMaster() {
	tm.mu.Lock()
	tm.masterOpen = false
	tm.mu.Unlock()
	tm.Hangup()
}

// Hangup hangs the terminal up, as the closing of a pty's master or a modem's carrier loss
// does: the controlling session's leader gets SIGHUP and SIGCONT and the session loses its
// controlling terminal. Slave reads see end of file and writes fail with EIO once the
// master has closed.
func (tm *Terminal) Hangup() {
	tm.mu.Lock()
	s := tm.session
	if s != nil {
		tm.k.SwapSessionTerminal(s, tm, nil)
	}
	tm.session, tm.fg = nil, nil
	tm.mu.Unlock()
	if s != nil {
		if leader := tm.k.ProcessByPID(s.SID()); leader != nil {
			if l := leader.Leader(); l != nil {
				l.SendSignal(int(unix.SIGHUP), true)
				l.SendSignal(int(unix.SIGCONT), true)
			}
		}
	}
	tm.notify()
}

// SessionLeaderExited implements kernel.ControllingTerminal: the foreground process group
// gets SIGHUP (and SIGCONT) and the session loses its terminal (disassociate_ctty).
func (tm *Terminal) SessionLeaderExited(s *kernel.Session) {
	tm.disassociate(s)
}

// disassociate detaches the terminal from session s, if it is s's controlling terminal,
// sending SIGHUP and SIGCONT to its foreground process group.
func (tm *Terminal) disassociate(s *kernel.Session) {
	tm.mu.Lock()
	if tm.session != s {
		tm.mu.Unlock()
		return
	}
	fg := tm.fg
	tm.k.SwapSessionTerminal(s, tm, nil)
	tm.session, tm.fg = nil, nil
	tm.mu.Unlock()
	if fg != nil {
		tm.k.SignalProcessGroup(fg, int(unix.SIGHUP))
		tm.k.SignalProcessGroup(fg, int(unix.SIGCONT))
	}
}

// Termios returns the current settings.
func (tm *Terminal) Termios() Termios {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.termios
}

// Winsize returns the window size.
func (tm *Terminal) Winsize() Winsize {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.winsize
}

// SetWinsize sets the window size; if it changed, the foreground process group gets
// SIGWINCH (tty_do_resize).
func (tm *Terminal) SetWinsize(ws Winsize) {
	tm.mu.Lock()
	changed := tm.winsize != ws
	tm.winsize = ws
	fg := tm.fg
	tm.mu.Unlock()
	if changed && fg != nil {
		tm.k.SignalProcessGroup(fg, int(unix.SIGWINCH))
	}
}

// setTermiosLocked installs new settings, moving data between the canonical line and the
// read queue when ICANON changes as n_tty_set_termios does: leaving canonical mode makes
// the line being edited readable; entering it makes pending input one line.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) setTermiosLocked(n Termios) {
	// A pty has no parity or character size to set (pty_set_termios).
	n.Cflag = n.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8 | unix.CREAD
	old := tm.termios
	wasCanon := old.lflag(unix.ICANON)
	tm.termios = n
	isCanon := n.lflag(unix.ICANON)
	switch {
	case wasCanon && !isCanon:
		tm.readq = append(tm.readq, tm.line...)
		tm.line = tm.line[:0]
		tm.lineEnds = tm.lineEnds[:0]
	case !wasCanon && isCanon:
		tm.lineEnds = tm.lineEnds[:0]
		if len(tm.readq) > 0 {
			tm.lineEnds = append(tm.lineEnds, len(tm.readq))
		}
	}
	if !n.iflag(unix.IXON) {
		tm.setStoppedLocked(false)
	}
	if tm.packet {
		// Packet mode reports whether ^S/^Q flow control is on (pty_set_termios).
		flow := func(t *Termios) bool { return t.iflag(unix.IXON) && t.Cc[vSTOP] == 0x13 && t.Cc[vSTART] == 0x11 }
		if was, is := flow(&old), flow(&n); was != is {
			tm.pktStatus &^= unix.TIOCPKT_DOSTOP | unix.TIOCPKT_NOSTOP
			if is {
				tm.pktStatus |= unix.TIOCPKT_DOSTOP
			} else {
				tm.pktStatus |= unix.TIOCPKT_NOSTOP
			}
		}
	}
}

// setStoppedLocked stops or restarts output, reporting the change in packet mode.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) setStoppedLocked(stop bool) {
	if tm.stopped == stop {
		return
	}
	tm.stopped = stop
	if tm.packet {
		if stop {
			tm.pktStatus = tm.pktStatus&^unix.TIOCPKT_START | unix.TIOCPKT_STOP
		} else {
			tm.pktStatus = tm.pktStatus&^unix.TIOCPKT_STOP | unix.TIOCPKT_START
		}
	}
}

// SetPacketMode is TIOCPKT: turning it on forgets earlier events.
func (tm *Terminal) SetPacketMode(on bool) {
	tm.mu.Lock()
	tm.packet = on
	if on {
		tm.pktStatus = 0
	}
	tm.mu.Unlock()
}

// PacketMode is TIOCGPKT.
func (tm *Terminal) PacketMode() bool {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.packet
}

// flushInputLocked discards input (TCIFLUSH, signals without NOFLSH).
//
// Preconditions: tm.mu is held.
func (tm *Terminal) flushInputLocked() {
	tm.readq = tm.readq[:0]
	tm.lineEnds = tm.lineEnds[:0]
	tm.line = tm.line[:0]
	if tm.packet {
		tm.pktStatus |= unix.TIOCPKT_FLUSHREAD
	}
}

// flushOutputLocked discards output not yet read by the master (TCOFLUSH).
//
// Preconditions: tm.mu is held.
func (tm *Terminal) flushOutputLocked() { tm.outq = tm.outq[:0] }

// inputLenLocked is the input queue's occupancy.
func (tm *Terminal) inputLenLocked() int { return len(tm.readq) + len(tm.line) }

// slaveReadableLocked reports whether a slave read would return without waiting for
// input: a whole line (canonical), any byte (raw), or a hangup.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) slaveReadableLocked() bool {
	if !tm.masterOpen {
		return true
	}
	if tm.termios.lflag(unix.ICANON) {
		return len(tm.lineEnds) > 0
	}
	return len(tm.readq) > 0
}

// SlaveReadiness returns the slave side's ready events in mask.
func (tm *Terminal) SlaveReadiness(mask waiter.EventMask) waiter.EventMask {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var ev waiter.EventMask
	if !tm.masterOpen {
		return mask & (waiter.EventIn | waiter.EventOut | waiter.EventErr | waiter.EventHUp)
	}
	if tm.slaveReadableLocked() {
		ev |= waiter.EventIn
	}
	if len(tm.outq) < outputQueueMax {
		ev |= waiter.EventOut
	}
	return ev & mask
}

// MasterReadiness returns the master side's ready events in mask.
func (tm *Terminal) MasterReadiness(mask waiter.EventMask) waiter.EventMask {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var ev waiter.EventMask
	if len(tm.outq) > 0 && !tm.stopped {
		ev |= waiter.EventIn
	}
	if tm.packet && tm.pktStatus != 0 {
		ev |= waiter.EventIn | waiter.EventPri
	}
	if tm.otherClosed {
		ev |= waiter.EventHUp
	}
	if tm.inputLenLocked() < inputQueueMax {
		ev |= waiter.EventOut
	}
	return ev & (mask | waiter.EventHUp | waiter.EventErr)
}

// SlaveQueue is the slave side's waiter queue.
func (tm *Terminal) SlaveQueue() *waiter.Queue { return &tm.slaveQ }

// MasterQueue is the master side's waiter queue.
func (tm *Terminal) MasterQueue() *waiter.Queue { return &tm.masterQ }

// DeviceNumber returns the terminal's device number: a devpts slave's, 136:Index. For
// /proc/<pid>/stat's tty_nr.
func (tm *Terminal) DeviceNumber() (major, minor uint32) { return 136, tm.Index }

// ForegroundProcessGroup returns the terminal's foreground process group, or nil if it
// has none. For /proc/<pid>/stat's tpgid.
func (tm *Terminal) ForegroundProcessGroup() *kernel.ProcessGroup {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.fg
}
