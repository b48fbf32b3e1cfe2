package devpts

import (
	"encoding/binary"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// masterFile is an open ptmx: the master side of its pty.
type masterFile struct {
	vfs.DefaultImpl
	pty *pty
	// fd is the description, set by WaitOpen (nil for opens that skip it).
	fd *vfs.FileDescription
}

var (
	_ vfs.FileDescriptionImpl = (*masterFile)(nil)
	_ vfs.Waitable            = (*masterFile)(nil)
	_ vfs.OpenWaiter          = (*masterFile)(nil)
)

// WaitOpen implements vfs.OpenWaiter: the slave belongs to the master's opener (devpts
// gives it the opener's fsuid and fsgid) unless the mount fixed its owner.
func (m *masterFile) WaitOpen(t *kernel.Task, fd *vfs.FileDescription) error {
	m.fd = fd
	c := vfs.TaskCreds(t)
	p := m.pty
	p.mu.Lock()
	if !p.fs.opts.setUID {
		p.uid = c.UID
	}
	if !p.fs.opts.setGID {
		p.gid = c.GID
	}
	p.mu.Unlock()
	return nil
}

// Terminal returns the pty's terminal.
func (m *masterFile) Terminal() *tty.Terminal { return m.pty.tm }

func (m *masterFile) nonblock() bool {
	return m.fd != nil && m.fd.StatusFlags()&unix.O_NONBLOCK != 0
}

// Read implements vfs.FileDescriptionImpl: what the slave wrote, after output processing.
func (m *masterFile) Read(t *kernel.Task, dst []byte, _ int64) (int, error) {
	return m.pty.tm.MasterRead(t, dst, m.nonblock())
}

// Write implements vfs.FileDescriptionImpl: input for the slave, through the line
// discipline.
func (m *masterFile) Write(t *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	n, err := m.pty.tm.MasterWrite(t, src, m.nonblock())
	return n, off, err
}

// Seek implements vfs.FileDescriptionImpl.
func (m *masterFile) Seek(*kernel.Task, int64, int64, int) (int64, error) { return 0, unix.ESPIPE }

// Ioctl implements vfs.FileDescriptionImpl: the pty ioctls here, the terminal's in tty.
func (m *masterFile) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	p := m.pty
	switch cmd {
	case unix.TIOCGPTN:
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], p.tm.Index)
		if _, err := t.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case unix.TIOCSPTLCK:
		var b [4]byte
		if _, err := t.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		p.mu.Lock()
		p.locked = binary.LittleEndian.Uint32(b[:]) != 0
		p.mu.Unlock()
		return 0, nil
	case unix.TIOCGPTLCK:
		p.mu.Lock()
		locked := p.locked
		p.mu.Unlock()
		var b [4]byte
		if locked {
			b[0] = 1
		}
		if _, err := t.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case unix.TIOCGPTPEER:
		return m.openPeer(t, uint32(arg))
	case unix.TIOCPKT:
		var b [4]byte
		if _, err := t.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		p.tm.SetPacketMode(binary.LittleEndian.Uint32(b[:]) != 0)
		return 0, nil
	case unix.TIOCGPKT:
		var b [4]byte
		if p.tm.PacketMode() {
			b[0] = 1
		}
		if _, err := t.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case unix.TIOCSIG:
		// One of the terminal's own signals for the slave's foreground process group, sent
		// from the master's side (as pty_signal, only those three).
		sig := int(arg)
		if sig != int(unix.SIGINT) && sig != int(unix.SIGQUIT) && sig != int(unix.SIGTSTP) {
			return 0, unix.EINVAL
		}
		p.tm.SignalForeground(sig)
		return 0, nil
	}
	readable := true
	if m.fd != nil {
		readable = m.fd.Readable()
	}
	return p.tm.Ioctl(t, true, readable, vfs.TaskCreds(t).Privileged(), cmd, arg)
}

// openPeer is TIOCGPTPEER: it opens the slave through the master's devpts mount, with the
// given open flags, and returns the new descriptor.
func (m *masterFile) openPeer(t *kernel.Task, flags uint32) (uintptr, error) {
	// Linux passes the flags on unchecked; only these mean anything for a terminal.
	flags &= unix.O_ACCMODE | unix.O_NOCTTY | unix.O_NONBLOCK | unix.O_CLOEXEC
	if m.fd == nil {
		return 0, unix.EIO
	}
	vd := m.fd.VirtualDentry()
	dir := vfs.VirtualDentry{Mount: vd.Mount, Dentry: vd.Dentry.Parent()}
	if dir.Dentry == nil {
		return 0, unix.EIO
	}
	pop := &vfs.PathOperation{Root: dir, Start: dir, Path: strconv.FormatUint(uint64(m.pty.tm.Index), 10), Task: t}
	fsc := vfs.TaskFSContext(t)
	if fsc == nil {
		return 0, unix.EIO
	}
	f, err := fsc.VFS().OpenAt(vfs.TaskCreds(t), pop, flags, 0)
	if err != nil {
		return 0, err
	}
	ref := kernel.NewFileRef(f)
	defer ref.DecRef()
	if err := vfs.WaitOpen(t, f); err != nil {
		return 0, err
	}
	fd, err := t.FDTable().NewFD(ref, 0, flags&unix.O_CLOEXEC != 0, t.ThreadGroup().Rlimit(unix.RLIMIT_NOFILE).Cur)
	return uintptr(fd), err
}

// Readiness implements vfs.Waitable.
func (m *masterFile) Readiness(mask waiter.EventMask) waiter.EventMask {
	return m.pty.tm.MasterReadiness(mask)
}

// EventRegister implements vfs.Waitable.
func (m *masterFile) EventRegister(e *waiter.Entry) { m.pty.tm.MasterQueue().EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (m *masterFile) EventUnregister(e *waiter.Entry) { m.pty.tm.MasterQueue().EventUnregister(e) }

// Release implements vfs.FileDescriptionImpl: the slave is hung up and disappears.
func (m *masterFile) Release() {
	m.pty.fs.removePTY(m.pty)
	m.pty.tm.CloseMaster()
}
