// Package waiter is the readiness framework shared by every file type: a file owns a Queue,
// pollers register an Entry with a callback, and the file calls Notify with the events that
// became ready. epoll, poll and blocking reads are all built on it.
//
// Locking: Queue.mu guards the entry list. Callbacks run with Queue.mu held, so they must
// not call back into the queue; they typically signal a channel.
package waiter

import "sync"

// EventMask is a set of poll events (the EPOLL*/POLL* bits, which share values).
type EventMask uint32

// Events.
const (
	EventIn    EventMask = 0x001
	EventPri   EventMask = 0x002
	EventOut   EventMask = 0x004
	EventErr   EventMask = 0x008
	EventHUp   EventMask = 0x010
	EventRdHUp EventMask = 0x2000
	// AllEvents are the events a waiter may ask for.
	AllEvents = EventIn | EventPri | EventOut | EventErr | EventHUp | EventRdHUp
)

// Entry is one registration on a Queue.
type Entry struct {
	// Mask selects the events the callback is interested in.
	Mask EventMask
	// Callback is called with the ready events that intersect Mask.
	Callback func(EventMask)

	prev, next *Entry
	q          *Queue
}

// Queue is a list of entries waiting for events on one object.
type Queue struct {
	mu         sync.Mutex
	head, tail *Entry
}

// EventRegister adds e. An entry may be on one queue at a time.
func (q *Queue) EventRegister(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != nil {
		return
	}
	e.q = q
	e.prev, e.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
}

// EventUnregister removes e if it is registered.
func (q *Queue) EventUnregister(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != q {
		return
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next, e.q = nil, nil, nil
}

// Notify calls the callback of every entry interested in mask.
func (q *Queue) Notify(mask EventMask) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for e := q.head; e != nil; e = e.next {
		if m := e.Mask & mask; m != 0 && e.Callback != nil {
			e.Callback(m)
		}
	}
}

// Waitable is what a task can wait on: readiness and a queue of entries (every kernel.File
// is one).
type Waitable interface {
	Readiness(mask EventMask) EventMask
	EventRegister(e *Entry)
	EventUnregister(e *Entry)
}

// ChannelEntry returns an entry that signals a channel (buffer 1) on events in mask.
func ChannelEntry(mask EventMask) (*Entry, chan struct{}) {
	ch := make(chan struct{}, 1)
	return &Entry{Mask: mask, Callback: func(EventMask) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}}, ch
}
