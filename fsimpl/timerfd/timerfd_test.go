package timerfd

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vdso"
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
	f.SetTime(time.Millisecond, time.Millisecond, false, false)
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
	f.SetTime(0, 0, false, false)
	if f.Readiness(waiter.EventIn) != 0 {
		t.Fatal("settime did not reset the count")
	}
	if _, err := f.Read(nil, buf[:4]); err != unix.EINVAL {
		t.Fatalf("short read: %v, want EINVAL", err)
	}
}

// fakeClockSets replaces the vdso's clock-set registry for a test and returns a function
// that "sets the clock" (calls every hook registered) and one that counts live hooks.
func fakeClockSets(t *testing.T) (set func(), live func() int) {
	hooks := map[int]func(){}
	next := 0
	onRealtimeSet = func(f func()) func() {
		id := next
		next++
		hooks[id] = f
		return func() { delete(hooks, id) }
	}
	t.Cleanup(func() { onRealtimeSet = vdso.OnRealtimeSet })
	return func() {
			for _, f := range hooks {
				f()
			}
		}, func() int {
			return len(hooks)
		}
}

func TestCancelOnSet(t *testing.T) {
	set, live := fakeClockSets(t)
	far := time.Duration(time.Now().Add(time.Hour).UnixNano())
	var buf [8]byte

	// Armed with CANCEL_ON_SET and ABSTIME on CLOCK_REALTIME: a clock step makes the file
	// readable and the read fails with ECANCELED, once.
	f := New(kernel.WallClock(unix.CLOCK_REALTIME), unix.O_NONBLOCK)
	f.SetTime(far, 0, true, true)
	if live() != 1 {
		t.Fatalf("%d hooks after arming, want 1", live())
	}
	set()
	if f.Readiness(waiter.EventIn) != waiter.EventIn {
		t.Fatal("not readable after the clock was set")
	}
	if _, err := f.Read(nil, buf[:]); err != unix.ECANCELED {
		t.Fatalf("read after the clock was set: %v, want ECANCELED", err)
	}
	if _, err := f.Read(nil, buf[:]); err != unix.EAGAIN {
		t.Fatalf("second read: %v, want EAGAIN", err)
	}
	// Re-arming without the flag, disarming and releasing drop the hook.
	f.SetTime(far, 0, true, false)
	if live() != 0 {
		t.Fatalf("%d hooks after re-arming without the flag", live())
	}
	f.SetTime(far, 0, true, true)
	f.Release()
	if live() != 0 {
		t.Fatalf("%d hooks after release", live())
	}

	// Relative timers and other clocks ignore the flag, as Linux does.
	for _, g := range []*File{
		New(kernel.WallClock(unix.CLOCK_REALTIME), unix.O_NONBLOCK),
		New(kernel.WallClock(unix.CLOCK_MONOTONIC), unix.O_NONBLOCK),
	} {
		// An hour from now: relative on the realtime clock, absolute on the monotonic one
		// (an absolute time already past would expire at once, and be read).
		value := time.Hour
		if !g.realtime {
			value += time.Duration(g.timer.Clock().Now())
		}
		g.SetTime(value, 0, !g.realtime, true)
		set()
		if _, err := g.Read(nil, buf[:]); err != unix.EAGAIN {
			t.Fatalf("read: %v, want EAGAIN", err)
		}
		g.Release()
	}
}
