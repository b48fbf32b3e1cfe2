package ptrace

import (
	"time"

	"golang.org/x/sys/unix"
)

// AppCPUTime returns the host CPU time used by the stub thread the context last ran the
// application in: each stub thread is a host process of its own, so its process CPU clock
// is readable. Time used in stub threads of earlier address spaces (before an execve) is
// not included. ok is false if there is no stub thread yet or the clock cannot be read.
//
// Preconditions: called by the owning goroutine.
func (c *context) AppCPUTime() (d time.Duration, ok bool) {
	t := c.lastThread
	if t == nil || t.dead {
		return 0, false
	}
	// A process CPU clock id: ~pid << 3 | CPUCLOCK_SCHED.
	clk := int32(^uint32(t.tid)<<3) | 2
	var ts unix.Timespec
	if unix.ClockGettime(clk, &ts) != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// AppThreadID returns the host id of the stub thread the context last ran the application
// in (a host process of its own, whose CPU clock any thread may read), or 0.
//
// Preconditions: called by the owning goroutine.
func (c *context) AppThreadID() int32 {
	t := c.lastThread
	if t == nil || t.dead {
		return 0
	}
	return int32(t.tid)
}
