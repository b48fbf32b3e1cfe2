package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// cloneProcess creates a new process as clone(2) without CLONE_THREAD does (fork, vfork and
// their clone/clone3 spellings): a copy-on-write copy of the address space (or the same
// one with CLONE_VM), a copy of the fd table (shared with CLONE_FILES), copied signal
// actions, the caller's mask, process group and session, and the caller (or its parent,
// with CLONE_PARENT) as parent. With CLONE_VFORK the caller waits until the child execs or
// exits.
//
// Preconditions: Clone's flag checks passed; opts.Flags has no CLONE_THREAD.
func (t *Task) cloneProcess(opts CloneOptions) (int32, error) {
	f := opts.Flags
	k := t.k
	if f&unix.CLONE_SIGHAND != 0 {
		// Signal actions live in the thread group: two processes cannot share them.
		k.Logf("clone flags %#x: CLONE_SIGHAND without CLONE_THREAD is not supported", f)
		return 0, unix.EINVAL
	}
	if t.tg.rlimitReachedThreads() {
		return 0, unix.EAGAIN
	}

	var m *mm.MemoryManager
	if f&unix.CLONE_VM != 0 {
		m = t.mm
		m.IncUsers()
	} else {
		as, err := k.Platform.NewAddressSpace()
		if err != nil {
			k.Logf("fork: creating address space: %v", err)
			return 0, unix.ENOMEM
		}
		if m, err = t.mm.Fork(as); err != nil {
			as.Release()
			k.Logf("fork: copying address space: %v", err)
			return 0, unix.ENOMEM
		}
	}

	tg := &ThreadGroup{k: k, creds: t.tg.Creds(), tasks: make(map[*Task]struct{}), exited: make(chan struct{}), container: t.tg.container}
	t.tg.mu.Lock()
	tg.actions = t.tg.actions
	tg.rlimits = t.tg.rlimits
	tg.notDumpable.Store(t.tg.notDumpable.Load())
	tg.oomScoreAdj.Store(t.tg.oomScoreAdj.Load())
	t.tg.mu.Unlock()

	nt := t.newChild(tg, m, opts)
	if f&unix.CLONE_CHILD_CLEARTID != 0 {
		nt.clearChildTID = opts.ChildTID
	}
	var vforkDone chan struct{}
	if f&unix.CLONE_VFORK != 0 {
		vforkDone = make(chan struct{})
	}
	// The child starts with the caller's floating point state, as fork copies it.
	var fpState []byte
	if t.ctx != nil {
		if st, err := t.ctx.FullState(t.mm.AddressSpace()); err == nil {
			fpState = append([]byte(nil), st...)
		}
	}

	undo := func() {
		nt.fds.DecRef()
		nt.SetFSContext(nil)
		m.DecUsers()
	}
	// CLONE_PIDFD: the pidfd is in the caller's table and its number in the caller's
	// memory before the child exists, so that a bad address fails the clone (EFAULT).
	pidfd := int32(-1)
	if f&unix.CLONE_PIDFD != 0 {
		fd, err := t.installPIDFD(tg)
		if err != nil {
			undo()
			return 0, err
		}
		var b [4]byte
		putUint32(b[:], uint32(fd))
		if _, err := t.CopyOut(opts.PIDFD, b[:]); err != nil {
			t.fds.Remove(fd)
			undo()
			return 0, unix.EFAULT
		}
		pidfd = fd
	}
	undoAll := func() {
		if pidfd >= 0 {
			t.fds.Remove(pidfd)
		}
		undo()
	}
	ns := t.ChildPIDNamespace()
	if f&unix.CLONE_NEWPID != 0 {
		var err error
		if ns, err = ns.NewChild(); err != nil {
			undoAll()
			return 0, err
		}
	}
	k.mu.Lock()
	ids, err := k.allocIDsLocked(ns)
	if err != nil {
		k.mu.Unlock()
		undoAll()
		return 0, allocErrno(err)
	}
	t.tg.mu.Lock()
	exiting := t.tg.exiting
	t.tg.mu.Unlock()
	parent := t.tg
	exitSignal := int(opts.ExitSignal)
	if f&unix.CLONE_PARENT != 0 {
		parent = t.tg.parent
		exitSignal = t.tg.proc.exitSignal
	}
	if exiting || parent == nil || parent.proc.zombie {
		k.mu.Unlock()
		undoAll()
		return 0, ErrExited
	}
	tg.leader = nt
	tg.tasks[nt] = struct{}{}
	tg.parent = parent
	k.addTaskLocked(nt, ids)
	k.registerProcessLocked(tg, ids, t.tg.proc.pgrp)
	tg.proc.noCtty = t.tg.proc.noCtty
	tg.proc.exitSignal = exitSignal
	tg.proc.vforkDone = vforkDone
	parent.proc.children[tg] = struct{}{}
	k.mu.Unlock()
	// The caller sees the child's pid in its own namespace (0 if the child is not in it
	// or a descendant: never, since namespaces for children are descendants).
	tid := ids.in(t.tg.ids.ns)

	if f&unix.CLONE_PARENT_SETTID != 0 {
		var b [4]byte
		putUint32(b[:], uint32(tid))
		t.CopyOut(opts.ParentTID, b[:])
	}
	childSetTID := f&unix.CLONE_CHILD_SETTID != 0
	go nt.run(func() error {
		nt.startAccounting()
		if fpState != nil {
			// Best effort: a platform may not accept the state before the child's first
			// switch (ptrace does not), and the child then starts with the default FP
			// state, which only a parent that changed MXCSR or the x87 control word sees.
			_ = nt.ctx.SetFullState(nt.mm.AddressSpace(), fpState)
		}
		// In the child's own memory, as Linux writes it from the child.
		if childSetTID {
			var b [4]byte
			putUint32(b[:], uint32(ids.own()))
			nt.CopyOut(opts.ChildTID, b[:])
		}
		return nil
	})
	if vforkDone != nil {
		// Only the caller's death ends the wait early: the child runs on the caller's
		// memory and stack until it execs or exits.
		for !t.exiting.Load() && t.BlockOn(vforkDone, time.Time{}) != nil {
			// A signal (or a group stop) is pending, which only the caller's return from
			// vfork can act on: wait without spinning for the child or a new interruption.
			select {
			case <-vforkDone:
			case <-t.wake:
			}
			if isClosed(vforkDone) {
				break
			}
		}
	}
	return tid, nil
}

// ownCPUTime returns the host CPU time the calling task has used so far: the sentry
// thread's time serving it as system time and the time of its application thread as user
// time (timer_cpuclock.go).
func (t *Task) ownCPUTime() CPUTime {
	return t.CPUClock()
}

// CPUTimes returns the CPU time of the calling task's process (live and exited tasks) and
// of its reaped children, for times(2) and getrusage(2).
func (t *Task) CPUTimes() (self, children CPUTime) {
	own := t.ownCPUTime()
	k := t.k
	k.mu.Lock()
	self, children = t.tg.proc.cpu, t.tg.proc.childCPU
	k.mu.Unlock()
	t.tg.mu.Lock()
	var others []*Task
	for o := range t.tg.tasks {
		if o != t {
			others = append(others, o)
		}
	}
	t.tg.mu.Unlock()
	self = self.Add(own)
	for _, o := range others {
		self = self.Add(o.CPUClock())
	}
	return self, children
}

// ThreadCPUTime returns the calling task's own CPU time (RUSAGE_THREAD).
func (t *Task) ThreadCPUTime() CPUTime { return t.ownCPUTime() }

// startAccounting records the task's OS thread and its CPU time so far, so that the task's
// CPU time counts from here.
//
// Preconditions: called by the task goroutine, locked to its OS thread.
func (t *Task) startAccounting() {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) == nil {
		t.proc.cpuBase.Store(ts.Nano())
	}
	t.proc.osTID.Store(int32(unix.Gettid()))
	t.proc.started.Store(int64(t.k.Uptime()))
}
