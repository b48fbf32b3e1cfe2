// Package epoll implements epoll(7) instances over the waiter readiness framework.
//
// Each registered file gets a waiter entry whose callback marks the interest triggered and
// wakes epoll_wait. Level-triggered interests are reported whenever the file is ready;
// edge-triggered ones only after a new notification; EPOLLONESHOT disables an interest after
// one report until EPOLL_CTL_MOD.
//
// Locking: Instance.mu guards the interest set; it is never held while calling into a file
// except for Readiness, which takes only the file's own lock.
package epoll

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Event is struct epoll_event (packed on x86-64: 12 bytes).
type Event struct {
	Events uint32
	Data   uint64
}

// EventSize is sizeof(struct epoll_event) on x86-64.
const EventSize = 12

// ParseEvent decodes a struct epoll_event from b (at least EventSize bytes).
func ParseEvent(b []byte) Event {
	return Event{Events: binary.LittleEndian.Uint32(b[0:]), Data: binary.LittleEndian.Uint64(b[4:])}
}

// Put encodes ev as a struct epoll_event into b (at least EventSize bytes).
func (ev Event) Put(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], ev.Events)
	binary.LittleEndian.PutUint64(b[4:], ev.Data)
}

type interest struct {
	file   *kernel.FileRef
	fd     int32
	events uint32
	data   uint64
	entry  *waiter.Entry
	// triggered is set by the callback (which runs under the file's queue lock, so it must
	// not take Instance.mu); edge-triggered reports consume it.
	triggered atomic.Bool
	// disabled is set after a one-shot report. Guarded by Instance.mu.
	disabled bool
}

// Instance is an epoll file.
type Instance struct {
	kernel.FileBase
	wake  chan struct{}
	queue waiter.Queue

	mu sync.Mutex
	// interests by fd (Linux keys by (fd, file); fd suffices while close drops interests
	// only when the file is released). Guarded by mu.
	interests map[int32]*interest
}

var _ kernel.File = (*Instance)(nil)

// New returns an empty epoll instance.
func New(flags uint32) *Instance {
	e := &Instance{wake: make(chan struct{}, 1), interests: make(map[int32]*interest)}
	e.InitFlags(unix.O_RDWR)
	return e
}

const (
	epollET        = 1 << 31
	epollOneShot   = 1 << 30
	epollExclusive = 1 << 28
	epollWakeup    = 1 << 29
	// exclusiveOK are the events EPOLLEXCLUSIVE may be combined with (epoll_ctl(2)).
	exclusiveOK = uint32(waiter.EventIn|waiter.EventOut|waiter.EventErr|waiter.EventHUp) |
		epollWakeup | epollET | epollExclusive
	// alwaysReported are reported whether asked for or not.
	alwaysReported = uint32(waiter.EventErr | waiter.EventHUp)
)

// Ctl implements epoll_ctl(2).
func (e *Instance) Ctl(op int, fd int32, f *kernel.FileRef, ev Event) error {
	if f.File == kernel.File(e) {
		return unix.EINVAL
	}
	if op == unix.EPOLL_CTL_MOD && ev.Events&epollExclusive != 0 {
		return unix.EINVAL // checked before the lookup, as Linux does
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	in := e.interests[fd]
	switch op {
	case unix.EPOLL_CTL_ADD:
		// EPOLLEXCLUSIVE takes only EPOLLIN/OUT/ERR/HUP/WAKEUP/ET besides itself.
		if ev.Events&epollExclusive != 0 && ev.Events&^exclusiveOK != 0 {
			return unix.EINVAL
		}
		if in != nil {
			return unix.EEXIST
		}
		f.IncRef()
		in = &interest{file: f, fd: fd, events: ev.Events, data: ev.Data}
		in.triggered.Store(true)
		in.entry = &waiter.Entry{Mask: waiter.EventMask(ev.Events) | waiter.EventErr | waiter.EventHUp, Callback: func(waiter.EventMask) {
			in.triggered.Store(true)
			e.notify()
		}}
		e.interests[fd] = in
		f.EventRegister(in.entry)
		e.notify()
	case unix.EPOLL_CTL_MOD:
		if in == nil {
			return unix.ENOENT
		}
		if in.events&epollExclusive != 0 {
			return unix.EINVAL
		}
		in.events, in.data, in.disabled = ev.Events, ev.Data, false
		in.triggered.Store(true)
		in.entry.Mask = waiter.EventMask(ev.Events) | waiter.EventErr | waiter.EventHUp
		e.notify()
	case unix.EPOLL_CTL_DEL:
		if in == nil {
			return unix.ENOENT
		}
		delete(e.interests, fd)
		in.file.EventUnregister(in.entry)
		in.file.DecRef()
	default:
		return unix.EINVAL
	}
	return nil
}

// notify wakes a waiter in Wait.
func (e *Instance) notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
	e.queue.Notify(waiter.EventIn)
}

// collect encodes up to len(out)/EventSize ready events into out.
func (e *Instance) collect(out []byte) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, in := range e.interests {
		if (n+1)*EventSize > len(out) {
			break
		}
		if in.disabled {
			continue
		}
		if in.events&epollET != 0 && !in.triggered.Load() {
			continue
		}
		r := uint32(in.file.Readiness(waiter.EventMask(in.events)|waiter.EventErr|waiter.EventHUp)) & (in.events | alwaysReported)
		in.triggered.Store(false)
		if r == 0 {
			continue
		}
		Event{Events: r, Data: in.data}.Put(out[n*EventSize:])
		n++
		if in.events&epollOneShot != 0 {
			in.disabled = true
		}
	}
	return n
}

// Wait implements epoll_wait(2): it fills out with up to len(out)/EventSize ready events,
// encoded as the application's struct epoll_event array, blocking until one is ready, the
// deadline passes (zero deadline: forever), or the task is interrupted; it returns how many.
// poll is true for a zero timeout. Wait allocates nothing: epoll_wait is a hot path, and the
// caller passes a reused buffer (the task's scratch buffer).
func (e *Instance) Wait(t *kernel.Task, out []byte, deadline time.Time, poll bool) (int, error) {
	for {
		// Drain a stale wake-up before looking, so a notification after the look is kept.
		select {
		case <-e.wake:
		default:
		}
		if n := e.collect(out); n > 0 || poll {
			return n, nil
		}
		if err := t.BlockOn(e.wake, deadline); err != nil {
			if err == unix.ETIMEDOUT {
				return 0, nil
			}
			return 0, err
		}
	}
}

// Readiness implements kernel.File (an epoll fd is readable when events are ready).
func (e *Instance) Readiness(mask waiter.EventMask) waiter.EventMask {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, in := range e.interests {
		if !in.disabled && uint32(in.file.Readiness(waiter.EventMask(in.events)))&in.events != 0 {
			return mask & waiter.EventIn
		}
	}
	return 0
}

// EventRegister implements kernel.File.
func (e *Instance) EventRegister(w *waiter.Entry) { e.queue.EventRegister(w) }

// EventUnregister implements kernel.File.
func (e *Instance) EventUnregister(w *waiter.Entry) { e.queue.EventUnregister(w) }

// Stat implements kernel.File.
func (e *Instance) Stat(*kernel.Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: 0600, Nlink: 1, Blksize: 4096}, nil
}

// Release implements kernel.File.
func (e *Instance) Release() {
	e.mu.Lock()
	ins := e.interests
	e.interests = nil
	e.mu.Unlock()
	for _, in := range ins {
		in.file.EventUnregister(in.entry)
		in.file.DecRef()
	}
}
