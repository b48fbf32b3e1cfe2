package vfs

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func TestInotifyEventSizePadsNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		want int
	}{{"", 16}, {"a", 32}, {"abcdefghijklmno", 32}, {"abcdefghijklmnop", 48}} {
		e := inotifyEvent{name: tc.name}
		if got := e.size(); got != tc.want {
			t.Errorf("size(%q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestInotifyCoalescesIdenticalConsecutiveEvents(t *testing.T) {
	in := NewInotify(unix.O_NONBLOCK)
	in.enqueue(inotifyEvent{wd: 1, mask: InModify, name: "f"})
	in.enqueue(inotifyEvent{wd: 1, mask: InModify, name: "f"})
	in.enqueue(inotifyEvent{wd: 1, mask: InModify, name: "g"})
	in.enqueue(inotifyEvent{wd: 1, mask: InModify, name: "f"})
	in.enqueue(inotifyEvent{wd: 2, mask: InIgnored})
	in.enqueue(inotifyEvent{wd: 2, mask: InIgnored})
	if n := len(in.events); n != 5 {
		t.Fatalf("%d events queued, want 5 (one merge, IN_IGNORED never merged)", n)
	}
}

func TestInotifyOverflowQueuesOneEvent(t *testing.T) {
	in := NewInotify(unix.O_NONBLOCK)
	for i := 0; i < inotifyMaxQueued+10; i++ {
		in.enqueue(inotifyEvent{wd: 1, mask: InOpen | uint32(i%2)*InCloseNowrite})
	}
	if n := len(in.events); n != inotifyMaxQueued+1 {
		t.Fatalf("%d events queued, want %d", n, inotifyMaxQueued+1)
	}
	last := in.events[len(in.events)-1]
	if last.wd != -1 || last.mask != InQOverflow {
		t.Fatalf("last event %+v, want IN_Q_OVERFLOW with wd -1", last)
	}
}

func TestInotifyReadWholeEventsOnly(t *testing.T) {
	in := NewInotify(unix.O_NONBLOCK)
	if _, err := in.Read(nil, make([]byte, 64)); err != unix.EAGAIN {
		t.Fatalf("empty non-blocking read: %v, want EAGAIN", err)
	}
	in.enqueue(inotifyEvent{wd: 3, mask: InCreate, cookie: 7, name: "x"})
	in.enqueue(inotifyEvent{wd: 3, mask: InDelete})
	if _, err := in.Read(nil, make([]byte, 31)); err != unix.EINVAL {
		t.Fatalf("read smaller than the first event: %v, want EINVAL", err)
	}
	buf := make([]byte, 40)
	n, err := in.Read(nil, buf)
	if err != nil || n != 32 {
		t.Fatalf("read = %d, %v; want the first event only (32)", n, err)
	}
	if wd, mask, cookie, l := binary.LittleEndian.Uint32(buf), binary.LittleEndian.Uint32(buf[4:]),
		binary.LittleEndian.Uint32(buf[8:]), binary.LittleEndian.Uint32(buf[12:]); wd != 3 || mask != InCreate || cookie != 7 || l != 16 || buf[16] != 'x' || buf[17] != 0 {
		t.Fatalf("event = wd %d mask %#x cookie %d len %d name %q", wd, mask, cookie, l, buf[16:32])
	}
	if in.bytes != 16 {
		t.Fatalf("FIONREAD size %d after one read, want 16", in.bytes)
	}
}
