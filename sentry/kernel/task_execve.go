package kernel

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// Execve replaces the calling task's program with the executable file, as execve(2) does
// once the caller has opened path: the new program is loaded into a new address space
// first, so that a refusal (ENOEXEC, E2BIG, EFAULT from the loader) leaves the caller
// untouched; then the other threads of the process are killed and waited for (the caller
// takes over the process id if it was not the leader), the address space is replaced, the
// signal handlers are reset to the default (ignored signals stay ignored), the alternate
// signal stack is cleared, an fd table shared with another process is unshared and its
// close-on-exec descriptors are closed, and a vfork parent is woken.
//
// On success the registers are the new program's: the syscall must return ErrFullRestore.
// ErrExited means the process is exiting (another thread's exit_group) and nothing was
// done.
func (t *Task) Execve(file io.ReaderAt, path string, argv, envv []string) error {
	m, regs, err := t.loadExecutable(file, path, argv, envv)
	if err != nil {
		return err
	}
	if err := t.deThread(); err != nil {
		m.Release()
		return err
	}

	// The point of no return. Release the old memory as exit does: a vfork parent may
	// still be using it, and learns of the child's thread exit through clear_child_tid.
	old := t.mm
	t.releaseFutexes(false)
	if t.clearChildTID != 0 {
		if p, err := old.Uint32At(t.clearChildTID, true); err == nil {
			atomic.StoreUint32(p, 0)
			t.k.futexes.wake(t.futexKey(t.clearChildTID), 1, ^uint32(0))
		}
	}
	t.clearChildTID = 0
	t.foldAppCPU()
	t.mm = m
	t.regs = regs
	old.DecUsers()

	tg := t.tg
	tg.mu.Lock()
	for i := range tg.actions {
		a := &tg.actions[i]
		ignored := a.Handler == sigIGN
		*a = linux.SigAction{}
		if ignored {
			a.Handler = sigIGN
		}
	}
	tg.mu.Unlock()
	t.SetAltStack(linux.SigAltStack{})
	tg.deletePosixTimers()

	if t.fds.refs.Load() > 1 {
		fds := t.fds.Fork()
		t.fds.DecRef()
		t.fds = fds
	}
	t.fds.closeOnExec(tg)
	t.SetName(basename(path))
	tg.updateCreds(func(c *Credentials) error {
		c.execCreds(t.proc.noNewPrivs.Load())
		return nil
	})
	tg.notDumpable.Store(false) // a new image is dumpable (set-id images are not run)

	k := t.k
	k.mu.Lock()
	tg.proc.execed = true
	if vf := tg.proc.vforkDone; vf != nil {
		close(vf)
		tg.proc.vforkDone = nil
	}
	k.mu.Unlock()
	return nil
}

// deThread kills every other task of the caller's process and waits until they have gone;
// the caller then becomes the thread group leader, with the process id as its thread id.
// ErrExited if the process is exiting or the caller is killed while waiting.
func (t *Task) deThread() error {
	tg := t.tg
	tg.mu.Lock()
	if tg.exiting {
		tg.mu.Unlock()
		return ErrExited
	}
	if len(tg.tasks) == 1 {
		tg.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	tg.proc.execWaiter = done
	var others []*Task
	for o := range tg.tasks {
		if o != t {
			others = append(others, o)
		}
	}
	tg.mu.Unlock()
	for _, o := range others {
		o.exiting.Store(true)
		o.interrupt()
	}
	for t.BlockOn(done, time.Time{}) != nil {
		if t.exiting.Load() {
			return ErrExited
		}
	}
	if t.tid != tg.tgid {
		k := t.k
		k.mu.Lock()
		k.removeTaskLocked(t)
		k.addTaskLocked(t, tg.ids) // the leader's thread ids are the process ids
		k.mu.Unlock()
	}
	tg.mu.Lock()
	tg.leader = t
	tg.proc.leaderExited = false // the old leader's exit was the de-threading's
	tg.mu.Unlock()
	return nil
}

// closeOnExec closes every descriptor marked close-on-exec, running the fd-close hooks for
// tg (the process whose table it is) on each.
func (ft *FDTable) closeOnExec(tg *ThreadGroup) {
	ft.mu.Lock()
	var closed []*FileRef
	for fd, e := range ft.fds {
		if e.cloexec {
			closed = append(closed, e.file)
			delete(ft.fds, fd)
		}
	}
	ft.mu.Unlock()
	for _, f := range closed {
		runFDCloseHooks(tg, f)
		f.DecRef()
	}
}
