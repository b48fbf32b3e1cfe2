package kernel

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Task is one application thread.
//
// Fields marked "owned by the task goroutine" are read and written only by the goroutine
// running the task (no lock); others say which lock guards them.
type Task struct {
	k *Kernel
	// tid is the thread id in the root pid namespace, ids the thread ids in the task's
	// namespace and its ancestors (pidns.go). Written under Kernel.mu by the task
	// goroutine (execve of a non-leader takes the leader's); tid is atomic because
	// /proc, runsc ps and logs read it without Kernel.mu.
	tid atomic.Int32
	ids pidIDs
	// vtid is the thread id in the task's own namespace (ids' last), for futex owner
	// checks made without Kernel.mu.
	vtid atomic.Int32
	tg   *ThreadGroup
	// childPIDNS is the pid namespace of the task's new children when unshare(CLONE_NEWPID)
	// made it another than the task's own (nil: its own). Owned by the task goroutine.
	childPIDNS *PIDNamespace

	// regs is the application's register state. Owned by the task goroutine.
	regs arch.Registers
	// mm is the address space. Owned by the task goroutine (shared mm's are themselves
	// thread safe); set only through setMM.
	mm *mm.MemoryManager
	// sharedMM holds mm for MM, which other goroutines call (runsc ps, /proc/PID/cmdline)
	// while execve may replace it. A released memory manager fails copies harmlessly.
	sharedMM atomic.Pointer[mm.MemoryManager]
	// ctx runs the task's application code. Owned by the task goroutine.
	ctx platform.Context
	// sharedCtx holds ctx (a platform.Context) once it exists, for interrupt, which other
	// goroutines call.
	sharedCtx atomic.Value
	// fds is the file descriptor table (shared with CLONE_FILES).
	fds *FDTable
	// fsc is the filesystem context (root, cwd, umask; shared with CLONE_FS). Guarded by mu.
	fsc FSContext
	// name is the command name (comm, 15 bytes max). Guarded by mu.
	name string
	// nameChanged says name changed since the platform context was last told
	// (platform.HostProcess).
	nameChanged atomic.Bool

	// clearChildTID is set_tid_address / CLONE_CHILD_CLEARTID. Owned by the task goroutine.
	clearChildTID uintptr
	// robustList and robustListLen are set_robust_list's arguments. Owned by the task
	// goroutine.
	robustList, robustListLen uintptr
	// futex is the task's PI futex ownership and exit state (futex_pi.go).
	futex taskFutex
	// altStack is sigaltstack's state. Owned by the task goroutine.
	altStack linux.SigAltStack

	// cpuClock is the task's CPU clock state (timer_cpuclock.go).
	cpuClock taskCPUClock

	// sig is the rest of the task's signal state (signal_state.go).
	sig taskSignals

	mu sync.Mutex
	// sigMask is the blocked signal set (bit n-1 for signal n). Written with both tg.mu and
	// mu held; read with either.
	sigMask uint64

	// exiting is set once the task must exit (its own exit, or a group exit).
	exiting atomic.Bool
	// wake is signalled to make a blocked task re-check its state.
	wake chan struct{}
	// exitCode is the task's own exit status (exit(2)). Owned by the task goroutine.
	exitCode int
	// proc is per-task process state: vfork completion, parent-death signal, CPU time
	// (process.go).
	proc taskProc

	// scratch is a reusable buffer for copying between application memory and host I/O, so
	// that the common small read/write does not allocate. Owned by the task goroutine.
	scratch []byte
	// blockTimer is BlockOn's deadline timer, reused so that a timed wait (epoll_wait,
	// poll, futex with a timeout) does not allocate one per call. Stopped whenever BlockOn
	// returns. Owned by the task goroutine.
	blockTimer *time.Timer
}

// TID is the task's thread id in the root pid namespace (the sandbox's), which the
// runtime shows; syscalls translate with PIDNamespace.IDOfTask.
func (t *Task) TID() int32 { return t.tid.Load() }

// ThreadGroup returns the task's process.
func (t *Task) ThreadGroup() *ThreadGroup { return t.tg }

// Kernel returns the kernel the task belongs to.
func (t *Task) Kernel() *Kernel { return t.k }

// MM returns the task's memory manager.
func (t *Task) MM() *mm.MemoryManager { return t.sharedMM.Load() }

// setMM makes m the task's address space.
//
// Preconditions: called on the task goroutine, or before it starts.
func (t *Task) setMM(m *mm.MemoryManager) {
	t.mm = m
	t.sharedMM.Store(m)
}

// FDTable returns the task's file descriptor table.
func (t *Task) FDTable() *FDTable { return t.fds }

// Regs returns the task's registers. Only the task goroutine may use them.
func (t *Task) Regs() *arch.Registers { return &t.regs }

// Name returns the task's command name.
func (t *Task) Name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.name
}

// SetName sets the task's command name, truncated as Linux does to 15 bytes.
func (t *Task) SetName(name string) {
	if len(name) > 15 {
		name = name[:15]
	}
	t.mu.Lock()
	t.name = name
	t.mu.Unlock()
	t.nameChanged.Store(true)
}

// HostPID is the host pid of the process that runs the task's application code, if the
// platform has one (platform.HostProcess), else 0.
func (t *Task) HostPID() int {
	if hp, ok := t.sharedCtx.Load().(platform.HostProcess); ok {
		return hp.HostPID()
	}
	return 0
}

// Scratch returns a buffer of n bytes that is valid until the next call. Owned by the task
// goroutine.
func (t *Task) Scratch(n int) []byte {
	if cap(t.scratch) < n {
		t.scratch = make([]byte, n)
	}
	return t.scratch[:n]
}

// CopyIn copies application memory at addr into dst.
func (t *Task) CopyIn(addr uintptr, dst []byte) (int, error) { return t.mm.CopyIn(addr, dst) }

// CopyOut copies src to application memory at addr.
func (t *Task) CopyOut(addr uintptr, src []byte) (int, error) { return t.mm.CopyOut(addr, src) }

// CopyInString reads a NUL-terminated string of at most maxLen bytes.
func (t *Task) CopyInString(addr uintptr, maxLen int) (string, error) {
	return t.mm.CopyInString(addr, maxLen)
}

// interrupt makes the task notice a state change: it kicks it out of application code and out
// of any interruptible blocking syscall.
func (t *Task) interrupt() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
	if ctx, ok := t.sharedCtx.Load().(platform.Context); ok {
		ctx.Interrupt()
	}
}

// ThreadGroup is a process: the tasks sharing a tgid, signal actions, rlimits, and the exit
// status.
type ThreadGroup struct {
	k *Kernel
	// tgid is the process id in the root pid namespace, ids the process ids in the
	// process's namespace and its ancestors (pidns.go). Immutable once registered.
	tgid int32
	ids  pidIDs
	// parent is the parent process (nil for init). Guarded by Kernel.mu: it changes when
	// the process is reparented.
	parent *ThreadGroup
	// proc is the process's place in the process tree (process.go).
	proc tgProc

	// credsMu guards creds, which set*id(2) change while other threads read them.
	credsMu sync.RWMutex
	// creds are the process credentials (per process: glibc applies set*id to every
	// thread anyway). Guarded by credsMu.
	creds Credentials

	mu sync.Mutex
	// tasks are the live tasks. Guarded by mu.
	tasks map[*Task]struct{}
	// leader is the thread group leader. Guarded by mu.
	leader *Task
	// exiting is set by a group exit (exit_group, a fatal signal). Guarded by mu.
	exiting bool
	// exitStatus is the group's status once exiting is set. Guarded by mu.
	exitStatus ExitStatus
	// actions are the signal dispositions (shared by all threads: CLONE_SIGHAND is required
	// for CLONE_THREAD). Guarded by mu.
	actions [linux.NumSignals]linux.SigAction
	// pending holds process-directed signals not yet delivered. Guarded by mu.
	pending sigQueue
	// jc is the job-control state (signal_jobctl.go). Guarded by mu.
	jc groupStop
	// unkillable marks the sandbox's init: it gets only the signals it has a handler for,
	// and SIGKILL and SIGSTOP only from outside or from the kernel (pid_namespaces(7)). A
	// fault signal the process cannot handle clears it. Guarded by mu.
	unkillable bool
	// sigQueued counts queued siginfo entries of the group and its tasks, for
	// RLIMIT_SIGPENDING. Guarded by mu.
	sigQueued int
	// rlimits are the resource limits. Guarded by mu.
	rlimits [linux.RLIM_NLIMITS]Rlimit
	// timers are the process's itimers and POSIX timers (timer.go).
	timers tgTimers
	// signalfds is notified when a signal is queued for the process or one of its tasks
	// (signalfd readiness).
	signalfds waiter.Queue
	// pidfds is notified when the process exits (EventIn) and is reaped (EventHUp), for
	// pidfd readiness (pidfd.go).
	pidfds waiter.Queue
	// notDumpable is the inverse of PR_SET_DUMPABLE's flag (processes start dumpable).
	notDumpable atomic.Bool
	// oomScoreAdj is /proc/<pid>/oom_score_adj: recorded and inherited, as in Linux's
	// signal_struct, though the sentry kills nothing by it (its memory limit fails
	// allocations with ENOMEM instead).
	oomScoreAdj atomic.Int32
	// exited is closed when the last task has exited.
	exited chan struct{}

	// container is the id of the container the process belongs to (kernel_containers.go):
	// set when the process is made, inherited by fork. Immutable.
	container string
	// containerInit marks the init of a container that joined the sandbox (Spawn with
	// ContainerInit): its exit ends its container. Immutable.
	containerInit bool
}

// OOMScoreAdj returns the process's oom_score_adj.
func (tg *ThreadGroup) OOMScoreAdj() int32 { return tg.oomScoreAdj.Load() }

// SetOOMScoreAdj sets the process's oom_score_adj (the caller has checked the range).
func (tg *ThreadGroup) SetOOMScoreAdj(v int32) { tg.oomScoreAdj.Store(v) }

// TGID is the process id in the root pid namespace (see TID).
func (tg *ThreadGroup) TGID() int32 { return tg.tgid }

// Parent returns the parent process or nil.
func (tg *ThreadGroup) Parent() *ThreadGroup {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.parent
}

// Creds returns the process credentials.
func (tg *ThreadGroup) Creds() Credentials {
	tg.credsMu.RLock()
	defer tg.credsMu.RUnlock()
	return tg.creds
}

// Rlimit returns resource limit r.
func (tg *ThreadGroup) Rlimit(r int) Rlimit {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.rlimits[r]
}

// SetRlimit sets resource limit r.
func (tg *ThreadGroup) SetRlimit(r int, l Rlimit) {
	tg.mu.Lock()
	tg.rlimits[r] = l
	tg.mu.Unlock()
}

// Credentials are a process's identity.
type Credentials struct {
	RealUID, EffectiveUID, SavedUID uint32
	RealGID, EffectiveGID, SavedGID uint32
	// Groups are the supplementary groups (never modified in place: shared by copies).
	Groups []uint32
	// Caps are the capability sets (task_caps.go).
	Caps CapSets
	// Securebits are the SECBIT_* flags (task_caps.go), inherited by fork and kept by
	// execve but for SECBIT_KEEP_CAPS.
	Securebits uint32
}
