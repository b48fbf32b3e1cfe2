package kernel

import (
	"syscall"
	"time"
)

// Teardown order.
//
// A task goroutine leaves the pid tables (Kernel.mu) before its thread group's last task
// releases the process's address space (MemoryManager.DecUsers, which drops the memory
// file references of its pages and releases the platform address space) and before its
// platform context is gone. The sandbox is therefore torn down in this order:
//
//  1. KillAll: every thread group gets SIGKILL; each task leaves the kernel at its next
//     interruption point.
//  2. WaitReleased: wait until every task goroutine has finished Task.exit (Kernel.live),
//     so that no MemoryManager, Mappable user or platform context is left running.
//  3. Only then the platform is released and, where the caller owns it, the memory file
//     closed: the memory file outlives every MemoryManager.
//
// Kernel.Wait follows the same rule: done is closed only once init has exited, the tables
// are empty and no task goroutine is still exiting (maybeDone).

// goTask starts t's goroutine, counting it in Kernel.live until Task.exit has released
// everything the task held.
func (k *Kernel) goTask(t *Task, start func() error) {
	k.mu.Lock()
	k.live++
	k.mu.Unlock()
	go t.run(start)
}

// taskGone is the last thing a task goroutine does (after Task.exit's releases).
func (k *Kernel) taskGone() {
	k.mu.Lock()
	k.live--
	if k.live == 0 && k.idle != nil {
		close(k.idle)
		k.idle = nil
	}
	k.mu.Unlock()
}

// KillAll ends every process with SIGKILL (the sandbox is being torn down). It does not
// wait: a task goroutine (init's exit) calls it too. Teardown follows it with WaitReleased.
// From then on fork and Spawn fail: a process forked between KillAll's listing of the
// processes and its kill of the parent would otherwise live on (Linux's fork checks for a
// pending fatal signal under tasklist_lock for the same reason). Threads need no such
// check: a group exit is seen under ThreadGroup.mu by clone.
func (k *Kernel) KillAll() {
	k.mu.Lock()
	k.killingAll = true
	k.mu.Unlock()
	for _, tg := range k.ThreadGroups() {
		tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
	}
}

// WaitReleased waits, at most timeout, until no task is left in the kernel and every task
// goroutine has finished exiting, its address space and platform context released. It
// reports whether that happened. A task created while it waits (an exec racing with
// teardown) is waited for too.
//
// Preconditions: not called from a task goroutine (it would wait for itself).
func (k *Kernel) WaitReleased(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		k.mu.Lock()
		if k.live == 0 && len(k.root.tasks) == 0 {
			k.mu.Unlock()
			return true
		}
		if k.live == 0 {
			// Tasks registered but whose goroutine has not started yet: poll briefly.
			k.mu.Unlock()
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if k.idle == nil {
			k.idle = make(chan struct{})
		}
		idle := k.idle
		k.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		tm := time.NewTimer(left)
		select {
		case <-idle:
			tm.Stop()
		case <-tm.C:
			return false
		}
	}
}

// Shutdown kills every process and waits (at most timeout) for every task to have released
// its address space: after it returns true, the platform may be released and the memory
// file closed. It reports whether every task finished in time; if not, a task is stuck
// where a kill does not reach it and the caller must leave the memory file open.
func (k *Kernel) Shutdown(timeout time.Duration) bool {
	k.KillAll()
	return k.WaitReleased(timeout)
}
