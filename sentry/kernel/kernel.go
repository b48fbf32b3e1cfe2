// Package kernel is the core of the sentry: tasks (application threads) and thread groups
// (processes), their run loop over the platform, the syscall dispatcher, futexes, signal
// state, time and identity.
//
// A Task is run by one goroutine locked to its OS thread (see platform/ptrace): it switches
// into application code, receives a syscall or fault event, answers it, and switches back.
// Syscall implementations live in package syscalls, which registers the table with
// RegisterSyscallTable; this package never imports it.
//
// Lock order (outermost first):
//
//	Kernel.mu (task registry, pid namespaces and pid allocation)
//	  ThreadGroup.mu (members, exit state, signal actions)
//	    Task.mu (per-task signal state)
//	futexManager.mu is a leaf and is never held while taking another lock. It also guards
//	PI futex state and each Task's futex exit state (futex_pi.go); a PI owner is looked
//	up (Kernel.mu) before it is taken and checked against the futex word under it.
//
// Lifetimes and teardown (kernel_teardown.go): a task goroutine leaves the pid tables
// before its process's address space is released, and is counted in Kernel.live until
// Task.exit is over. The platform and the memory file must outlive every address space:
// the sandbox is torn down by Shutdown (KillAll, then WaitReleased) before the platform is
// released and the memory file closed; Wait returns only once no task is still exiting.
// Other goroutines (runsc ps, /proc) see a task's address space through Task.MM and its
// thread id through Task.TID, which stay valid (a released address space fails copies)
// while execve replaces them.
package kernel

import (
	"fmt"
	"io"
	"log"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/vdso"
)

// The Linux the sandbox reports (uname(2), /proc/version, /proc/sys/kernel/osrelease).
const (
	LinuxRelease = "6.1.0"
	LinuxVersion = "#1 SMP Stockade"
)

// Config is what the kernel needs to start; it is built by runsc from its flags or the OCI
// spec (the sentry never sees runtime-spec types).
type Config struct {
	Platform platform.Platform
	MemFile  *memfile.File
	Hostname string
	// Domainname is the NIS domain name (uname domainname; empty: "(none)", as Linux).
	Domainname string
	// Creds of the init process.
	UID, GID uint32
	// Groups are the init process's supplementary groups.
	Groups []uint32
	// Caps are the init process's capability sets as the runtime applies them before init's
	// execve recomputes them (StartCaps; nil: DefaultCapSets(UID)).
	Caps *CapSets
	// NoNewPrivs starts init with no_new_privs set (process.noNewPrivileges).
	NoNewPrivs bool
	// Rlimits overrides default rlimits by resource number.
	Rlimits map[int]Rlimit
	// UIDMap and GIDMap are how the sandbox's user namespace maps ids to the host's, as
	// /proc/PID/uid_map and gid_map show them (the container's linux.uidMappings and
	// gidMappings, applied by its gofer; empty: the identity over every id, as in the
	// host's initial namespace). The sentry's credentials are the container's ids.
	UIDMap, GIDMap []IDMapEntry
	// OOMScoreAdj is init's oom_score_adj (process.oomScoreAdj; inherited by children and
	// by processes spawned into the container, as Linux's is on fork).
	OOMScoreAdj int32
	// Strace, when set, is called around every syscall.
	Strace SyscallHook
	// Log receives diagnostics (unimplemented syscalls, platform failures). nil: discard.
	Log *log.Logger
}

// IDMapEntry maps Count ids from Inside the sandbox's user namespace to Outside it (a line
// of /proc/PID/uid_map).
type IDMapEntry struct{ Inside, Outside, Count uint32 }

// identityMap is the initial user namespace's map: every id to itself.
var identityMap = []IDMapEntry{{0, 0, 4294967295}}

// UIDMap is the sandbox's uid map (Config.UIDMap); the caller must not modify it.
func (k *Kernel) UIDMap() []IDMapEntry {
	if len(k.defaults.UIDMap) == 0 {
		return identityMap
	}
	return k.defaults.UIDMap
}

// GIDMap is the sandbox's gid map (Config.GIDMap); the caller must not modify it.
func (k *Kernel) GIDMap() []IDMapEntry {
	if len(k.defaults.GIDMap) == 0 {
		return identityMap
	}
	return k.defaults.GIDMap
}

// Rlimit is a resource limit.
type Rlimit struct{ Cur, Max uint64 }

// Kernel is one sandbox's kernel.
type Kernel struct {
	Platform platform.Platform
	MemFile  *memfile.File
	hostname string
	// domainname is the NIS domain name (immutable, like hostname).
	domainname string
	strace     SyscallHook
	log        *log.Logger
	start      time.Time
	futexes    futexManager
	defaults   Config
	numCPU     int
	// vdso is mapped into every image the kernel loads.
	vdso *vdso.VDSO

	mu sync.Mutex
	// root is the sandbox's pid namespace (pidns.go), whose indexes are the registry of
	// every task and process. Guarded by mu.
	root *PIDNamespace
	// init is the container's init (thread group with tgid 1). Guarded by mu.
	init *ThreadGroup
	// unimplLogged records syscalls already logged as unimplemented. Guarded by mu.
	unimplLogged map[uintptr]bool
	// containerInits are the live inits of the containers that joined the sandbox, by
	// container id (kernel_containers.go). Guarded by mu.
	containerInits map[string]*ThreadGroup
	// procs is the process tree: processes by pid (zombies included), process groups and
	// sessions (process.go). Guarded by mu.
	procs processTable
	// live counts task goroutines that have started and not yet finished Task.exit: a task
	// leaves the pid tables before its thread group releases its address space, so an empty
	// table alone does not mean that no memory-file or platform user is left
	// (kernel_teardown.go). Guarded by mu.
	live int
	// idle, if non-nil, is closed when live drops to zero (WaitReleased). Guarded by mu.
	idle chan struct{}
	// killingAll is set by KillAll: no process may be created afterwards (one forked while
	// KillAll walks the processes would escape it). Guarded by mu.
	killingAll bool

	// pause is the pause gate (kernel_pause.go).
	pause pauseGate
	// memLimit is the memory limit (kernel_stats.go; 0: none).
	memLimit atomic.Uint64
	// pidsLimit is the container's pids limit (kernel_stats.go; 0: none).
	pidsLimit atomic.Int64

	// done is closed when init's thread group has exited and every other task has been
	// killed and has finished exiting (process.go), or 5 s after init exited if one is stuck.
	done chan struct{}
}

// New creates a kernel.
func New(c Config) (*Kernel, error) {
	if c.Platform == nil || c.MemFile == nil {
		return nil, fmt.Errorf("kernel needs a platform and a memory file")
	}
	lg := c.Log
	if lg == nil {
		lg = log.New(io.Discard, "", 0)
	}
	if c.Hostname == "" {
		c.Hostname = "stockade"
	}
	if c.Domainname == "" {
		c.Domainname = "(none)"
	}
	v, err := vdso.New(c.MemFile)
	if err != nil {
		return nil, err
	}
	k := &Kernel{
		vdso:         v,
		Platform:     c.Platform,
		MemFile:      c.MemFile,
		hostname:     c.Hostname,
		domainname:   c.Domainname,
		strace:       c.Strace,
		log:          lg,
		start:        time.Now(),
		defaults:     c,
		unimplLogged: make(map[uintptr]bool),
		done:         make(chan struct{}),
		futexes:      futexManager{waiters: make(map[futexKey]*futexQueue)},
		numCPU:       runtime.NumCPU(),
	}
	k.root = newPIDNamespace(k, nil)
	return k, nil
}

// Hostname is the sandbox's hostname (uname nodename).
func (k *Kernel) Hostname() string { return k.hostname }

// Domainname is the sandbox's NIS domain name (uname domainname).
func (k *Kernel) Domainname() string { return k.domainname }

// Logf logs a diagnostic line.
func (k *Kernel) Logf(format string, args ...any) { k.log.Printf(format, args...) }

// Uptime is the time since the kernel started.
func (k *Kernel) Uptime() time.Duration { return time.Since(k.start) }

// Wait blocks until init's thread group has exited and returns its wait status.
func (k *Kernel) Wait() ExitStatus {
	<-k.done
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.init.exitStatus
}

// ExitStatus is how a thread group ended.
type ExitStatus struct {
	// Code is the exit code if Signo is 0.
	Code int
	// Signo is the terminating signal, or 0.
	Signo int
	// CoreDumped is set when the signal's default action is to dump core (nothing is
	// written, but the status says so, as Linux's does with core dumps disabled... except
	// that Linux clears the bit then; we follow Linux: see exitStatusFromSignal).
	CoreDumped bool
}

// ShellCode is the status a shell would report: the code, or 128+signal.
func (s ExitStatus) ShellCode() int {
	if s.Signo != 0 {
		return 128 + s.Signo
	}
	return s.Code
}

// WaitStatus encodes s as wait(2) does.
func (s ExitStatus) WaitStatus() uint32 {
	if s.Signo != 0 {
		w := uint32(s.Signo) & 0x7f
		if s.CoreDumped {
			w |= 0x80
		}
		return w
	}
	return uint32(s.Code&0xff) << 8
}
