// Package eventfd implements eventfd(2) files: a 64-bit counter with blocking reads and
// writes, optionally in semaphore mode.
package eventfd

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

const maxCount = ^uint64(0) - 1

// File is an eventfd.
type File struct {
	kernel.FileBase
	queue     waiter.Queue
	semaphore bool

	mu sync.Mutex
	// count is the counter. Guarded by mu.
	count uint64
}

var _ kernel.File = (*File)(nil)

// New returns an eventfd with the initial count and EFD_* flags.
func New(initval uint64, flags uint32) *File {
	f := &File{count: initval, semaphore: flags&unix.EFD_SEMAPHORE != 0}
	f.InitFlags(unix.O_RDWR | flags&unix.O_NONBLOCK)
	return f
}

// Read implements kernel.File.
func (f *File) Read(t *kernel.Task, dst []byte) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	return t.BlockingIO(f, waiter.EventIn, f.StatusFlags()&unix.O_NONBLOCK != 0, func() (int, bool, error) {
		f.mu.Lock()
		if f.count == 0 {
			f.mu.Unlock()
			return 0, false, nil
		}
		v := f.count
		if f.semaphore {
			v = 1
		}
		f.count -= v
		f.mu.Unlock()
		binary.LittleEndian.PutUint64(dst, v)
		f.queue.Notify(waiter.EventOut)
		return 8, true, nil
	})
}

// Write implements kernel.File.
func (f *File) Write(t *kernel.Task, src []byte) (int, error) {
	if len(src) < 8 {
		return 0, unix.EINVAL
	}
	v := binary.LittleEndian.Uint64(src)
	if v == ^uint64(0) {
		return 0, unix.EINVAL
	}
	return t.BlockingIO(f, waiter.EventOut, f.StatusFlags()&unix.O_NONBLOCK != 0, func() (int, bool, error) {
		f.mu.Lock()
		if maxCount-f.count < v {
			f.mu.Unlock()
			return 0, false, nil
		}
		f.count += v
		f.mu.Unlock()
		if v != 0 {
			f.queue.Notify(waiter.EventIn)
		}
		return 8, true, nil
	})
}

// Readiness implements kernel.File.
func (f *File) Readiness(mask waiter.EventMask) waiter.EventMask {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r waiter.EventMask
	if f.count > 0 {
		r |= waiter.EventIn
	}
	if f.count < maxCount {
		r |= waiter.EventOut
	}
	return r & mask
}

// EventRegister implements kernel.File.
func (f *File) EventRegister(e *waiter.Entry) { f.queue.EventRegister(e) }

// EventUnregister implements kernel.File.
func (f *File) EventUnregister(e *waiter.Entry) { f.queue.EventUnregister(e) }

// Stat implements kernel.File: an anonymous inode.
func (f *File) Stat(*kernel.Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: 0600, Nlink: 1, Blksize: 4096}, nil
}
