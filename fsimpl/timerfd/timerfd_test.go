package timerfd

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

func TestTimerfdReadReturnsAndResetsCount(t *testing.T) {
	f := New(kernel.WallClock(unix.CLOCK_MONOTONIC), unix.O_NONBLOCK)
	defer f.Release()
	var buf [8]byte
	if _, err := f.Read(nil, buf[:]); err != unix.EAGAIN {
		t.Fatalf("read of a disarmed timerfd: %v, want EAGAIN", err)
	}
	e, ch := waiter.ChannelEntry(waiter.EventIn)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	f.SetTime(time.Millisecond, time.Millisecond, false)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no EventIn notification")
	}
	time.Sleep(5 * time.Millisecond)
	if f.Readiness(waiter.EventIn|waiter.EventOut) != waiter.EventIn {
		t.Fatal("expired timerfd not readable (or writable)")
	}
	if n, err := f.Read(nil, buf[:]); n != 8 || err != nil || binary.LittleEndian.Uint64(buf[:]) < 2 {
		t.Fatalf("read: %d %v count %d", n, err, binary.LittleEndian.Uint64(buf[:]))
	}
	f.SetTime(0, 0, false)
	if f.Readiness(waiter.EventIn) != 0 {
		t.Fatal("settime did not reset the count")
	}
	if _, err := f.Read(nil, buf[:4]); err != unix.EINVAL {
		t.Fatalf("short read: %v, want EINVAL", err)
	}
}
