package kernel

import "golang.org/x/sys/unix"

// FSContext is a task's filesystem context (root, working directory, umask). It is
// implemented by package vfs, which imports this package; the kernel only shares and copies
// it. Tasks cloned with CLONE_FS share one.
type FSContext interface {
	IncRef()
	DecRef()
	// Fork returns an unshared copy with one reference.
	Fork() FSContext
}

// FSContext returns the task's filesystem context (nil for a task without one).
func (t *Task) FSContext() FSContext {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fsc
}

// SetFSContext replaces the task's filesystem context (unshare(CLONE_FS)), taking over the
// caller's reference and dropping the task's on the old one.
func (t *Task) SetFSContext(c FSContext) {
	t.mu.Lock()
	old := t.fsc
	t.fsc = c
	t.mu.Unlock()
	if old != nil {
		old.DecRef()
	}
}

// cloneFSContext returns the filesystem context for a child cloned with flags: shared with
// CLONE_FS, copied otherwise.
func (t *Task) cloneFSContext(flags uint64) FSContext {
	c := t.FSContext()
	if c == nil {
		return nil
	}
	if flags&unix.CLONE_FS != 0 {
		c.IncRef()
		return c
	}
	return c.Fork()
}

// releaseFSContext drops the task's filesystem context at exit.
func (t *Task) releaseFSContext() { t.SetFSContext(nil) }
