package kernel

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// TestTimedBlockDoesNotAllocate: BlockOn with a deadline reuses the task's timer, so a timed
// wait (epoll_wait, poll, futex) allocates nothing per call once the timer exists, and a
// reused timer still fires.
func TestTimedBlockDoesNotAllocate(t *testing.T) {
	task := &Task{tg: &ThreadGroup{}, wake: make(chan struct{}, 1)}
	ready := make(chan struct{}, 1)
	block := func() error {
		ready <- struct{}{}
		return task.BlockOn(ready, time.Now().Add(time.Hour))
	}
	if err := block(); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { block() }); allocs != 0 {
		t.Fatalf("a timed BlockOn allocates %v times per call, want 0", allocs)
	}
	for i := 0; i < 3; i++ {
		start := time.Now()
		if err := task.BlockOn(nil, start.Add(5*time.Millisecond)); err != unix.ETIMEDOUT {
			t.Fatalf("wait %d: %v, want ETIMEDOUT", i, err)
		}
		if d := time.Since(start); d < 5*time.Millisecond {
			t.Fatalf("wait %d: returned after %v, before its deadline", i, d)
		}
	}
}

// counter is a Waitable: readable while n > 0.
type counter struct {
	waiter.Queue
	n atomic.Int32
}

func (c *counter) Readiness(mask waiter.EventMask) waiter.EventMask {
	if c.n.Load() > 0 {
		return mask & waiter.EventIn
	}
	return 0
}

func (c *counter) take() (int, bool, error) {
	if c.n.Load() == 0 {
		return 0, false, nil
	}
	c.n.Add(-1)
	return 1, true, nil
}

// TestBlockingIOWaitsForReadiness: a non-blocking attempt that cannot proceed is EAGAIN; a
// blocking one waits for a notification and tries again; readiness that arrives between the
// failed attempt and the wait is not missed.
func TestBlockingIOWaitsForReadiness(t *testing.T) {
	task := &Task{tg: &ThreadGroup{}, wake: make(chan struct{}, 1)}
	c := &counter{}
	if _, err := task.BlockingIO(c, waiter.EventIn, true, c.take); err != unix.EAGAIN {
		t.Fatalf("non-blocking: %v, want EAGAIN", err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		c.n.Store(1)
		c.Notify(waiter.EventIn)
	}()
	if n, err := task.BlockingIO(c, waiter.EventIn, false, c.take); n != 1 || err != nil {
		t.Fatalf("blocking: %d, %v, want 1, nil", n, err)
	}
	// Ready by the time the wait registers, with no notification: the re-check sees it.
	tries := 0
	n, err := task.BlockingIO(c, waiter.EventIn, false, func() (int, bool, error) {
		if tries++; tries == 1 {
			c.n.Store(1) // became ready after this attempt looked
			return 0, false, nil
		}
		return c.take()
	})
	if n != 1 || err != nil || tries != 2 {
		t.Fatalf("ready before the wait: %d, %v after %d tries", n, err, tries)
	}
}
