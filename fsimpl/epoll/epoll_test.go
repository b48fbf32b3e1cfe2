package epoll

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/eventfd"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

func one() []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, 1)
	return b
}

func poll(e *Instance) []Event {
	out := make([]byte, 8*EventSize)
	n, _ := e.Wait(nil, out, time.Time{}, true)
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = ParseEvent(out[i*EventSize:])
	}
	return evs
}

func TestLevelTriggeredReportsWhileReady(t *testing.T) {
	e := New(0)
	efd := eventfd.New(0, unix.O_NONBLOCK)
	ref := kernel.NewFileRef(efd)
	if err := e.Ctl(unix.EPOLL_CTL_ADD, 3, ref, Event{Events: uint32(waiter.EventIn), Data: 42}); err != nil {
		t.Fatal(err)
	}
	if got := poll(e); len(got) != 0 {
		t.Fatalf("ready before any write: %+v", got)
	}
	efd.Write(nil, one())
	for i := 0; i < 2; i++ {
		got := poll(e)
		if len(got) != 1 || got[0].Data != 42 || got[0].Events != uint32(waiter.EventIn) {
			t.Fatalf("poll %d: %+v, want one EPOLLIN with data 42", i, got)
		}
	}
	if err := e.Ctl(unix.EPOLL_CTL_ADD, 3, ref, Event{}); err != unix.EEXIST {
		t.Fatalf("second ADD: %v, want EEXIST", err)
	}
	if err := e.Ctl(unix.EPOLL_CTL_DEL, 3, ref, Event{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Ctl(unix.EPOLL_CTL_DEL, 3, ref, Event{}); err != unix.ENOENT {
		t.Fatalf("second DEL: %v, want ENOENT", err)
	}
	if got := poll(e); len(got) != 0 {
		t.Fatalf("ready after DEL: %+v", got)
	}
}

func TestEdgeTriggeredAndOneShot(t *testing.T) {
	e := New(0)
	efd := eventfd.New(0, unix.O_NONBLOCK)
	ref := kernel.NewFileRef(efd)
	e.Ctl(unix.EPOLL_CTL_ADD, 3, ref, Event{Events: uint32(waiter.EventIn) | epollET})
	efd.Write(nil, one())
	if got := poll(e); len(got) != 1 {
		t.Fatalf("first edge: %+v", got)
	}
	if got := poll(e); len(got) != 0 {
		t.Fatalf("edge reported twice without a new event: %+v", got)
	}
	efd.Write(nil, one())
	if got := poll(e); len(got) != 1 {
		t.Fatalf("second edge not reported: %+v", got)
	}

	e2 := New(0)
	e2.Ctl(unix.EPOLL_CTL_ADD, 3, ref, Event{Events: uint32(waiter.EventIn) | epollOneShot})
	if got := poll(e2); len(got) != 1 {
		t.Fatalf("oneshot: %+v", got)
	}
	if got := poll(e2); len(got) != 0 {
		t.Fatalf("oneshot reported twice: %+v", got)
	}
	e2.Ctl(unix.EPOLL_CTL_MOD, 3, ref, Event{Events: uint32(waiter.EventIn) | epollOneShot})
	if got := poll(e2); len(got) != 1 {
		t.Fatalf("oneshot not re-armed by MOD: %+v", got)
	}
}

func TestEpollRefusesItself(t *testing.T) {
	e := New(0)
	if err := e.Ctl(unix.EPOLL_CTL_ADD, 3, kernel.NewFileRef(e), Event{Events: 1}); err != unix.EINVAL {
		t.Fatalf("adding an epoll to itself: %v, want EINVAL", err)
	}
}

// TestWaitDoesNotAllocate: epoll_wait is a hot path; with ready interests, Wait encodes into
// the caller's reused buffer and allocates nothing.
func TestWaitDoesNotAllocate(t *testing.T) {
	e := New(0)
	for fd := int32(3); fd < 6; fd++ {
		efd := eventfd.New(1, unix.O_NONBLOCK)
		if err := e.Ctl(unix.EPOLL_CTL_ADD, fd, kernel.NewFileRef(efd), Event{Events: uint32(waiter.EventIn), Data: uint64(fd)}); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]byte, 8*EventSize)
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		n, _ = e.Wait(nil, out, time.Time{}, true)
	})
	if n != 3 {
		t.Fatalf("Wait reported %d events, want 3", n)
	}
	if allocs != 0 {
		t.Fatalf("Wait allocates %v times per call, want 0", allocs)
	}
}
