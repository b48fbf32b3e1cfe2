package kernel

import (
	"errors"
	"sort"

	"golang.org/x/sys/unix"
)

// PID namespaces (pid_namespaces(7)).
//
// Namespaces form a tree rooted at the kernel's root namespace (Kernel.RootPIDNamespace),
// the sandbox's own, whose first process is the sandbox's init. A task, a process, a
// process group and a session each have one number in their namespace and in every
// ancestor of it (pidIDs, Linux's struct pid): internally they are known by pointer, and
// a number is only a view of one namespace, translated where a syscall takes or returns
// one (IDOf*, *WithID). The numbers in the root namespace are also kept in Task.tid,
// ThreadGroup.tgid, ProcessGroup.pgid and Session.sid, which the runtime (runsc ps, kill,
// logs) uses.
//
// The first process created in a new namespace (clone(CLONE_NEWPID), or the first child
// after unshare(CLONE_NEWPID)) is its init, pid 1: orphans of the namespace are given to
// it (unless a subreaper of the namespace is nearer), it gets from inside the namespace
// only the signals it has a handler for, and its death kills every other process of the
// namespace; no process can be added to the namespace after that (fork fails with
// ENOMEM). Its parent hears of its death only once the namespace is empty.
//
// Every field below is guarded by Kernel.mu unless it is immutable.

// maxPIDNSLevel is the deepest namespace level (Linux's MAX_PID_NS_LEVEL).
const maxPIDNSLevel = 32

// ErrPIDNamespaceDead is the error of making a process in a pid namespace whose init has
// exited (fork's ENOMEM; Spawn returns it as is).
var ErrPIDNamespaceDead = errors.New("the pid namespace's init has exited")

// errPIDNSDead is allocIDsLocked's name for it.
var errPIDNSDead = ErrPIDNamespaceDead

// PIDNamespace is a pid namespace.
type PIDNamespace struct {
	// k, parent and level are immutable; the root namespace has level 0 and no parent.
	k      *Kernel
	parent *PIDNamespace
	level  int

	// next is the next number to try.
	next int32
	// tasks, tgs and pgrps index the live tasks, the processes (zombies included) and
	// the process groups with a member that have a number in this namespace, by number.
	tasks map[int32]*Task
	tgs   map[int32]*ThreadGroup
	pgrps map[int32]*ProcessGroup
	// init is the namespace's first process (nil until it exists).
	init *ThreadGroup
	// dead is set when init has exited: no process may be added.
	dead bool
}

func newPIDNamespace(k *Kernel, parent *PIDNamespace) *PIDNamespace {
	ns := &PIDNamespace{
		k:      k,
		parent: parent,
		next:   1,
		tasks:  make(map[int32]*Task),
		tgs:    make(map[int32]*ThreadGroup),
		pgrps:  make(map[int32]*ProcessGroup),
	}
	if parent != nil {
		ns.level = parent.level + 1
	}
	return ns
}

// Parent returns the parent namespace (nil for the root).
func (ns *PIDNamespace) Parent() *PIDNamespace { return ns.parent }

// Level returns the namespace's depth (0 for the root).
func (ns *PIDNamespace) Level() int { return ns.level }

// Init returns the namespace's init process, nil before it exists.
func (ns *PIDNamespace) Init() *ThreadGroup {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return ns.init
}

// IsAncestorOf reports whether ns is o or one of o's ancestors.
func (ns *PIDNamespace) IsAncestorOf(o *PIDNamespace) bool {
	for ; o != nil; o = o.parent {
		if o == ns {
			return true
		}
	}
	return false
}

// pidIDs are the numbers of a task, process, process group or session: one in ns and one
// in each of its ancestors. nums[l] is the number in the ancestor at level l.
type pidIDs struct {
	ns   *PIDNamespace
	nums []int32
}

// in returns the number in ns, 0 if there is none (ns is not p's namespace or an
// ancestor of it).
func (p *pidIDs) in(ns *PIDNamespace) int32 {
	if p.ns == nil || ns == nil || ns.level > p.ns.level {
		return 0
	}
	a := p.ns
	for a.level > ns.level {
		a = a.parent
	}
	if a != ns {
		return 0
	}
	return p.nums[ns.level]
}

// own returns the number in p's own namespace.
func (p *pidIDs) own() int32 {
	if len(p.nums) == 0 {
		return 0
	}
	return p.nums[len(p.nums)-1]
}

// each calls f with each namespace of p, root first, and p's number there.
func (p *pidIDs) each(f func(ns *PIDNamespace, n int32)) {
	for a := p.ns; a != nil; a = a.parent {
		f(a, p.nums[a.level])
	}
}

// inUseLocked reports whether n is a task's, a process's (zombies included), a process
// group's or a session's number in ns.
//
// Preconditions: Kernel.mu is held.
func (ns *PIDNamespace) inUseLocked(n int32) bool {
	if _, ok := ns.tasks[n]; ok {
		return true
	}
	if _, ok := ns.tgs[n]; ok {
		return true
	}
	if _, ok := ns.pgrps[n]; ok {
		return true
	}
	for _, pg := range ns.pgrps {
		if pg.session.ids.in(ns) == n {
			return true
		}
	}
	return false
}

// allocIDsLocked allocates a task's numbers in ns and its ancestors. It fails with
// errPidsLimit at the pids limit and errPIDNSDead when a namespace's init has exited.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) allocIDsLocked(ns *PIDNamespace) (pidIDs, error) {
	if l := k.pidsLimit.Load(); l > 0 && int64(len(k.root.tasks)) >= l {
		// The container's pids cgroup limit, which Linux enforces as fork failing with
		// EAGAIN; every caller turns this error into EAGAIN.
		return pidIDs{}, errPidsLimit
	}
	for a := ns; a != nil; a = a.parent {
		if a.dead {
			return pidIDs{}, errPIDNSDead
		}
	}
	ids := pidIDs{ns: ns, nums: make([]int32, ns.level+1)}
	for a := ns; a != nil; a = a.parent {
		n, err := a.allocLocked()
		if err != nil {
			return pidIDs{}, err
		}
		ids.nums[a.level] = n
	}
	return ids, nil
}

// allocLocked returns a free number of ns.
//
// Preconditions: Kernel.mu is held.
func (ns *PIDNamespace) allocLocked() (int32, error) {
	const maxTID = 1 << 22 // pid_max default on 64-bit
	for i := 0; i < maxTID; i++ {
		n := ns.next
		ns.next++
		if ns.next >= maxTID {
			ns.next = 2 // 1 is init's; Linux wraps to 300 in the root, but nothing here needs that
		}
		if !ns.inUseLocked(n) {
			return n, nil
		}
	}
	return 0, errors.New("out of thread ids")
}

// addTaskLocked sets t's numbers and enters t in the task index of each of its
// namespaces.
//
// Preconditions: Kernel.mu is held; ids come from allocIDsLocked.
func (k *Kernel) addTaskLocked(t *Task, ids pidIDs) {
	t.ids = ids
	t.tid = ids.nums[0]
	t.vtid.Store(ids.own())
	ids.each(func(ns *PIDNamespace, n int32) { ns.tasks[n] = t })
}

// removeTaskLocked removes t from the task indexes (where its numbers still name it: an
// execve may have given them to another task).
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) removeTaskLocked(t *Task) {
	t.ids.each(func(ns *PIDNamespace, n int32) {
		if ns.tasks[n] == t {
			delete(ns.tasks, n)
		}
	})
}

// removeProcessLocked removes tg from the process indexes.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) removeProcessLocked(tg *ThreadGroup) {
	tg.ids.each(func(ns *PIDNamespace, n int32) {
		if ns.tgs[n] == tg {
			delete(ns.tgs, n)
		}
	})
}

// RootPIDNamespace returns the sandbox's pid namespace.
func (k *Kernel) RootPIDNamespace() *PIDNamespace { return k.root }

// PIDNamespace returns the namespace of the task's process.
func (t *Task) PIDNamespace() *PIDNamespace { return t.tg.ids.ns }

// PIDNamespace returns the process's namespace.
func (tg *ThreadGroup) PIDNamespace() *PIDNamespace { return tg.ids.ns }

// ThreadID returns the task's thread id in its own namespace (gettid(2)): the one futex
// words (robust lists, PI futexes) hold, as on Linux.
func (t *Task) ThreadID() int32 { return t.vtid.Load() }

// IDOfTask returns t's thread id in ns, 0 if t is not visible there.
func (ns *PIDNamespace) IDOfTask(t *Task) int32 {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return t.ids.in(ns)
}

// IDOfThreadGroup returns tg's process id in ns, 0 if tg is not visible there.
func (ns *PIDNamespace) IDOfThreadGroup(tg *ThreadGroup) int32 { return tg.ids.in(ns) }

// IDOfProcessGroup returns pg's id in ns, 0 if it has none there.
func (ns *PIDNamespace) IDOfProcessGroup(pg *ProcessGroup) int32 {
	if pg == nil {
		return 0
	}
	return pg.ids.in(ns)
}

// IDOfSession returns s's id in ns, 0 if it has none there.
func (ns *PIDNamespace) IDOfSession(s *Session) int32 {
	if s == nil {
		return 0
	}
	return s.ids.in(ns)
}

// IDsOfThreadGroup returns tg's process ids from ns down to tg's own namespace (the
// NStgid line of /proc/PID/status), nil if tg is not visible in ns.
func (ns *PIDNamespace) IDsOfThreadGroup(tg *ThreadGroup) []int32 {
	return tg.ids.from(ns)
}

// IDsOfTask is IDsOfThreadGroup for a task's thread ids (NSpid).
func (ns *PIDNamespace) IDsOfTask(t *Task) []int32 {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return t.ids.from(ns)
}

// IDsOfProcessGroup returns pg's ids in the namespaces from ns down to tg's, 0 where it
// has none (NSpgid): a process group made in an ancestor namespace has no number in a
// namespace created after it.
func (ns *PIDNamespace) IDsOfProcessGroup(tg *ThreadGroup, pg *ProcessGroup) []int32 {
	return idsAlong(ns, tg.ids.ns, func(a *PIDNamespace) int32 { return a.IDOfProcessGroup(pg) })
}

// IDsOfSession is IDsOfProcessGroup for a session (NSsid).
func (ns *PIDNamespace) IDsOfSession(tg *ThreadGroup, s *Session) []int32 {
	return idsAlong(ns, tg.ids.ns, func(a *PIDNamespace) int32 { return a.IDOfSession(s) })
}

// from returns p's numbers from ns down to p's own namespace, nil if ns is not p's or an
// ancestor of it.
func (p *pidIDs) from(ns *PIDNamespace) []int32 {
	if p.in(ns) == 0 {
		return nil
	}
	return append([]int32(nil), p.nums[ns.level:]...)
}

// idsAlong calls f for each namespace from top down to bottom (an ancestor of it).
func idsAlong(top, bottom *PIDNamespace, f func(*PIDNamespace) int32) []int32 {
	if !top.IsAncestorOf(bottom) {
		return nil
	}
	var chain []*PIDNamespace
	for a := bottom; a != top.parent; a = a.parent {
		chain = append(chain, a)
	}
	out := make([]int32, len(chain))
	for i, a := range chain {
		out[len(chain)-1-i] = f(a)
	}
	return out
}

// TaskWithID returns the live task with thread id tid in ns, or nil.
func (ns *PIDNamespace) TaskWithID(tid int32) *Task {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return ns.tasks[tid]
}

// ThreadGroupWithID returns the process (live or zombie) with process id pid in ns, or
// nil.
func (ns *PIDNamespace) ThreadGroupWithID(pid int32) *ThreadGroup {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return ns.tgs[pid]
}

// ProcessGroupWithID returns the process group with id pgid in ns if it has members, or
// nil.
func (ns *PIDNamespace) ProcessGroupWithID(pgid int32) *ProcessGroup {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return ns.pgrps[pgid]
}

// ThreadGroups returns the processes visible in ns (zombies included), sorted by their
// pid there.
func (ns *PIDNamespace) ThreadGroups() []*ThreadGroup {
	ns.k.mu.Lock()
	out := make([]*ThreadGroup, 0, len(ns.tgs))
	for _, tg := range ns.tgs {
		out = append(out, tg)
	}
	ns.k.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ids.in(ns) < out[j].ids.in(ns) })
	return out
}

// ProcessID returns the task's process's id in its own namespace (getpid(2)).
func (t *Task) ProcessID() int32 { return t.tg.ids.own() }

// NewChild creates a child of ns whose init will be the next process created in
// it (Spawn with SpawnArgs.PIDNamespace). ENOSPC beyond the nesting limit.
func (ns *PIDNamespace) NewChild() (*PIDNamespace, error) {
	if ns.level >= maxPIDNSLevel {
		return nil, unix.ENOSPC
	}
	return newPIDNamespace(ns.k, ns), nil
}

// ChildPIDNamespace returns the namespace the task's children are created in (Linux's
// pid_ns_for_children).
//
// Preconditions: called by the task goroutine.
func (t *Task) ChildPIDNamespace() *PIDNamespace {
	if t.childPIDNS != nil {
		return t.childPIDNS
	}
	return t.tg.ids.ns
}

// UnsharePIDNamespace implements unshare(CLONE_NEWPID): the task's next child is the
// init of a new namespace, a child of the task's own, in which its later children are
// made too. As on Linux: EPERM without CAP_SYS_ADMIN, EINVAL if the namespace for
// children is already not the task's own, ENOSPC beyond the nesting limit.
func (t *Task) UnsharePIDNamespace() error {
	if !t.tg.Creds().HasCap(unix.CAP_SYS_ADMIN) {
		return unix.EPERM
	}
	if t.ChildPIDNamespace() != t.PIDNamespace() {
		return unix.EINVAL
	}
	ns, err := t.PIDNamespace().NewChild()
	if err != nil {
		return err
	}
	t.childPIDNS = ns
	return nil
}
