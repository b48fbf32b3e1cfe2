// Package timerfd implements timerfd_create(2) files: a kernel.Timer whose expirations
// accumulate in a counter that read(2) returns (8 bytes) and resets.
//
// TFD_TIMER_CANCEL_ON_SET (with TFD_TIMER_ABSTIME, on CLOCK_REALTIME): the sandbox cannot
// set its clock (clock_settime and settimeofday fail with EPERM), but it follows the host's,
// and a step of the host's realtime clock steps the sandbox's (sentry/vdso): such a file
// then becomes readable and its next read fails with ECANCELED, as on Linux.
//
// Lock order: File.mu is never held while registering or cancelling a vdso hook (the hook
// takes File.mu).
package timerfd

import (
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vdso"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// File is a timerfd.
type File struct {
	kernel.FileBase
	queue waiter.Queue
	timer *kernel.Timer

	// realtime is set for a CLOCK_REALTIME timerfd (the clock that can be set).
	realtime bool

	mu sync.Mutex
	// count is the number of expirations not yet read. Guarded by mu.
	count uint64
	// canceled is set when the clock was set while the timer was armed with
	// TFD_TIMER_CANCEL_ON_SET; the next read reports ECANCELED. Guarded by mu.
	canceled bool
	// stopHook unregisters the clock-set hook of a TFD_TIMER_CANCEL_ON_SET arming (nil:
	// none). Guarded by mu.
	stopHook func()
}

// onRealtimeSet registers a clock-set hook (a variable for tests).
var onRealtimeSet = vdso.OnRealtimeSet

var _ kernel.File = (*File)(nil)

// New returns a disarmed timerfd on clock c with status flags (O_NONBLOCK).
func New(c kernel.Clock, flags uint32) *File {
	f := &File{}
	f.InitFlags(unix.O_RDWR | flags&unix.O_NONBLOCK)
	f.timer = kernel.NewTimer(c, f.expired)
	if wc, ok := c.(kernel.WallClock); ok && wc == kernel.WallClock(unix.CLOCK_REALTIME) {
		f.realtime = true
	}
	return f
}

// clockWasSet is the clock-set hook: like Linux's timerfd_clock_was_set, it counts a tick
// so that poll reports the file readable, and marks the read to fail with ECANCELED.
func (f *File) clockWasSet() {
	f.mu.Lock()
	f.canceled = true
	f.count++
	f.mu.Unlock()
	f.queue.Notify(waiter.EventIn)
}

// swapHook replaces the clock-set hook's cancel function and calls the old one.
func (f *File) swapHook(h func()) {
	f.mu.Lock()
	old := f.stopHook
	f.stopHook = h
	f.mu.Unlock()
	if old != nil {
		old()
	}
}

func (f *File) expired(n uint64) {
	f.mu.Lock()
	f.count += n
	f.mu.Unlock()
	f.queue.Notify(waiter.EventIn)
}

// SetTime implements timerfd_settime: it resets the expiration count and arms the timer.
// cancelOnSet is TFD_TIMER_CANCEL_ON_SET: it takes effect with abs on CLOCK_REALTIME.
func (f *File) SetTime(value, interval time.Duration, abs, cancelOnSet bool) (oldValue, oldInterval time.Duration) {
	var hook func()
	if cancelOnSet && abs && f.realtime && value != 0 {
		hook = onRealtimeSet(f.clockWasSet)
	}
	f.swapHook(hook)
	f.mu.Lock()
	f.count = 0
	f.canceled = false
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
	return t.BlockingIO(f, waiter.EventIn, f.StatusFlags()&unix.O_NONBLOCK != 0, func() (int, bool, error) {
		// Expirations the timer goroutine has not counted yet are counted now (before f.mu:
		// firing takes it).
		f.timer.Poll()
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.canceled {
			f.canceled = false
			f.count = 0
			return 0, true, unix.ECANCELED
		}
		if v := f.count; v > 0 {
			f.count = 0
			binary.LittleEndian.PutUint64(dst, v)
			return 8, true, nil
		}
		return 0, false, nil
	})
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
func (f *File) Release() {
	f.swapHook(nil)
	f.timer.Destroy()
}
