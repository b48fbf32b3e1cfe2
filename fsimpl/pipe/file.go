package pipe

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// File is one end of an anonymous pipe (pipe(2)).
type File struct {
	kernel.FileBase
	end
}

var _ kernel.File = (*File)(nil)

// New makes an anonymous pipe owned by uid and gid and returns its read and write ends.
// flags may hold O_NONBLOCK and O_DIRECT, which both ends get.
func New(uid, gid uint32, flags uint32) (r, w *File) {
	p := newPipe()
	p.uid, p.gid = uid, gid
	p.open(true, false)
	p.open(false, true)
	flags &= unix.O_NONBLOCK | unix.O_DIRECT
	r = &File{end: end{p: p, read: true}}
	r.InitFlags(unix.O_RDONLY | flags)
	w = &File{end: end{p: p, write: true}}
	w.InitFlags(unix.O_WRONLY | flags)
	return r, w
}

// Pipe returns the pipe the file is an end of.
func (f *File) Pipe() *Pipe { return f.p }

// Reopen opens the pipe again, as a fifo (fifo(7)), which is what opening
// /proc/<pid>/fd/N of a pipe does in Linux: bash's process substitution (<(cmd) names
// /dev/fd/63) and `echo >/dev/stdout` rely on it.
func (f *File) Reopen(flags uint32) (vfs.FileDescriptionImpl, error) { return f.p.open2(flags, true) }

// Read implements kernel.File.
func (f *File) Read(t *kernel.Task, dst []byte) (int, error) {
	if !f.read {
		return 0, unix.EBADF
	}
	return f.doRead(t, dst, f.StatusFlags()&unix.O_NONBLOCK != 0)
}

// Write implements kernel.File.
func (f *File) Write(t *kernel.Task, src []byte) (int, error) {
	if !f.write {
		return 0, unix.EBADF
	}
	fl := f.StatusFlags()
	return f.doWrite(t, src, fl&unix.O_NONBLOCK != 0, fl&unix.O_DIRECT != 0)
}

// Readiness, EventRegister and EventUnregister implement kernel.File with the end's (the
// embedded FileBase has them too).
func (f *File) Readiness(mask waiter.EventMask) waiter.EventMask { return f.end.Readiness(mask) }
func (f *File) EventRegister(e *waiter.Entry)                    { f.end.EventRegister(e) }
func (f *File) EventUnregister(e *waiter.Entry)                  { f.end.EventUnregister(e) }

// Stat implements kernel.File: a pipefs inode.
func (f *File) Stat(t *kernel.Task) (unix.Stat_t, error) { return f.stat(), nil }

// Ioctl implements kernel.File: FIONREAD.
func (f *File) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	return f.ioctl(t, cmd, arg)
}

// Release implements kernel.File.
func (f *File) Release() { f.p.release(f.read, f.write) }

// NewFifo returns the pipe of a fifo inode, with no ends; the filesystem keeps it with the
// inode and opens it with Open.
func NewFifo() *Pipe { return newPipe() }

// Open opens the fifo p with open flags: the returned implementation must be finished with
// vfs.WaitOpen. A non-blocking write-only open without readers fails with ENXIO.
func (p *Pipe) Open(flags uint32) (vfs.FileDescriptionImpl, error) { return p.open2(flags, false) }

// open2 is Open; for an anonymous pipe (anon), as Linux's fifo_open for pipefs, an open
// never waits for a peer and never fails for the lack of one.
func (p *Pipe) open2(flags uint32, anon bool) (vfs.FileDescriptionImpl, error) {
	nonblock := flags&unix.O_NONBLOCK != 0
	fi := &fifoImpl{end: end{p: p}}
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		fi.read = true
	case unix.O_WRONLY:
		fi.write = true
	default:
		fi.read, fi.write = true, true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case anon:
	case fi.write && !fi.read && p.readers == 0:
		if nonblock {
			return nil, unix.ENXIO
		}
		fi.waitR, fi.wait = true, p.rCounter
	case fi.read && !fi.write && p.writers == 0:
		if nonblock {
			// No EPOLLHUP until a writer has come.
			fi.wver = p.wCounter
		} else {
			fi.waitW, fi.wait = true, p.wCounter
		}
	}
	p.openLocked(fi.read, fi.write)
	return fi, nil
}

// fifoImpl is one open of a fifo.
type fifoImpl struct {
	vfs.DefaultImpl
	end
	// fd is the file description (for its status flags), set by WaitOpen.
	fd *vfs.FileDescription
	// waitR and waitW say that the open waits for the readers' or writers' open counter to
	// move past wait.
	waitR, waitW bool
	wait         uint64
}

var (
	_ vfs.FileDescriptionImpl = (*fifoImpl)(nil)
	_ vfs.OpenWaiter          = (*fifoImpl)(nil)
	_ vfs.Waitable            = (*fifoImpl)(nil)
)

// WaitOpen implements vfs.OpenWaiter: a blocking read-only open waits for a writer, a
// write-only one for a reader.
func (fi *fifoImpl) WaitOpen(t *kernel.Task, fd *vfs.FileDescription) error {
	fi.fd = fd
	p := fi.p
	for fi.waitR || fi.waitW {
		p.mu.Lock()
		if (fi.waitR && p.rCounter != fi.wait) || (fi.waitW && p.wCounter != fi.wait) {
			p.mu.Unlock()
			return nil
		}
		ch := p.partner
		p.mu.Unlock()
		if err := t.BlockOn(ch, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

func (fi *fifoImpl) nonblock() bool {
	return fi.fd != nil && fi.fd.StatusFlags()&unix.O_NONBLOCK != 0
}

// Read implements vfs.FileDescriptionImpl.
func (fi *fifoImpl) Read(t *kernel.Task, dst []byte, _ int64) (int, error) {
	return fi.doRead(t, dst, fi.nonblock())
}

// Write implements vfs.FileDescriptionImpl.
func (fi *fifoImpl) Write(t *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	packet := fi.fd != nil && fi.fd.StatusFlags()&unix.O_DIRECT != 0
	n, err := fi.doWrite(t, src, fi.nonblock(), packet)
	return n, off, err
}

// Seek implements vfs.FileDescriptionImpl.
func (fi *fifoImpl) Seek(*kernel.Task, int64, int64, int) (int64, error) { return 0, unix.ESPIPE }

// Ioctl implements vfs.FileDescriptionImpl: FIONREAD.
func (fi *fifoImpl) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	return fi.ioctl(t, cmd, arg)
}

// Release implements vfs.FileDescriptionImpl.
func (fi *fifoImpl) Release() { fi.p.release(fi.read, fi.write) }

// Endpoint is a pipe end seen by splice and tee.
type Endpoint struct {
	e *end
	// nonblock and packet are the file's O_NONBLOCK and O_DIRECT.
	nonblock, packet bool
}

// EndpointOf returns f's pipe end if f is a pipe or a fifo.
func EndpointOf(f kernel.File) (*Endpoint, bool) {
	var e *end
	switch x := f.(type) {
	case *File:
		e = &x.end
	case *vfs.FileDescription:
		fi, ok := x.Impl().(*fifoImpl)
		if !ok {
			return nil, false
		}
		e = &fi.end
	default:
		return nil, false
	}
	fl := f.StatusFlags()
	return &Endpoint{e: e, nonblock: fl&unix.O_NONBLOCK != 0, packet: fl&unix.O_DIRECT != 0}, true
}

// Pipe returns the endpoint's pipe.
func (ep *Endpoint) Pipe() *Pipe { return ep.e.p }

// Readable and Writable report the end's direction.
func (ep *Endpoint) Readable() bool { return ep.e.read }

// Writable reports whether the end writes.
func (ep *Endpoint) Writable() bool { return ep.e.write }
