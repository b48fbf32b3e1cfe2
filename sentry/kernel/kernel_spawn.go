package kernel

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Processes started from outside the sandbox (`runsc exec`).
//
// A spawned process is a new session and process group of its own, with no parent in the
// sandbox (its ppid is 0, as for a process `setns`'d into a pid namespace on Linux): its
// exit status goes to whoever spawned it (WaitSpawned), which also reaps it. Its own
// children are reparented to init when it exits, as any orphan's. Init's exit kills it
// with everything else.

// SpawnArgs describe a process to start in a running sandbox.
type SpawnArgs struct {
	// Executable is the program, opened by the caller through the sandbox's VFS; it is not
	// used once Spawn returns.
	Executable io.ReaderAt
	// Path is the executable's path as found; Argv and Envv the program's arguments and
	// environment.
	Path       string
	Argv, Envv []string
	// Stdio are the files for descriptors 0, 1 and 2 (nil entries are left closed).
	Stdio [3]File
	// FS is the process's filesystem context; the task takes over the reference.
	FS FSContext
	// UID, GID and Groups are the process's credentials (real, effective and saved).
	UID, GID uint32
	Groups   []uint32
	// OnSession, if set, is called with the process's new session and process group once
	// they exist, before the process runs: the runtime makes the process's own terminal the
	// session's controlling terminal there (`runsc exec --tty`).
	OnSession func(s *Session, pg *ProcessGroup)
	// Caps are the process's capability sets as the runtime applies them before its execve
	// recomputes them (StartCaps; nil: DefaultCapSets(UID)).
	Caps *CapSets
	// NoNewPrivs starts the process with no_new_privs set.
	NoNewPrivs bool
	// PIDNamespace is the pid namespace the process is made in (nil: the root). The
	// first process of a new namespace (PIDNamespace.NewChild) is its init.
	PIDNamespace *PIDNamespace
	// Container is the id of the container the process belongs to (kernel_containers.go).
	Container string
	// ContainerInit makes the process the init of Container, a container that joins the
	// sandbox: orphans of the container are given to it, and its exit kills the rest of
	// the container. At most one live init per container.
	ContainerInit bool
	// Rlimits override the resource limits the process gets from the sandbox's init, by
	// resource number (a joining container's process.rlimits).
	Rlimits map[int]Rlimit
}

// ErrNotRunning is returned by Spawn when init has not started or has exited.
var ErrNotRunning = errors.New("the container is not running")

// Spawn starts a process in the sandbox, in a new session, and returns once its
// executable is loaded (a bad one is reported here). Its resource limits are init's.
func (k *Kernel) Spawn(a SpawnArgs) (*ThreadGroup, error) {
	k.mu.Lock()
	init := k.init
	stopped := init == nil || k.procs.initExited
	k.mu.Unlock()
	if stopped {
		return nil, ErrNotRunning
	}
	creds := startCreds(a.UID, a.GID, a.Groups, a.Caps, a.NoNewPrivs)
	tg := &ThreadGroup{k: k, creds: creds, tasks: make(map[*Task]struct{}), exited: make(chan struct{}),
		container: a.Container, containerInit: a.ContainerInit}
	init.mu.Lock()
	tg.rlimits = init.rlimits
	init.mu.Unlock()
	for r, l := range a.Rlimits {
		if r >= 0 && r < len(tg.rlimits) {
			tg.rlimits[r] = l
		}
	}
	tg.oomScoreAdj.Store(init.oomScoreAdj.Load())
	t := newLeader(k, tg, 0, a.FS, a.Path, a.Stdio[:])
	t.proc.noNewPrivs.Store(a.NoNewPrivs)

	k.mu.Lock()
	if k.procs.initExited || k.killingAll {
		k.mu.Unlock()
		t.fds.DecRef()
		t.SetFSContext(nil)
		return nil, ErrNotRunning
	}
	ns := a.PIDNamespace
	if ns == nil {
		ns = k.root
	}
	ids, err := k.allocIDsLocked(ns)
	if err != nil {
		k.mu.Unlock()
		t.fds.DecRef()
		t.SetFSContext(nil)
		return nil, err
	}
	if a.ContainerInit {
		if k.containerInits[a.Container] != nil {
			k.mu.Unlock()
			t.fds.DecRef()
			t.SetFSContext(nil)
			return nil, fmt.Errorf("container %s already has an init", a.Container)
		}
		if k.containerInits == nil {
			k.containerInits = make(map[string]*ThreadGroup)
		}
		k.containerInits[a.Container] = tg
	}
	ia := InitArgs{Executable: a.Executable, Path: a.Path, Argv: a.Argv, Envv: a.Envv}
	if err := k.startLeaderLocked(t, ids, a.OnSession, ia); err != nil {
		k.WaitSpawned(tg)
		return nil, err
	}
	return tg, nil
}

// WaitSpawned blocks until tg, a process from Spawn, has exited, reaps it, and returns
// its exit status.
func (k *Kernel) WaitSpawned(tg *ThreadGroup) ExitStatus {
	<-tg.exited
	// The last task closes exited just before processExited makes the process a zombie:
	// wait for that, briefly, so that the reap below does not miss it.
	for i := 0; ; i++ {
		k.mu.Lock()
		if tg.proc.zombie || i == 2000 {
			if tg.parent == nil && tg.proc.zombie {
				k.reapLocked(tg)
			}
			k.mu.Unlock()
			break
		}
		k.mu.Unlock()
		time.Sleep(500 * time.Microsecond)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.exitStatus
}

// Exited is closed when every task of tg has exited.
func (tg *ThreadGroup) Exited() <-chan struct{} { return tg.exited }

// SignalProcess sends sig to process pid (a process-directed signal, as kill(2) sends).
func (k *Kernel) SignalProcess(pid int32, sig int) error {
	tg := k.ProcessByPID(pid)
	if tg == nil || tg.IsZombie() {
		return fmt.Errorf("no process %d", pid)
	}
	if sig == 0 {
		return nil
	}
	t := tg.Leader()
	if t == nil {
		return fmt.Errorf("no process %d", pid)
	}
	t.SendSignal(sig, true)
	return nil
}
