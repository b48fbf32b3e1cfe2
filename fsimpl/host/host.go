// Package host provides files backed by host file descriptors that the runtime hands to the
// sandbox: the container's stdio. Reads and writes go to the host descriptor directly; the
// sandbox never opens host files by path.
package host

import (
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// File is a host descriptor.
type File struct {
	kernel.FileBase
	fd int

	mu sync.Mutex
	// pollers holds the stop channel of each registered entry's host poller. Guarded by mu.
	pollers map[*waiter.Entry]chan struct{}
	// released is set once Release has closed fd. Guarded by mu.
	released bool
}

var _ kernel.File = (*File)(nil)

// New wraps host descriptor fd, which the File then owns.
func New(fd int) (*File, error) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, err
	}
	f := &File{fd: fd}
	f.InitFlags(uint32(fl))
	return f, nil
}

// Read implements kernel.File.
func (f *File) Read(t *kernel.Task, dst []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, dst)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// Write implements kernel.File.
func (f *File) Write(t *kernel.Task, src []byte) (int, error) {
	for {
		n, err := unix.Write(f.fd, src)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// Seek implements kernel.File.
func (f *File) Seek(t *kernel.Task, off int64, whence int) (int64, error) {
	return unix.Seek(f.fd, off, whence)
}

// Stat implements kernel.File.
func (f *File) Stat(t *kernel.Task) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstat(f.fd, &st)
	return st, err
}

// Ioctl implements kernel.File: the terminal queries programs make on stdio.
func (f *File) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	switch cmd {
	case unix.TCGETS:
		tio, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
		if err != nil {
			return 0, err
		}
		b := unsafe.Slice((*byte)(unsafe.Pointer(tio)), unsafe.Sizeof(*tio))
		if _, err := t.CopyOut(arg, b); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case unix.TIOCGWINSZ:
		ws, err := unix.IoctlGetWinsize(f.fd, unix.TIOCGWINSZ)
		if err != nil {
			return 0, err
		}
		b := unsafe.Slice((*byte)(unsafe.Pointer(ws)), unsafe.Sizeof(*ws))
		if _, err := t.CopyOut(arg, b); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	}
	return 0, unix.ENOTTY
}

// Readiness implements kernel.File by asking the host.
func (f *File) Readiness(mask waiter.EventMask) waiter.EventMask {
	fds := []unix.PollFd{{Fd: int32(f.fd), Events: int16(mask)}}
	if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
		return 0
	}
	return waiter.EventMask(fds[0].Revents) & (mask | waiter.EventErr | waiter.EventHUp)
}

// EventRegister implements kernel.File. The host says nothing when a descriptor becomes
// ready, so each entry gets a goroutine that polls the host descriptor (with a short
// timeout, to notice EventUnregister) and calls the entry back when its events are ready.
func (f *File) EventRegister(e *waiter.Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pollers == nil {
		f.pollers = make(map[*waiter.Entry]chan struct{})
	}
	if _, ok := f.pollers[e]; ok {
		return
	}
	stop := make(chan struct{})
	f.pollers[e] = stop
	go f.pollHost(e, stop)
}

// EventUnregister implements kernel.File.
func (f *File) EventUnregister(e *waiter.Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stop, ok := f.pollers[e]; ok {
		close(stop)
		delete(f.pollers, e)
	}
}

// pollHost is an entry's poller: it runs until stop is closed.
func (f *File) pollHost(e *waiter.Entry, stop chan struct{}) {
	const slice = 50 // ms per host poll, the delay before an unregistered poller exits
	for {
		select {
		case <-stop:
			return
		default:
		}
		fds := []unix.PollFd{{Fd: int32(f.fd), Events: int16(e.Mask)}}
		n, err := unix.Poll(fds, slice)
		if err != nil && err != unix.EINTR {
			return
		}
		if n > 0 {
			if ev := waiter.EventMask(fds[0].Revents) & (e.Mask | waiter.EventErr | waiter.EventHUp); ev != 0 {
				select {
				case <-stop:
					return
				default:
				}
				e.Callback(ev)
			}
			// Level-triggered: do not spin while the descriptor stays ready.
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// Reopen opens the descriptor again, for /proc/<pid>/fd/N (`echo >/dev/stderr` when
// stderr is the host's): a new File on a duplicate of the host descriptor. The two share
// the host's open file description (offset, status flags), where Linux would open the
// inode anew: the sandbox cannot open host files by path. EBADF once f is released.
func (f *File) Reopen(flags uint32) (vfs.FileDescriptionImpl, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.released {
		return nil, unix.EBADF
	}
	nfd, err := unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	nf, err := New(nfd)
	if err != nil {
		unix.Close(nfd)
		return nil, err
	}
	return &reopened{f: nf}, nil
}

// Truncate truncates the host file (open(2)'s O_TRUNC through /proc/<pid>/fd/N).
func (f *File) Truncate(size int64) error { return unix.Ftruncate(f.fd, size) }

// reopened is a host descriptor opened again through /proc/<pid>/fd/N: the VFS's view of
// a File. Offsets are the host's.
type reopened struct {
	vfs.DefaultImpl
	f *File
}

var (
	_ vfs.FileDescriptionImpl = (*reopened)(nil)
	_ vfs.Waitable            = (*reopened)(nil)
)

// Read implements vfs.FileDescriptionImpl.
func (r *reopened) Read(t *kernel.Task, dst []byte, _ int64) (int, error) { return r.f.Read(t, dst) }

// Write implements vfs.FileDescriptionImpl.
func (r *reopened) Write(t *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	n, err := r.f.Write(t, src)
	return n, off + int64(n), err
}

// Seek implements vfs.FileDescriptionImpl.
func (r *reopened) Seek(t *kernel.Task, _, off int64, whence int) (int64, error) {
	return r.f.Seek(t, off, whence)
}

// Ioctl implements vfs.FileDescriptionImpl.
func (r *reopened) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	return r.f.Ioctl(t, cmd, arg)
}

// Sync implements vfs.FileDescriptionImpl.
func (r *reopened) Sync() error { return unix.Fsync(r.f.fd) }

// Readiness implements vfs.Waitable.
func (r *reopened) Readiness(mask waiter.EventMask) waiter.EventMask { return r.f.Readiness(mask) }

// EventRegister implements vfs.Waitable.
func (r *reopened) EventRegister(e *waiter.Entry) { r.f.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (r *reopened) EventUnregister(e *waiter.Entry) { r.f.EventUnregister(e) }

// Release implements vfs.FileDescriptionImpl.
func (r *reopened) Release() { r.f.Release() }

// Release implements kernel.File.
func (f *File) Release() {
	f.mu.Lock()
	f.released = true
	for e, stop := range f.pollers {
		close(stop)
		delete(f.pollers, e)
	}
	f.mu.Unlock()
	unix.Close(f.fd)
}
