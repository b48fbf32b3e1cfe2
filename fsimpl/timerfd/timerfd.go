// Package timerfd implements timerfd_create(2) files: a kernel.Timer whose expirations
// accumulate in a counter that read(2) returns (8 bytes) and resets.
//
// TFD_TIMER_CANCEL_ON_SET is accepted but never fires: the sandbox's realtime clock cannot
// be set (clock_settime and settimeofday fail with EPERM), so there is no discontinuous
// change to report with ECANCELED.
package timerfd

import (
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// File is a timerfd.
type File struct {
	kernel.FileBase
	queue waiter.Queue
	timer *kernel.Timer

	mu sync.Mutex
	// count is the number of expirations not yet read. Guarded by mu.
	count uint64
}

var _ kernel.File = (*File)(nil)

// New returns a disarmed timerfd on clock c with status flags (O_NONBLOCK).
func New(c kernel.Clock, flags uint32) *File {
	f := &File{}
	f.InitFlags(unix.O_RDWR | flags&unix.O_NONBLOCK)
	f.timer = kernel.NewTimer(c, f.expired)
	return f
}

func (f *File) expired(n uint64) {
	f.mu.Lock()
	f.count += n
	f.mu.Unlock()
	f.queue.Notify(waiter.EventIn)
}

// SetTime implements timerfd_settime: it resets the expiration count and arms the timer.
func (f *File) SetTime(value, interval time.Duration, abs bool) (oldValue, oldInterval time.Duration) {
	f.mu.Lock()
	f.count = 0
	f.mu.Unlock()
	return f.timer.Set(value, interval, abs)
}

// GetTime implements timerfd_gettime.
func (f *File) GetTime() (value, interval time.Duration) { return f.timer.Get() }

// Read implements kernel.File: it returns and resets the expiration count, blocking until
// it is not zero (EAGAIN if non-blocking).
func (f *File) Read(t *kernel.Task, dst []byte) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	for {
		f.mu.Lock()
		if v := f.count; v > 0 {
			f.count = 0
			f.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, v)
			return 8, nil
		}
		f.mu.Unlock()
		if f.StatusFlags()&unix.O_NONBLOCK != 0 {
			return 0, unix.EAGAIN
		}
		e, ch := waiter.ChannelEntry(waiter.EventIn)
		f.queue.EventRegister(e)
		var err error
		if f.Readiness(waiter.EventIn) == 0 {
			err = t.BlockOn(ch, time.Time{})
		}
		f.queue.EventUnregister(e)
		if err != nil {
			return 0, err
		}
	}
}

// Readiness implements kernel.File.
func (f *File) Readiness(mask waiter.EventMask) waiter.EventMask {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count > 0 {
		return mask & waiter.EventIn
	}
	return 0
}

// EventRegister implements kernel.File.
func (f *File) EventRegister(e *waiter.Entry) { f.queue.EventRegister(e) }

// EventUnregister implements kernel.File.
func (f *File) EventUnregister(e *waiter.Entry) { f.queue.EventUnregister(e) }

// Stat implements kernel.File: an anonymous inode.
func (f *File) Stat(*kernel.Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: 0600, Nlink: 1, Blksize: 4096}, nil
}

// Release implements kernel.File: the timer stops with the last reference.
func (f *File) Release() { f.timer.Destroy() }
