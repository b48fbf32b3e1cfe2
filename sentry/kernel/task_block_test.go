package kernel

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
