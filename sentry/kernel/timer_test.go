package kernel

import (
	"math"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTimerPeriodicCountsExpirations(t *testing.T) {
	var n atomic.Uint64
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(k uint64) { n.Add(k) })
	defer tm.Destroy()
	// Load-proof bounds: the count must reach 10 (expirations missed while the machine is
	// busy are counted as overruns when the timer next fires), and never exceed what the
	// elapsed time allows.
	start := time.Now()
	tm.Set(2*time.Millisecond, 2*time.Millisecond, false)
	waitFor(t, func() bool { return n.Load() >= 10 })
	tm.Set(0, 0, false)
	elapsed := time.Since(start)
	got := n.Load()
	if limit := uint64(elapsed/(2*time.Millisecond)) + 1; got > limit {
		t.Fatalf("expirations after %v of a 2 ms timer: %d (at most %d)", elapsed, got, limit)
	}
	time.Sleep(5 * time.Millisecond)
	if n.Load() != got {
		t.Fatalf("a disarmed timer fired")
	}
}

func TestTimerSetReturnsOldSetting(t *testing.T) {
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(uint64) {})
	defer tm.Destroy()
	tm.Set(time.Hour, time.Minute, false)
	v, i := tm.Set(0, 0, false)
	if v <= 59*time.Minute || v > time.Hour || i != time.Minute {
		t.Fatalf("old setting: %v %v", v, i)
	}
	if v, i := tm.Get(); v != 0 || i != 0 {
		t.Fatalf("disarmed timer reads %v %v", v, i)
	}
}

func TestTimerAbsoluteInThePastFiresAtOnce(t *testing.T) {
	var n atomic.Uint64
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(k uint64) { n.Add(k) })
	defer tm.Destroy()
	tm.Set(1, 0, true)
	waitFor(t, func() bool { return n.Load() == 1 })
}

func TestTimerDestroyStopsIt(t *testing.T) {
	var n atomic.Uint64
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(k uint64) { n.Add(k) })
	tm.Set(time.Millisecond, time.Millisecond, false)
	tm.Destroy()
	tm.Set(time.Millisecond, 0, false) // ignored once destroyed
	time.Sleep(10 * time.Millisecond)
	if n.Load() > 1 {
		t.Fatalf("destroyed timer fired %d times", n.Load())
	}
}

func TestTimerHugeValuesDoNotOverflow(t *testing.T) {
	var n atomic.Uint64
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(k uint64) { n.Add(k) })
	defer tm.Destroy()
	tm.Set(math.MaxInt64, math.MaxInt64, false)
	time.Sleep(5 * time.Millisecond)
	if v, _ := tm.Get(); n.Load() != 0 || v <= 0 {
		t.Fatalf("a timer set to the end of time fired (%d) or reads %v", n.Load(), v)
	}
}

func TestTimerTinyIntervalIsThrottledButCounted(t *testing.T) {
	var n, calls atomic.Uint64
	tm := NewTimer(WallClock(unix.CLOCK_MONOTONIC), func(k uint64) { n.Add(k); calls.Add(1) })
	tm.Set(1, 1, false)
	time.Sleep(20 * time.Millisecond)
	tm.Destroy()
	if calls.Load() > 400 {
		t.Fatalf("a 1 ns interval woke the timer %d times in 20 ms", calls.Load())
	}
	if n.Load() < 1_000_000 {
		t.Fatalf("a 1 ns interval counted only %d expirations in 20 ms", n.Load())
	}
}
