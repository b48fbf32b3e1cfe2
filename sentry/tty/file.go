package tty

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// SlaveFile is an open file of a terminal's slave side: /dev/pts/N, or /dev/tty, which is
// bound to the opener's controlling terminal when the open finishes (WaitOpen).
type SlaveFile struct {
	vfs.DefaultImpl
	// flags are the open flags (O_NOCTTY is not kept in the description's status flags).
	flags uint32
	// ctty is set for /dev/tty: tm is found in WaitOpen.
	ctty bool

	// tm and fd are set by NewSlaveFile or WaitOpen, before the description is used.
	tm *Terminal
	fd *vfs.FileDescription
}

var (
	_ vfs.FileDescriptionImpl = (*SlaveFile)(nil)
	_ vfs.Waitable            = (*SlaveFile)(nil)
	_ vfs.OpenWaiter          = (*SlaveFile)(nil)
)

// NewSlaveFile opens tm's slave side with the open flags: EIO if its master has closed.
func NewSlaveFile(tm *Terminal, flags uint32) (*SlaveFile, error) {
	if err := tm.OpenSlave(); err != nil {
		return nil, err
	}
	return &SlaveFile{tm: tm, flags: flags}, nil
}

// NewControllingTerminalFile is /dev/tty's open: the terminal is the opener's controlling
// terminal, found when the open finishes (ENXIO if it has none).
func NewControllingTerminalFile(flags uint32) *SlaveFile {
	return &SlaveFile{flags: flags, ctty: true}
}

// SetDescription records the file's description, for files opened outside the open
// syscalls (which do it in WaitOpen): its status flags say whether I/O blocks.
func (f *SlaveFile) SetDescription(fd *vfs.FileDescription) { f.fd = fd }

// Terminal returns the file's terminal (nil for a /dev/tty open that has not finished).
func (f *SlaveFile) Terminal() *Terminal { return f.tm }

// WaitOpen implements vfs.OpenWaiter: /dev/tty binds to the controlling terminal; an open
// of a slave may make it the opener's controlling terminal.
func (f *SlaveFile) WaitOpen(t *kernel.Task, fd *vfs.FileDescription) error {
	f.fd = fd
	if f.ctty {
		tm, _ := t.ThreadGroup().ControllingTerminal().(*Terminal)
		if tm == nil {
			return unix.ENXIO
		}
		if err := tm.OpenSlave(); err != nil {
			return err
		}
		f.tm = tm
		return nil
	}
	if f.tm != nil {
		f.tm.OpenedBy(t, f.flags)
	}
	return nil
}

func (f *SlaveFile) nonblock() bool {
	return f.fd != nil && f.fd.StatusFlags()&unix.O_NONBLOCK != 0
}

// Read implements vfs.FileDescriptionImpl.
func (f *SlaveFile) Read(t *kernel.Task, dst []byte, _ int64) (int, error) {
	if f.tm == nil {
		return 0, unix.EIO
	}
	return f.tm.SlaveRead(t, dst, f.nonblock())
}

// Write implements vfs.FileDescriptionImpl.
func (f *SlaveFile) Write(t *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	if f.tm == nil {
		return 0, off, unix.EIO
	}
	n, err := f.tm.SlaveWrite(t, src, f.nonblock())
	return n, off, err
}

// Seek implements vfs.FileDescriptionImpl: terminals are not seekable.
func (f *SlaveFile) Seek(*kernel.Task, int64, int64, int) (int64, error) { return 0, unix.ESPIPE }

// Ioctl implements vfs.FileDescriptionImpl.
func (f *SlaveFile) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	if f.tm == nil {
		return 0, unix.EIO
	}
	readable := f.flags&unix.O_ACCMODE != unix.O_WRONLY
	return f.tm.Ioctl(t, false, readable, vfs.TaskCreds(t).Privileged(), cmd, arg)
}

// Readiness implements vfs.Waitable.
func (f *SlaveFile) Readiness(mask waiter.EventMask) waiter.EventMask {
	if f.tm == nil {
		return 0
	}
	return f.tm.SlaveReadiness(mask)
}

// EventRegister implements vfs.Waitable.
func (f *SlaveFile) EventRegister(e *waiter.Entry) {
	if f.tm != nil {
		f.tm.slaveQ.EventRegister(e)
	}
}

// EventUnregister implements vfs.Waitable.
func (f *SlaveFile) EventUnregister(e *waiter.Entry) {
	if f.tm != nil {
		f.tm.slaveQ.EventUnregister(e)
	}
}

// Release implements vfs.FileDescriptionImpl.
func (f *SlaveFile) Release() {
	if f.tm != nil {
		f.tm.CloseSlave()
		f.tm = nil
	}
}
