// Package console is a container's console on the host side.
//
// For process.terminal, `runsc create` makes a host pseudo-terminal (NewPTY), sends its
// master to the caller's --console-socket as runc does (SendMaster: one SCM_RIGHTS message
// whose data is the pty's name), and gives the slave to the sandbox process as its
// standard descriptors and controlling terminal. The sentry gives the container a terminal
// of its own (sentry/tty; /dev/pts/0 of the container's devpts); Pump, in the sandbox
// process, joins the two: bytes typed at the host master are the sentry terminal's input,
// its output is written to the host slave, which is in raw mode so that only the sentry's
// line discipline acts. A resize of the host terminal (SIGWINCH to the sandbox, whose
// controlling terminal the host slave is) is copied to the sentry's terminal, which sends
// SIGWINCH to the container's foreground process group; a hangup (the caller closed the
// master) hangs the sentry's terminal up. `runsc do` uses the same pump with its own
// standard input when that is a terminal.
package console

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// NewPTY opens a new host pseudo-terminal pair, unlocked, both ends close-on-exec.
func NewPTY() (master, slave *os.File, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("TIOCGPTN: %w", err)
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, fmt.Errorf("opening %s: %w", name, err)
	}
	return os.NewFile(uintptr(mfd), name), os.NewFile(uintptr(sfd), name), nil
}

// SendMaster sends master to the unix socket at path as runc does: one message on a
// stream connection, carrying the descriptor (SCM_RIGHTS) and the pty's name as data.
// (Raw sockets rather than package net, which would link cgo's resolver into runsc: a cgo
// runtime cannot change every thread's capabilities, which confinement needs.)
func SendMaster(path string, master *os.File) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return fmt.Errorf("connecting to the console socket %s: %w", path, err)
	}
	if err := unix.Sendmsg(fd, []byte(master.Name()), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		return fmt.Errorf("sending the console to %s: %w", path, err)
	}
	return nil
}

// SetSize sets a terminal's window size (rows and columns).
func SetSize(fd int, rows, cols uint16) error {
	return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
}

// Size returns a terminal's window size.
func Size(fd int) (rows, cols uint16, err error) {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, err
	}
	return ws.Row, ws.Col, nil
}

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// SetRaw puts the terminal fd in raw mode (cfmakeraw's settings: no input or output
// processing, no echo, no signals, reads of at least one byte) and returns a function that
// restores its settings.
func SetRaw(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETSW, old) }, nil
}
