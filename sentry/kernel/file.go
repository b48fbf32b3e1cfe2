package kernel

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// File is an open file description: what a file descriptor refers to. Implementations live
// in fsimpl; embed FileBase for the defaults.
//
// Read and Write may block (unless the file is non-blocking): they must use Task.BlockOn so
// that the task can be interrupted.
type File interface {
	Read(t *Task, dst []byte) (int, error)
	Write(t *Task, src []byte) (int, error)
	Seek(t *Task, offset int64, whence int) (int64, error)
	Stat(t *Task) (unix.Stat_t, error)
	Ioctl(t *Task, cmd, arg uintptr) (uintptr, error)
	// Readiness returns the events in mask that are ready now.
	Readiness(mask waiter.EventMask) waiter.EventMask
	EventRegister(e *waiter.Entry)
	EventUnregister(e *waiter.Entry)
	// StatusFlags returns the O_* status flags (access mode, O_NONBLOCK, O_APPEND...).
	StatusFlags() uint32
	SetStatusFlags(flags uint32)
	// Release is called when the last reference is dropped.
	Release()
}

// FileBase provides defaults for File: no I/O, no seeking, no ioctls, always ready, no
// events, and status flag storage.
type FileBase struct {
	flags atomic.Uint32
}

// InitFlags sets the initial status flags.
func (b *FileBase) InitFlags(f uint32) { b.flags.Store(f) }

// Read implements File.
func (*FileBase) Read(*Task, []byte) (int, error) { return 0, unix.EINVAL }

// Write implements File.
func (*FileBase) Write(*Task, []byte) (int, error) { return 0, unix.EINVAL }

// Seek implements File.
func (*FileBase) Seek(*Task, int64, int) (int64, error) { return 0, unix.ESPIPE }

// Ioctl implements File.
func (*FileBase) Ioctl(*Task, uintptr, uintptr) (uintptr, error) { return 0, unix.ENOTTY }

// Readiness implements File.
func (*FileBase) Readiness(mask waiter.EventMask) waiter.EventMask {
	return mask & (waiter.EventIn | waiter.EventOut)
}

// EventRegister implements File.
func (*FileBase) EventRegister(*waiter.Entry) {}

// EventUnregister implements File.
func (*FileBase) EventUnregister(*waiter.Entry) {}

// StatusFlags implements File.
func (b *FileBase) StatusFlags() uint32 { return b.flags.Load() }

// SetStatusFlags implements File. Only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and
// O_NOATIME can change (fcntl(2)).
func (b *FileBase) SetStatusFlags(f uint32) {
	const settable = unix.O_APPEND | unix.O_NONBLOCK | unix.O_ASYNC | unix.O_DIRECT | unix.O_NOATIME
	b.flags.Store(b.flags.Load()&^settable | f&settable)
}

// Release implements File.
func (*FileBase) Release() {}

// FileRef is a reference-counted File, shared by dup'ed descriptors.
type FileRef struct {
	File
	refs atomic.Int64
}

// NewFileRef wraps f with one reference.
func NewFileRef(f File) *FileRef {
	r := &FileRef{File: f}
	r.refs.Store(1)
	return r
}

// IncRef adds a reference.
func (r *FileRef) IncRef() { r.refs.Add(1) }

// DecRef drops a reference, releasing the file on the last one.
func (r *FileRef) DecRef() {
	if r.refs.Add(-1) == 0 {
		r.File.Release()
	}
}

// NonBlocking reports whether O_NONBLOCK is set.
func (r *FileRef) NonBlocking() bool { return r.StatusFlags()&unix.O_NONBLOCK != 0 }

type fdEntry struct {
	file    *FileRef
	cloexec bool
}

// FDTable maps descriptors to files. It is shared by tasks cloned with CLONE_FILES.
type FDTable struct {
	refs atomic.Int64

	mu sync.Mutex
	// fds holds the open descriptors. Guarded by mu.
	fds map[int32]fdEntry
}

// NewFDTable returns an empty table with one reference.
func NewFDTable() *FDTable {
	t := &FDTable{fds: make(map[int32]fdEntry)}
	t.refs.Store(1)
	return t
}

// IncRef adds a reference to the table.
func (ft *FDTable) IncRef() { ft.refs.Add(1) }

// DecRef drops a reference; the last one closes every descriptor.
func (ft *FDTable) DecRef() {
	if ft.refs.Add(-1) != 0 {
		return
	}
	ft.mu.Lock()
	fds := ft.fds
	ft.fds = nil
	ft.mu.Unlock()
	for _, e := range fds {
		e.file.DecRef()
	}
}

// Fork returns a copy of the table (clone without CLONE_FILES).
func (ft *FDTable) Fork() *FDTable {
	n := NewFDTable()
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for fd, e := range ft.fds {
		e.file.IncRef()
		n.fds[fd] = e
	}
	return n
}

// Get returns the file at fd with a new reference (the caller must DecRef), or EBADF.
func (ft *FDTable) Get(fd int32) (*FileRef, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	e, ok := ft.fds[fd]
	if !ok {
		return nil, unix.EBADF
	}
	e.file.IncRef()
	return e.file, nil
}

// CloseOnExec reports fd's FD_CLOEXEC flag.
func (ft *FDTable) CloseOnExec(fd int32) (bool, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	e, ok := ft.fds[fd]
	if !ok {
		return false, unix.EBADF
	}
	return e.cloexec, nil
}

// SetCloseOnExec sets fd's FD_CLOEXEC flag.
func (ft *FDTable) SetCloseOnExec(fd int32, v bool) error {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	e, ok := ft.fds[fd]
	if !ok {
		return unix.EBADF
	}
	e.cloexec = v
	ft.fds[fd] = e
	return nil
}

// NewFD installs f at the lowest free descriptor >= min, adding a reference to f.
func (ft *FDTable) NewFD(f *FileRef, min int32, cloexec bool, limit uint64) (int32, error) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for fd := min; uint64(fd) < limit; fd++ {
		if _, used := ft.fds[fd]; !used {
			f.IncRef()
			ft.fds[fd] = fdEntry{f, cloexec}
			return fd, nil
		}
	}
	return -1, unix.EMFILE
}

// SetFD installs f at fd (dup2), closing what was there. It adds a reference to f.
func (ft *FDTable) SetFD(fd int32, f *FileRef, cloexec bool, limit uint64) error {
	if fd < 0 || uint64(fd) >= limit {
		return unix.EBADF
	}
	f.IncRef()
	ft.mu.Lock()
	old, had := ft.fds[fd]
	ft.fds[fd] = fdEntry{f, cloexec}
	ft.mu.Unlock()
	if had {
		old.file.DecRef()
	}
	return nil
}

// Remove closes fd.
func (ft *FDTable) Remove(fd int32) error {
	ft.mu.Lock()
	e, ok := ft.fds[fd]
	delete(ft.fds, fd)
	ft.mu.Unlock()
	if !ok {
		return unix.EBADF
	}
	e.file.DecRef()
	return nil
}
