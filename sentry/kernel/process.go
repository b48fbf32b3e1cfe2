package kernel

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// The process tree.
//
// Every process (ThreadGroup) but init has a parent; a process that exits becomes a zombie,
// holding its pid and exit status, until its parent reaps it with wait4/waitid (task_wait.go)
// or, if the parent ignores SIGCHLD or set SA_NOCLDWAIT, at once. The children of an exiting
// process are reparented to its nearest living ancestor that is a child subreaper
// (PR_SET_CHILD_SUBREAPER), or to init. When init exits every other process is killed, and
// the kernel is done once they are all gone.
//
// Processes belong to process groups, which belong to sessions. In each pid namespace
// (pidns.go), pids, process group ids and session ids share one number space, and a number
// stays in use while a process, a zombie, a group or a session holds it.
//
// Locking: the tree (ThreadGroup.parent, ThreadGroup.proc, processTable) is guarded by
// Kernel.mu, which is taken before ThreadGroup.mu. Signals to parents are sent after
// Kernel.mu is dropped.

// processTable is the kernel's process-tree state (the indexes are the pid namespaces').
// Guarded by Kernel.mu.
type processTable struct {
	// initExited is set once init's thread group has exited.
	initExited bool
	// doneOnce closes Kernel.done.
	doneOnce sync.Once
}

// Session is a session: a set of process groups (setsid(2)).
type Session struct {
	// sid (the id in the root pid namespace) and ids (pidns.go: the leader's process ids
	// when it made the session) are immutable.
	sid int32
	ids pidIDs
	// ctty is the session's controlling terminal, nil if it has none (session_tty.go).
	// Guarded by Kernel.mu.
	ctty ControllingTerminal
}

// SID is the session id.
func (s *Session) SID() int32 { return s.sid }

// ProcessGroup is a process group (setpgid(2)).
type ProcessGroup struct {
	// pgid (the id in the root pid namespace), ids (pidns.go: the leader's process ids
	// when it made the group) and session are immutable.
	pgid    int32
	ids     pidIDs
	session *Session
	// members are the processes (zombies included) in the group. Guarded by Kernel.mu.
	members map[*ThreadGroup]struct{}
}

// PGID is the process group id.
func (pg *ProcessGroup) PGID() int32 { return pg.pgid }

// tgProc is a process's place in the process tree. Guarded by Kernel.mu unless noted.
type tgProc struct {
	// children are the processes this one is the parent of, zombies included.
	children map[*ThreadGroup]struct{}
	// exitSignal is sent to the parent when the process exits (SIGCHLD for fork; 0 or
	// another signal with clone). A child whose exit signal is not SIGCHLD is a "clone"
	// child for wait's __WCLONE.
	exitSignal int
	// pgrp is the process group.
	pgrp *ProcessGroup
	// zombie is set when the process has exited and waits to be reaped.
	zombie bool
	// waitable is set once the parent has been sent the zombie's exit signal (childExited):
	// only then may wait reap it, so that a parent never reaps a child whose SIGCHLD is
	// still to come (Linux queues the signal and makes the zombie visible under one lock;
	// here the signal is sent without Kernel.mu, so visibility waits for it).
	waitable bool
	// execed is set once the process has called execve (setpgid on it fails then).
	execed bool
	// subreaper is PR_SET_CHILD_SUBREAPER.
	subreaper bool
	// reapAll is set on a pid namespace's init that has exited and is emptying its
	// namespace (zapPIDNamespace): its children are reaped as they exit.
	reapAll bool
	// noCtty is set when the process gave up its session's controlling terminal
	// (TIOCNOTTY by a process that does not lead its session, session_tty.go); inherited
	// by children, cleared by setsid.
	noCtty bool
	// stopSignal is a stop to report to wait(WUNTRACED) (0: none); continued is a
	// continuation to report to wait(WCONTINUED). Set by the job-control code
	// (notifyJobChange, signal_jobctl.go).
	stopSignal int
	continued  bool
	// childWait is closed and replaced whenever a child changes state, waking waiters.
	childWait chan struct{}
	// vforkDone, if non-nil, is closed when the process execs or exits (the vfork parent
	// waits on it).
	vforkDone chan struct{}
	// execWaiter, if non-nil, is closed when the process is down to one task (execve's
	// de-threading waits on it). Guarded by ThreadGroup.mu.
	execWaiter chan struct{}
	// leaderExited and leaderCode record the leader's exit(2) code, the process's status
	// if it ends without a group exit. Guarded by ThreadGroup.mu.
	leaderExited bool
	leaderCode   int
	// cpu is the CPU time of the process's exited tasks; childCPU that of its reaped
	// children (and theirs), for times(2) and RUSAGE_CHILDREN.
	cpu, childCPU CPUTime
}

// taskProc is per-task process state.
type taskProc struct {
	// pdeathSig is PR_SET_PDEATHSIG's signal (0: none). Read by other tasks when the
	// parent exits.
	pdeathSig atomic.Int32
	// noNewPrivs is PR_SET_NO_NEW_PRIVS's flag: set once, never cleared, inherited by
	// every task the task creates.
	noNewPrivs atomic.Bool
	// osTID is the task goroutine's OS thread, and cpuBase that thread's CPU time (ns)
	// when the task started on it (startAccounting); 0 until then.
	osTID   atomic.Int32
	cpuBase atomic.Int64
	// started is the kernel uptime (ns) when the task started (startAccounting), and
	// blocked is set while the task sleeps in BlockOn: for /proc's starttime and state.
	started atomic.Int64
	blocked atomic.Bool
	// nice is the task's nice value (task_sched.go), inherited by the tasks it creates.
	nice atomic.Int32
}

// CPUTime is user and system CPU time.
type CPUTime struct {
	User, Sys time.Duration
}

// Add returns c + d.
func (c CPUTime) Add(d CPUTime) CPUTime { return CPUTime{c.User + d.User, c.Sys + d.Sys} }

// registerProcessLocked gives tg the process ids ids (its leader's thread ids), enters it
// into the process index of each of its pid namespaces, making it the init of a
// namespace it is the first process of, and into process group pg (nil: a new group and
// session of its own).
//
// Preconditions: Kernel.mu is held; no task of tg runs yet.
func (k *Kernel) registerProcessLocked(tg *ThreadGroup, ids pidIDs, pg *ProcessGroup) {
	tg.ids, tg.tgid = ids, ids.nums[0]
	ids.each(func(ns *PIDNamespace, n int32) {
		ns.tgs[n] = tg
		if ns.init == nil {
			ns.init = tg
			if ns != k.root {
				// The sandbox's init is made unkillable by StartInit.
				tg.unkillable = true
			}
		}
	})
	if pg == nil {
		pg = newPGrp(ids, &Session{sid: ids.nums[0], ids: ids})
	}
	tg.proc.childWait = make(chan struct{})
	tg.proc.children = make(map[*ThreadGroup]struct{})
	k.joinPGrpLocked(tg, pg)
}

// joinPGrpLocked moves tg into pg, deleting its old group if it empties.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) joinPGrpLocked(tg *ThreadGroup, pg *ProcessGroup) {
	if old := tg.proc.pgrp; old != nil {
		delete(old.members, tg)
		if len(old.members) == 0 {
			k.removePGrpLocked(old)
		}
	}
	tg.proc.pgrp = pg
	pg.members[tg] = struct{}{}
	pg.ids.each(func(ns *PIDNamespace, n int32) { ns.pgrps[n] = pg })
}

// removePGrpLocked removes pg, which has no member left, from the group indexes.
//
// Preconditions: Kernel.mu is held.
func (k *Kernel) removePGrpLocked(pg *ProcessGroup) {
	pg.ids.each(func(ns *PIDNamespace, n int32) {
		if ns.pgrps[n] == pg {
			delete(ns.pgrps, n)
		}
	})
}

// newPGrp returns a process group with the ids of the process that makes it.
func newPGrp(ids pidIDs, s *Session) *ProcessGroup {
	return &ProcessGroup{pgid: ids.nums[0], ids: ids, session: s, members: make(map[*ThreadGroup]struct{})}
}

// notifyParentLocked wakes the parent's waiters.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) notifyChildWaitLocked() {
	close(tg.proc.childWait)
	tg.proc.childWait = make(chan struct{})
}

// sendChildSignal sends sig (SIGCHLD, or a clone child's exit signal) to tg, reporting a
// state change of child with code and status.
func (tg *ThreadGroup) sendChildSignal(sig int, child *ThreadGroup, code, status int32) {
	if sig == 0 {
		return
	}
	l := tg.Leader()
	if l == nil {
		return
	}
	info := &linux.SignalInfo{Signo: int32(sig), Code: code}
	info.SetPID(child.ids.in(tg.ids.ns))
	info.SetUID(child.Creds().RealUID)
	info.SetStatus(status)
	l.SendSignalInfo(info, true)
}

// ignoresChildren reports whether tg's children are reaped without wait: SIGCHLD is
// ignored or has SA_NOCLDWAIT. sendSig reports whether SIGCHLD is still sent (it is not
// when ignored).
func (tg *ThreadGroup) ignoresChildren() (autoReap, sendSig bool) {
	a := tg.SigAction(int(syscall.SIGCHLD))
	if a.Handler == sigIGN {
		return true, false
	}
	return a.Flags&saNoCldWait != 0, true
}

// saNoCldWait is SA_NOCLDWAIT.
const saNoCldWait = 2

// processExited runs when the last task of tg has exited: it reparents tg's children,
// makes tg a zombie (or reaps it if its parent does not wait), notifies the parent, and,
// for init, kills every other process. The init of a pid namespace other than the root
// first kills every other process of its namespace and waits until they are all reaped
// (zapPIDNamespace).
func (k *Kernel) processExited(tg *ThreadGroup) {
	tg.pidfds.Notify(waiter.EventIn)
	k.mu.Lock()
	if vf := tg.proc.vforkDone; vf != nil {
		close(vf)
		tg.proc.vforkDone = nil
	}
	nsInit := tg.ids.ns.init == tg
	k.mu.Unlock()
	if nsInit && tg != k.init {
		k.zapPIDNamespace(tg)
	}
	k.mu.Lock()
	var deathSigs []*Task
	var notify, adopted []*ThreadGroup
	isInit := tg == k.init
	if tg.containerInit && k.containerInits[tg.container] == tg {
		delete(k.containerInits, tg.container)
	}
	if !nsInit {
		reaper := k.reaperForLocked(tg)
		for c := range tg.proc.children {
			adopted = append(adopted, c)
			delete(tg.proc.children, c)
			c.parent = reaper
			c.proc.exitSignal = int(syscall.SIGCHLD)
			reaper.proc.children[c] = struct{}{}
			if c.proc.zombie {
				notify = append(notify, c)
			}
			// Children whose parent died get their parent-death signal. (Linux sends it
			// when the parent thread dies; here when the parent process does, which is
			// what programs see of it from a single-threaded parent.)
			c.mu.Lock()
			for ct := range c.tasks {
				if ct.proc.pdeathSig.Load() != 0 {
					deathSigs = append(deathSigs, ct)
				}
			}
			c.mu.Unlock()
		}
	}
	tg.proc.zombie = true
	if isInit {
		k.procs.initExited = true
	}
	var orphaned []*ProcessGroup
	if !nsInit {
		orphaned = k.orphanedGroupsOnExitLocked(tg, adopted)
	}
	k.mu.Unlock()
	k.hangUpOrphans(orphaned)

	for _, t := range deathSigs {
		if sig := int(t.proc.pdeathSig.Load()); sig != 0 {
			t.SendSignal(sig, true)
		}
	}
	for _, c := range notify {
		k.childExited(c)
	}
	if tg.containerInit && tg.ids.ns == k.root {
		// The init of a container sharing the sandbox's pid namespace: as containerd
		// does when such a container's init exits, the rest of the container is killed
		// (one with a namespace of its own was emptied by zapPIDNamespace).
		k.KillContainer(tg.container)
	}
	if isInit {
		k.KillAll()
		k.maybeDone()
		// A task stuck where a kill cannot reach it must not keep the sandbox up forever.
		time.AfterFunc(5*time.Second, func() { k.procs.doneOnce.Do(func() { close(k.done) }) })
		return
	}
	k.childExited(tg)
}

// maybeDone closes Kernel.done if init has exited and no task is left.
func (k *Kernel) maybeDone() {
	k.mu.Lock()
	done := k.procs.initExited && len(k.root.tasks) == 0
	k.mu.Unlock()
	if done {
		k.procs.doneOnce.Do(func() { close(k.done) })
	}
}

// childExited tells tg's parent that tg, a zombie, has exited: the parent's waiters wake
// and it gets tg's exit signal, or, if it does not wait for children, tg is reaped.
func (k *Kernel) childExited(tg *ThreadGroup) {
	k.mu.Lock()
	p := tg.parent
	if p == nil || !tg.proc.zombie {
		k.mu.Unlock()
		return
	}
	sig := tg.proc.exitSignal
	autoReap, send := false, true
	if sig == int(syscall.SIGCHLD) {
		autoReap, send = p.ignoresChildren()
	}
	if p.proc.reapAll {
		autoReap, send = true, false
	}
	tg.mu.Lock()
	code, status := childCode(tg.exitStatus)
	tg.mu.Unlock()
	if autoReap {
		k.reapLocked(tg)
		p.notifyChildWaitLocked()
		k.mu.Unlock()
		if send {
			p.sendChildSignal(sig, tg, code, status)
		}
		return
	}
	k.mu.Unlock()
	// The signal first, then the zombie becomes waitable and the waiters wake: a parent
	// that blocks SIGCHLD right after reaping must not find this child's signal pending
	// (it would hide the next child's).
	if send {
		p.sendChildSignal(sig, tg, code, status)
	}
	k.mu.Lock()
	if tg.proc.zombie {
		tg.proc.waitable = true
	}
	p.notifyChildWaitLocked()
	k.mu.Unlock()
}

// reaperForLocked returns the process that adopts tg's children: the nearest living
// ancestor in tg's pid namespace that is a child subreaper, else the namespace's init.
//
// Preconditions: Kernel.mu is held; tg is not its namespace's init.
func (k *Kernel) reaperForLocked(tg *ThreadGroup) *ThreadGroup {
	ns := tg.ids.ns
	for a := tg.parent; a != nil && a.ids.ns == ns; a = a.parent {
		if a.proc.subreaper && !a.proc.zombie {
			return a
		}
	}
	if ns.init != nil {
		return ns.init
	}
	return k.init
}

// zapPIDNamespace runs when init, the init of a pid namespace other than the root, has
// exited (Linux's zap_pid_ns_processes): no process may join the namespace any more,
// every other process of it (those of its descendants too) gets SIGKILL, and init reaps
// its children (adopted orphans included) without notice until the namespace is empty
// but for itself: zombies whose parent is outside are waited for too, as on Linux.
func (k *Kernel) zapPIDNamespace(init *ThreadGroup) {
	ns := init.ids.ns
	k.mu.Lock()
	ns.dead = true
	init.proc.reapAll = true
	for c := range init.proc.children {
		if c.proc.zombie {
			k.reapLocked(c)
		}
	}
	var victims []*ThreadGroup
	for _, tg := range ns.tgs {
		if tg != init {
			victims = append(victims, tg)
		}
	}
	k.mu.Unlock()
	for _, tg := range victims {
		tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
	}
	for {
		k.mu.Lock()
		left := len(ns.tgs)
		ch := init.proc.childWait
		sandboxDone := k.procs.initExited
		k.mu.Unlock()
		// Once the sandbox's init has exited, everything is being killed and no parent
		// outside may be left to reap.
		if left <= 1 || sandboxDone {
			return
		}
		// A child of init's exit wakes this; a zombie reaped by a parent outside does
		// not, hence the poll.
		select {
		case <-ch:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// reapLocked removes the zombie tg from the process tree, adding its CPU time to its
// parent's children's time.
//
// Preconditions: Kernel.mu is held; tg is a zombie.
func (k *Kernel) reapLocked(tg *ThreadGroup) {
	if p := tg.parent; p != nil {
		delete(p.proc.children, tg)
		p.proc.childCPU = p.proc.childCPU.Add(tg.proc.cpu).Add(tg.proc.childCPU)
	}
	k.removeProcessLocked(tg)
	if pg := tg.proc.pgrp; pg != nil {
		delete(pg.members, tg)
		if len(pg.members) == 0 {
			k.removePGrpLocked(pg)
		}
	}
	tg.proc.zombie = false
	tg.pidfds.Notify(waiter.EventIn | waiter.EventHUp)
}

// saNoCldStop is SA_NOCLDSTOP.
const saNoCldStop = 1

// ProcessByPID returns the process (live or zombie) with pid in the root pid namespace,
// or nil.
func (k *Kernel) ProcessByPID(pid int32) *ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.root.tgs[pid]
}

// PGID returns the process group id in the root pid namespace.
func (tg *ThreadGroup) PGID() int32 {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if pg := tg.proc.pgrp; pg != nil {
		return pg.pgid
	}
	return 0
}

// SID returns the session id in the root pid namespace.
func (tg *ThreadGroup) SID() int32 {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if pg := tg.proc.pgrp; pg != nil {
		return pg.session.sid
	}
	return 0
}

// lookupProcess returns the process pid of the caller's pid namespace (0: the caller's),
// for getpgid/getsid.
func (t *Task) lookupProcess(pid int32) (*ThreadGroup, error) {
	if pid == 0 {
		return t.tg, nil
	}
	if pid < 0 {
		return nil, unix.EINVAL
	}
	tg := t.PIDNamespace().ThreadGroupWithID(pid)
	if tg == nil {
		return nil, unix.ESRCH
	}
	return tg, nil
}

// GetPGID implements getpgid(2): the id in the caller's pid namespace (0 for a group made
// outside it).
func (t *Task) GetPGID(pid int32) (int32, error) {
	tg, err := t.lookupProcess(pid)
	if err != nil {
		return 0, err
	}
	return t.PIDNamespace().IDOfProcessGroup(tg.ProcessGroup()), nil
}

// GetSID implements getsid(2), as GetPGID.
func (t *Task) GetSID(pid int32) (int32, error) {
	tg, err := t.lookupProcess(pid)
	if err != nil {
		return 0, err
	}
	return t.PIDNamespace().IDOfSession(tg.Session()), nil
}

// SetSID implements setsid(2).
func (t *Task) SetSID() (int32, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	if _, ok := k.root.pgrps[tg.tgid]; ok {
		return 0, unix.EPERM // already a process group leader
	}
	k.joinPGrpLocked(tg, newPGrp(tg.ids, &Session{sid: tg.tgid, ids: tg.ids}))
	tg.proc.noCtty = false
	return tg.ids.own(), nil
}

// SetPGID implements setpgid(2).
func (t *Task) SetPGID(pid, pgid int32) error {
	if pid < 0 || pgid < 0 {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	ns := t.tg.ids.ns
	target := t.tg
	if pid != 0 && pid != t.tg.ids.own() {
		target = ns.tgs[pid]
		if target == nil || target.parent != t.tg || target.proc.zombie {
			return unix.ESRCH
		}
		if target.proc.pgrp.session != t.tg.proc.pgrp.session {
			return unix.EPERM
		}
		if target.proc.execed {
			return unix.EACCES
		}
	}
	if pgid == 0 {
		pgid = target.ids.in(ns)
	}
	cur := target.proc.pgrp
	if cur.session.sid == target.tgid {
		return unix.EPERM // a session leader cannot move
	}
	if cur.ids.in(ns) == pgid {
		return nil
	}
	pg := ns.pgrps[pgid]
	switch {
	case pg != nil:
		if pg.session != t.tg.proc.pgrp.session {
			return unix.EPERM
		}
	case pgid == target.ids.in(ns):
		pg = newPGrp(target.ids, cur.session)
	default:
		return unix.EPERM
	}
	k.joinPGrpLocked(target, pg)
	return nil
}

// SignalTargets returns the processes kill(2) with pid reaches, numbers being those of the
// caller's pid namespace: pid > 0 is that process, 0 the caller's process group, -1 every
// process of the namespace but its init and the caller, and less than -1 the process group
// -pid. ESRCH if there are none. Zombies are included (signalling one succeeds and does
// nothing).
func (t *Task) SignalTargets(pid int32) ([]*ThreadGroup, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	ns := t.tg.ids.ns
	var out []*ThreadGroup
	var pg *ProcessGroup
	switch {
	case pid > 0:
		if tg := ns.tgs[pid]; tg != nil {
			out = append(out, tg)
		}
	case pid == -1:
		for n, tg := range ns.tgs {
			if tg != t.tg && n != 1 {
				out = append(out, tg)
			}
		}
	case pid == 0:
		pg = t.tg.proc.pgrp // even one made outside the namespace
	default:
		pg = ns.pgrps[-pid]
	}
	if pg != nil {
		for tg := range pg.members {
			out = append(out, tg)
		}
	}
	if len(out) == 0 {
		return nil, unix.ESRCH
	}
	return out, nil
}

// SetChildSubreaper implements PR_SET_CHILD_SUBREAPER.
func (tg *ThreadGroup) SetChildSubreaper(v bool) {
	tg.k.mu.Lock()
	tg.proc.subreaper = v
	tg.k.mu.Unlock()
}

// ChildSubreaper implements PR_GET_CHILD_SUBREAPER.
func (tg *ThreadGroup) ChildSubreaper() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.proc.subreaper
}

// SetPdeathSignal implements PR_SET_PDEATHSIG.
func (t *Task) SetPdeathSignal(sig int) { t.proc.pdeathSig.Store(int32(sig)) }

// SetNoNewPrivs implements PR_SET_NO_NEW_PRIVS (it cannot be unset).
func (t *Task) SetNoNewPrivs() { t.proc.noNewPrivs.Store(true) }

// NoNewPrivs implements PR_GET_NO_NEW_PRIVS.
func (t *Task) NoNewPrivs() bool { return t.proc.noNewPrivs.Load() }

// SetDumpable implements PR_SET_DUMPABLE (0 or 1). Core dumps are never written; the flag
// is recorded for PR_GET_DUMPABLE.
func (tg *ThreadGroup) SetDumpable(v bool) { tg.notDumpable.Store(!v) }

// Dumpable implements PR_GET_DUMPABLE.
func (tg *ThreadGroup) Dumpable() bool { return !tg.notDumpable.Load() }

// PdeathSignal implements PR_GET_PDEATHSIG.
func (t *Task) PdeathSignal() int { return int(t.proc.pdeathSig.Load()) }
