package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// CloneOptions are the decoded arguments of clone(2)/clone3(2).
type CloneOptions struct {
	Flags      uint64
	Stack      uintptr
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	ExitSignal uint64
	// PIDFD is where CLONE_PIDFD stores the child's pidfd (an int).
	PIDFD uintptr
}

// threadFlags are the flags that make a clone a thread of the same process, as glibc, musl
// and Go pass them.
const threadFlags = unix.CLONE_VM | unix.CLONE_SIGHAND | unix.CLONE_THREAD

// supportedCloneFlags are the flags clone accepts. CLONE_PTRACE and CLONE_UNTRACED are
// accepted and ignored (there is no ptrace in the sandbox).
const supportedCloneFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID |
	unix.CLONE_CHILD_SETTID | unix.CLONE_CHILD_CLEARTID | unix.CLONE_DETACHED | unix.CLONE_IO |
	unix.CLONE_VFORK | unix.CLONE_PARENT | unix.CLONE_PTRACE | unix.CLONE_UNTRACED | unix.CLONE_PIDFD

// namespaceCloneFlags create namespaces that the sandbox does not offer to applications
// (CLONE_NEWPID is offered: pidns.go).
const namespaceCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWNET

// Clone creates a new task as clone(2) does: a thread of the caller's process with
// CLONE_THREAD, else a new process (cloneProcess).
func (t *Task) Clone(opts CloneOptions) (int32, error) {
	f := opts.Flags
	// Linux's own consistency rules first, so that bad combinations get Linux's errno.
	if f&unix.CLONE_SIGHAND != 0 && f&unix.CLONE_VM == 0 {
		return 0, unix.EINVAL
	}
	if f&unix.CLONE_THREAD != 0 && f&unix.CLONE_SIGHAND == 0 {
		return 0, unix.EINVAL
	}
	if f&(unix.CLONE_NEWNS|unix.CLONE_FS) == unix.CLONE_NEWNS|unix.CLONE_FS {
		return 0, unix.EINVAL
	}
	if f&unix.CLONE_PARENT != 0 && (t.tg.isPIDNSInit() || t.tg.containerInit) {
		return 0, unix.EINVAL // a namespace's or container's init has no parent to give away
	}
	// A thread shares its process's pid namespace.
	if f&unix.CLONE_THREAD != 0 && (f&(unix.CLONE_NEWPID|unix.CLONE_NEWUSER) != 0 || t.ChildPIDNamespace() != t.PIDNamespace()) {
		return 0, unix.EINVAL
	}
	if f&namespaceCloneFlags != 0 {
		return 0, unix.EPERM
	}
	if f&unix.CLONE_NEWPID != 0 {
		if !t.tg.Creds().HasCap(unix.CAP_SYS_ADMIN) {
			return 0, unix.EPERM
		}
		if t.ChildPIDNamespace() != t.PIDNamespace() {
			return 0, unix.EINVAL // after unshare(CLONE_NEWPID), as Linux's copy_pid_ns
		}
	}
	if f&^uint64(supportedCloneFlags|unix.CLONE_NEWPID) != 0 {
		t.k.Logf("clone flags %#x: unsupported flags %#x", f, f&^uint64(supportedCloneFlags))
		return 0, unix.EINVAL
	}
	if f&unix.CLONE_PIDFD != 0 && f&(unix.CLONE_THREAD|unix.CLONE_DETACHED) != 0 {
		return 0, unix.EINVAL // pidfds of threads (Linux 6.9) are not offered
	}
	if f&unix.CLONE_THREAD == 0 {
		return t.cloneProcess(opts)
	}
	if t.tg.rlimitReachedThreads() {
		return 0, unix.EAGAIN
	}

	k := t.k
	nt := t.newChild(t.tg, t.mm, opts)

	k.mu.Lock()
	ids, err := k.allocIDsLocked(t.tg.ids.ns)
	if err != nil {
		k.mu.Unlock()
		nt.fds.DecRef()
		return 0, allocErrno(err)
	}
	t.tg.mu.Lock()
	if t.tg.exiting {
		t.tg.mu.Unlock()
		k.mu.Unlock()
		nt.fds.DecRef()
		return 0, ErrExited
	}
	if t.sig.stopPending {
		// A group stop has begun: the new thread would escape it. As Linux does for a
		// pending signal, the clone is made again once the process continues.
		t.tg.mu.Unlock()
		k.mu.Unlock()
		nt.fds.DecRef()
		return 0, ERESTARTNOINTR
	}
	t.tg.tasks[nt] = struct{}{}
	t.tg.mu.Unlock()
	k.addTaskLocked(nt, ids)
	k.mu.Unlock()
	tid := ids.own() // the caller's namespace is the thread's

	if f&unix.CLONE_CHILD_CLEARTID != 0 {
		nt.clearChildTID = opts.ChildTID
	}
	var tidBuf [4]byte
	putUint32(tidBuf[:], uint32(tid))
	if f&unix.CLONE_CHILD_SETTID != 0 {
		t.CopyOut(opts.ChildTID, tidBuf[:]) // shared mm: the child sees it too
	}
	if f&unix.CLONE_PARENT_SETTID != 0 {
		t.CopyOut(opts.ParentTID, tidBuf[:])
	}
	go nt.run(func() error { nt.startAccounting(); return nil })
	return tid, nil
}

// newChild builds the task that clone(2) creates in tg with address space m: the caller's
// registers with clone returning 0 on the new stack and TLS, its fd table and filesystem
// context shared or copied as the flags say, and its signal mask. A new thread starts
// without the caller's alternate signal stack (Linux clears it for CLONE_VM without
// CLONE_VFORK); a new process keeps it.
func (t *Task) newChild(tg *ThreadGroup, m *mm.MemoryManager, opts CloneOptions) *Task {
	f := opts.Flags
	nt := &Task{
		k:    t.k,
		tg:   tg,
		regs: t.regs,
		mm:   m,
		name: t.Name(),
		wake: make(chan struct{}, 1),
	}
	nt.proc.noNewPrivs.Store(t.proc.noNewPrivs.Load())
	nt.proc.nice.Store(t.proc.nice.Load())
	nt.regs.SetReturn(0)
	if opts.Stack != 0 {
		nt.regs.SetStack(opts.Stack)
	}
	if f&unix.CLONE_SETTLS != 0 {
		nt.regs.SetTLS(opts.TLS)
	}
	if f&unix.CLONE_FILES != 0 {
		nt.fds = t.fds
		nt.fds.IncRef()
	} else {
		nt.fds = t.fds.Fork()
	}
	nt.fsc = t.cloneFSContext(f)
	nt.sigMask = t.SigMask()
	if f&unix.CLONE_VM == 0 || f&unix.CLONE_VFORK != 0 {
		nt.altStack = t.altStack
	}
	return nt
}

// rlimitReachedThreads reports whether RLIMIT_NPROC forbids another task: the caller's
// real user already has that many tasks (threads included, as Linux counts). Real uid 0 and
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN are exempt, as on Linux.
func (tg *ThreadGroup) rlimitReachedThreads() bool {
	lim := tg.Rlimit(unix.RLIMIT_NPROC).Cur
	c := tg.Creds()
	if c.RealUID == 0 || c.HasCap(unix.CAP_SYS_RESOURCE) || c.HasCap(unix.CAP_SYS_ADMIN) {
		return false
	}
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if uint64(len(k.root.tasks)) < lim {
		return false
	}
	var n uint64
	for _, t := range k.root.tasks {
		if t.tg.Creds().RealUID == c.RealUID {
			n++
		}
	}
	return n >= lim
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// allocErrno is the errno of a failed allocIDsLocked: ENOMEM once the namespace's init
// has exited (Linux's alloc_pid), else EAGAIN.
func allocErrno(err error) error {
	if err == errPIDNSDead {
		return unix.ENOMEM
	}
	return unix.EAGAIN
}

// isPIDNSInit reports whether tg is the init of its pid namespace.
func (tg *ThreadGroup) isPIDNSInit() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.ids.ns != nil && tg.ids.ns.init == tg
}

// unshareFlags are the flags unshare(2) knows (Linux's check_unshare_flags).
const unshareFlags = unix.CLONE_THREAD | unix.CLONE_FS | unix.CLONE_NEWNS | unix.CLONE_SIGHAND |
	unix.CLONE_VM | unix.CLONE_FILES | unix.CLONE_SYSVSEM | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWNET | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP |
	unix.CLONE_NEWTIME

// Unshare implements unshare(2): CLONE_FILES and CLONE_FS give the task copies of its fd
// table and filesystem context, CLONE_NEWPID makes its next child the init of a new pid
// namespace (UnsharePIDNamespace); CLONE_THREAD, CLONE_SIGHAND and CLONE_VM are accepted
// when there is nothing to unshare (a single-threaded process), as on Linux; CLONE_SYSVSEM
// is accepted (there are no semaphore undo lists). The other namespaces are not offered:
// EPERM, as clone's.
func (t *Task) Unshare(flags uint64) error {
	if flags&^uint64(unshareFlags) != 0 {
		return unix.EINVAL
	}
	if flags&unix.CLONE_NEWUSER != 0 {
		flags |= unix.CLONE_THREAD | unix.CLONE_FS
	}
	if flags&unix.CLONE_NEWNS != 0 {
		flags |= unix.CLONE_FS
	}
	if flags&(unix.CLONE_THREAD|unix.CLONE_SIGHAND|unix.CLONE_VM) != 0 {
		t.tg.mu.Lock()
		n := len(t.tg.tasks)
		t.tg.mu.Unlock()
		if n > 1 {
			return unix.EINVAL
		}
	}
	if flags&(namespaceCloneFlags|unix.CLONE_NEWTIME) != 0 {
		return unix.EPERM
	}
	if flags&unix.CLONE_NEWPID != 0 {
		if err := t.UnsharePIDNamespace(); err != nil {
			return err
		}
	}
	if flags&unix.CLONE_FS != 0 {
		if c := t.FSContext(); c != nil {
			t.SetFSContext(c.Fork())
		}
	}
	if flags&unix.CLONE_FILES != 0 && t.fds.refs.Load() > 1 {
		fds := t.fds.Fork()
		old := t.fds
		t.mu.Lock()
		t.fds = fds
		t.mu.Unlock()
		old.DecRef()
	}
	return nil
}
