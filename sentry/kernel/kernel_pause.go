package kernel

import (
	"errors"
	"sync"
	"time"

	"github.com/stockade-sandbox/stockade/platform"
)

// Pausing the whole sandbox (`runsc pause` / `runsc resume`).
//
// While the kernel is paused no application code runs: every task stops at the gate in
// its run loop (beginApp) before switching into application code, and Pause kicks the
// tasks that are in application code out of it. A task blocked in a syscall stays
// blocked; if its syscall completes, the task stops at the gate on its way back. Signals
// sent meanwhile (kill, timers) stay pending and are delivered after Resume, except that
// a task that must exit (SIGKILL, a group exit) leaves the gate and exits, so that a
// paused container can be killed as a frozen cgroup can. CPU clocks do not advance while
// paused, since nothing runs.
//
// Locking: pauseGate.mu is a leaf.

// pauseGate is the kernel's pause state.
type pauseGate struct {
	mu sync.Mutex
	// resumed is nil while running; while paused, a channel Resume closes. Guarded by mu.
	resumed chan struct{}
	// inApp counts tasks between beginApp and endApp (in application code). Guarded by mu.
	inApp int
	// idle, while paused, is closed when inApp drops to zero. Guarded by mu.
	idle chan struct{}
}

// ErrPaused and ErrNotPaused are returned by Pause and Resume when the kernel already is
// (or is not) paused.
var (
	ErrPaused    = errors.New("the sandbox is paused")
	ErrNotPaused = errors.New("the sandbox is not paused")
)

// beginApp is the gate before every switch into application code. It returns true with
// the task counted as in application code, or false, having waited while the kernel was
// paused (or found the task exiting): the caller goes round its loop again (signals
// first) before it tries again.
//
// Preconditions: called by the task goroutine.
func (k *Kernel) beginApp(t *Task) bool {
	p := &k.pause
	p.mu.Lock()
	ch := p.resumed
	if ch == nil {
		p.inApp++
		p.mu.Unlock()
		return true
	}
	p.mu.Unlock()
	select {
	case <-ch:
	case <-t.wake:
		// Re-checked by the caller: an exit leaves the loop, anything else waits again.
	}
	return false
}

// endApp records that the task has left application code.
func (k *Kernel) endApp() {
	p := &k.pause
	p.mu.Lock()
	p.inApp--
	if p.inApp == 0 && p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
	p.mu.Unlock()
}

// Pause stops every task of the sandbox before its next instruction of application code
// and returns once none is running application code (or after timeout, with an error,
// leaving the kernel paused: tasks still in application code stop at their next exit
// from it).
func (k *Kernel) Pause(timeout time.Duration) error {
	p := &k.pause
	p.mu.Lock()
	if p.resumed != nil {
		p.mu.Unlock()
		return ErrPaused
	}
	p.resumed = make(chan struct{})
	idle := make(chan struct{})
	if p.inApp == 0 {
		close(idle)
	} else {
		p.idle = idle
	}
	p.mu.Unlock()
	k.mu.Lock()
	tasks := make([]*Task, 0, len(k.root.tasks))
	for _, t := range k.root.tasks {
		tasks = append(tasks, t)
	}
	k.mu.Unlock()
	// t.ctx is the task goroutine's own; other goroutines reach the context through
	// sharedCtx (a task that has none yet stops at the gate before its first switch).
	for _, t := range tasks {
		if ctx, ok := t.sharedCtx.Load().(platform.Context); ok {
			ctx.Interrupt()
		}
	}
	select {
	case <-idle:
		return nil
	case <-time.After(timeout):
		return errors.New("timed out waiting for the sandbox's tasks to stop")
	}
}

// Resume lets the tasks of a paused sandbox run again.
func (k *Kernel) Resume() error {
	p := &k.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed == nil {
		return ErrNotPaused
	}
	close(p.resumed)
	p.resumed, p.idle = nil, nil
	return nil
}

// Paused reports whether the kernel is paused.
func (k *Kernel) Paused() bool {
	p := &k.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resumed != nil
}
