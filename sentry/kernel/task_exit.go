package kernel

import (
	"sync/atomic"
	"unsafe"
)

// Exit ends the calling task with code (exit(2)). If it is the last task of its thread group,
// the group's exit status is code.
func (t *Task) Exit(code int) error {
	t.exitCode = code
	t.exiting.Store(true)
	return ErrExited
}

// ExitGroup ends every task of the thread group (exit_group(2)).
func (t *Task) ExitGroup(code int) error {
	t.tg.groupExit(ExitStatus{Code: code})
	return ErrExited
}

// groupExit starts a group exit with status, unless one is already under way (the first
// status wins, as in Linux), and interrupts every task of the group.
func (tg *ThreadGroup) groupExit(status ExitStatus) {
	tg.mu.Lock()
	if !tg.exiting {
		tg.exiting = true
		tg.exitStatus = status
	}
	tasks := make([]*Task, 0, len(tg.tasks))
	for t := range tg.tasks {
		tasks = append(tasks, t)
	}
	tg.mu.Unlock()
	for _, t := range tasks {
		t.exiting.Store(true)
		t.interrupt()
	}
}

// exit is the last thing the task goroutine does: it clears the child tid (waking a
// pthread_join), leaves its thread group, and, if it was the last task, ends the group.
func (t *Task) exit() {
	t.exiting.Store(true)
	// Robust and PI futexes first, as Linux's mm_release: a joiner woken by the child
	// tid must find the locks marked.
	t.releaseFutexes(true)
	if t.clearChildTID != 0 && t.mm != nil {
		// Linux writes 0 and wakes one waiter only if the mm is still shared by others;
		// doing it always is harmless.
		if p, err := t.mm.Uint32At(t.clearChildTID, true); err == nil {
			atomic.StoreUint32(p, 0)
			t.k.futexes.wake(t.futexKey(t.clearChildTID), 1, ^uint32(0))
		}
	}
	cpu := t.ownCPUTime()
	if t.ctx != nil {
		t.ctx.Release()
	}
	if t.fds != nil {
		t.fds.DecRef()
	}
	// The filesystem context's root and cwd stop keeping their mounts busy (umount2).
	t.releaseFSContext()

	tg := t.tg
	tg.mu.Lock()
	stopSig := t.leaveGroupStopLocked()
	delete(tg.tasks, t)
	last := len(tg.tasks) == 0
	if t == tg.leader {
		// Without a group exit, the process's status is its leader's exit code, however
		// long the other threads outlive it (as on Linux).
		tg.proc.leaderExited, tg.proc.leaderCode = true, t.exitCode&0xff
	}
	if w := tg.proc.execWaiter; w != nil && len(tg.tasks) == 1 {
		close(w)
		tg.proc.execWaiter = nil
	}
	if last && !tg.exiting {
		tg.exiting = true
		tg.exitStatus = ExitStatus{Code: t.exitCode & 0xff}
		if tg.proc.leaderExited {
			tg.exitStatus.Code = tg.proc.leaderCode
		}
	}
	tg.mu.Unlock()
	if stopSig != 0 {
		tg.notifyJobChange(cldStopped) // t was the last one a group stop waited for
	}

	k := t.k
	k.mu.Lock()
	k.removeTaskLocked(t)
	tg.proc.cpu = tg.proc.cpu.Add(cpu)
	k.mu.Unlock()

	if last {
		tg.stopTimers()
		runProcessExitHooks(tg)
		// The memory manager goes before the parent hears of the exit, so that a vfork
		// parent and a waiter see the memory released.
		// (It may be shared with a vfork parent: each process holds one user of it.)
		if t.mm != nil {
			t.mm.DecUsers()
		}
		close(tg.exited)
		k.processExited(tg)
	}
	k.maybeDone()
}

// futexKey identifies a futex word for wait/wake: a word in shared memory (MAP_SHARED,
// anonymous or file) is keyed by its memory-file offset, so that every process mapping it
// shares the futex (Linux's shared futex keys; used whatever FUTEX_PRIVATE_FLAG says, which
// only adds wakeups Linux would not make between processes); other words by address space
// and address.
func (t *Task) futexKey(addr uintptr) futexKey {
	if t.mm != nil {
		if off, ok := t.mm.SharedOffset(addr); ok {
			return futexKey{mm: sharedFutexKey, addr: uintptr(off)}
		}
	}
	return futexKey{mm: uintptr(unsafe.Pointer(t.mm)), addr: addr}
}

// sharedFutexKey is futexKey.mm for words in shared memory (no address space is at 1).
const sharedFutexKey = 1
