package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// CPU clocks.
//
// A task's CPU time is measured on the host, where it is spent: system time is the CPU time
// of the task's sentry OS thread since the task started on it (the goroutine is locked to
// it for life), and user time is the CPU time of the platform's application ("stub") thread
// that runs the task's code. The ptrace platform gives each address space its own stub
// thread per task, a host process whose CPU clock any thread of the sentry can read; the
// task publishes that thread's host id (appTID) after each switch, so other goroutines
// (clock_gettime on another thread's clock, the CPU-timer sampler) read it without
// stopping the task. When the stub thread changes (execve builds a new address space) its
// last reading is folded into appBase first, so the clock never goes back; a floor (the
// highest value reported) covers a stub thread that died before it could be read.
//
// Each reading costs one or two clock_gettime syscalls on the host (no stop of the task).
//
// Locking: taskCPUClock.mu is a leaf.

// taskCPUClock is a task's CPU clock state.
type taskCPUClock struct {
	mu sync.Mutex
	// appTID is the host id of the stub thread running the task (0: none yet). Guarded by mu.
	appTID int32
	// appBase is the user time of earlier stub threads. Guarded by mu.
	appBase time.Duration
	// floor is the highest value reported, so that readings are monotonic. Guarded by mu.
	floor CPUTime
}

// appThreader is implemented by platform Contexts that can name the host thread running
// the application, whose CPU clock measures its user time.
type appThreader interface {
	// AppThreadID returns that thread's host id, or 0. Called by the owning goroutine.
	AppThreadID() int32
}

// hostCPUClock reads the CPU clock of host process or thread tid.
func hostCPUClock(tid int32, thread bool) (time.Duration, bool) {
	// ~tid << 3 | CPUCLOCK_SCHED, with CPUCLOCK_PERTHREAD_MASK for a thread.
	clk := int32(^uint32(tid)<<3) | 2
	if thread {
		clk |= 4
	}
	var ts unix.Timespec
	if unix.ClockGettime(clk, &ts) != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// noteAppThread publishes the stub thread the task last ran in. Cheap: no syscall unless the
// thread changed.
//
// Preconditions: called by the task goroutine.
func (t *Task) noteAppThread() {
	at, ok := t.ctx.(appThreader)
	if !ok {
		return
	}
	tid := at.AppThreadID()
	c := &t.cpuClock
	// Only this goroutine writes appTID, so it may read it without the lock.
	if tid == c.appTID {
		return
	}
	c.mu.Lock()
	if tid != c.appTID {
		c.foldLocked()
		c.appTID = tid
	}
	c.mu.Unlock()
}

// foldAppCPU moves the current stub thread's time into appBase and forgets the thread: the
// task is about to leave it (execve).
//
// Preconditions: called by the task goroutine.
func (t *Task) foldAppCPU() {
	c := &t.cpuClock
	c.mu.Lock()
	c.foldLocked()
	c.appTID = 0
	c.mu.Unlock()
}

// foldLocked adds the current stub thread's final reading to appBase.
//
// Preconditions: c.mu is held.
func (c *taskCPUClock) foldLocked() {
	if c.appTID == 0 {
		return
	}
	u := c.appBase
	if d, ok := hostCPUClock(c.appTID, false); ok {
		u += d
	}
	c.appBase = max(u, c.floor.User)
}

// CPUClock returns the task's CPU time so far. It may be called by any goroutine and is
// monotonic.
func (t *Task) CPUClock() CPUTime {
	c := &t.cpuClock
	c.mu.Lock()
	defer c.mu.Unlock()
	v := CPUTime{User: c.appBase}
	if c.appTID != 0 {
		if d, ok := hostCPUClock(c.appTID, false); ok {
			v.User += d
		}
	}
	if tid := t.proc.osTID.Load(); tid != 0 {
		if d, ok := hostCPUClock(tid, true); ok {
			v.Sys = max(0, d-time.Duration(t.proc.cpuBase.Load()))
		}
	}
	v.User = max(v.User, c.floor.User)
	v.Sys = max(v.Sys, c.floor.Sys)
	c.floor = v
	return v
}

// ProcessCPUClock returns the CPU time of tg: its exited tasks' and its live tasks'.
func (tg *ThreadGroup) ProcessCPUClock() CPUTime {
	tg.k.mu.Lock()
	v := tg.proc.cpu
	tg.k.mu.Unlock()
	tg.mu.Lock()
	tasks := make([]*Task, 0, len(tg.tasks))
	for o := range tg.tasks {
		tasks = append(tasks, o)
	}
	tg.mu.Unlock()
	for _, o := range tasks {
		v = v.Add(o.CPUClock())
	}
	// A task that is exiting has left tasks but not yet added its time to proc.cpu.
	ts := &tg.timers
	ts.mu.Lock()
	v.User = max(v.User, ts.cpuFloor.User)
	v.Sys = max(v.Sys, ts.cpuFloor.Sys)
	ts.cpuFloor = v
	ts.mu.Unlock()
	return v
}
