package kernel

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/loader"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// InitArgs describe the container's first process.
type InitArgs struct {
	// File is the executable, opened by the caller (until the gofer serves files).
	File *os.File
	// Executable, if set, is used instead of File: the executable opened through the
	// sandbox's own VFS (runsc/boot opens it; the caller releases it once StartInit returns).
	Executable io.ReaderAt
	// Path is the executable's path as given (argv[0] is separate).
	Path       string
	Argv, Envv []string
	// Stdio are files for descriptors 0, 1 and 2 (nil entries are left closed).
	Stdio [3]File
	// FS is init's filesystem context (root and cwd in the root mount namespace), built by
	// the caller; the task takes over the reference. nil: no filesystem.
	FS FSContext
	// OnSession, if set, is called with init's session and process group once they exist,
	// before init runs: the runtime makes the container's console init's controlling
	// terminal there.
	OnSession func(s *Session, pg *ProcessGroup)
	// Container is the id of init's container, the sandbox's own (kernel_containers.go).
	Container string
}

// StartInit starts the container's init process (pid 1) and returns once its executable is
// loaded: a bad executable is reported here, before anything runs.
func (k *Kernel) StartInit(a InitArgs) error {
	creds := startCreds(k.defaults.UID, k.defaults.GID, k.defaults.Groups, k.defaults.Caps, k.defaults.NoNewPrivs)
	tg := &ThreadGroup{k: k, creds: creds, tasks: make(map[*Task]struct{}), exited: make(chan struct{}), container: a.Container}
	for r := 0; r < linux.RLIM_NLIMITS; r++ {
		var l unix.Rlimit
		if err := unix.Getrlimit(r, &l); err == nil {
			tg.rlimits[r] = Rlimit{l.Cur, l.Max}
		} else {
			tg.rlimits[r] = Rlimit{linux.RLIM_INFINITY, linux.RLIM_INFINITY}
		}
	}
	tg.rlimits[unix.RLIMIT_CORE] = Rlimit{0, linux.RLIM_INFINITY}
	for r, l := range k.defaults.Rlimits {
		tg.rlimits[r] = l
	}
	tg.oomScoreAdj.Store(k.defaults.OOMScoreAdj)
	t := newLeader(k, tg, 1, a.FS, a.Path, a.Stdio[:])
	t.proc.noNewPrivs.Store(k.defaults.NoNewPrivs)
	k.mu.Lock()
	if k.init != nil {
		k.mu.Unlock()
		return fmt.Errorf("init already started")
	}
	if k.killingAll {
		k.mu.Unlock()
		return fmt.Errorf("the sandbox is being torn down")
	}
	ids, err := k.allocIDsLocked(k.root)
	if err != nil || ids.nums[0] != 1 {
		k.mu.Unlock()
		return fmt.Errorf("init cannot be pid 1: %v", err)
	}
	k.init = tg
	tg.unkillable = true // before it runs: no other task can see it yet
	return k.startLeaderLocked(t, ids, a.OnSession, a)
}

// startLeaderLocked makes t, the leader of a new process in a session of its own, visible
// under ids, releases k.mu, tells onSession (if set) of the session and process group
// before t runs, and starts t on its initial exec of a. It returns once the executable is
// loaded, or failed to load.
//
// Preconditions: k.mu is held (it is released); t has not run.
func (k *Kernel) startLeaderLocked(t *Task, ids pidIDs, onSession func(*Session, *ProcessGroup), a InitArgs) error {
	k.addTaskLocked(t, ids)
	k.registerProcessLocked(t.tg, ids, nil)
	pg := t.tg.proc.pgrp
	k.mu.Unlock()
	if onSession != nil {
		onSession(pg.session, pg)
	}

	loaded := make(chan error, 1)
	k.goTask(t, func() error {
		t.startAccounting()
		err := t.execInitial(a)
		loaded <- err
		return err
	})
	return <-loaded
}

// execInitial builds the init task's address space and loads the executable into it.
func (t *Task) execInitial(a InitArgs) error {
	var file io.ReaderAt = a.File
	if a.Executable != nil {
		file = a.Executable
	}
	m, regs, err := t.loadExecutable(file, a.Path, a.Argv, a.Envv)
	if err != nil {
		return err
	}
	t.setMM(m)
	t.regs = regs
	return nil
}

// loadExecutable creates a new address space and memory manager and loads the executable
// file into it, returning them and the registers the program starts with. Nothing of the
// task changes. Loader refusals (*loader.Error: ENOEXEC, E2BIG) are returned as they are.
func (t *Task) loadExecutable(file io.ReaderAt, path string, argv, envv []string) (*mm.MemoryManager, arch.Registers, error) {
	p := t.k.Platform
	as, err := p.NewAddressSpace()
	if err != nil {
		return nil, arch.Registers{}, fmt.Errorf("creating address space: %w", err)
	}
	m := mm.New(as, t.k.MemFile, defaultLayout(p.MinUserAddress(), p.MaxUserAddress()))
	// "#!" scripts: run the interpreter with the script's path as an argument, up to
	// Linux's four levels of nesting. AT_EXECFN stays the path execve was given.
	execPath := path
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for depth := 0; ; depth++ {
		var head [loader.ScriptBufSize]byte
		n, _ := file.ReadAt(head[:], 0)
		if n < 2 || head[0] != '#' || head[1] != '!' {
			break
		}
		if depth == maxScriptDepth {
			m.Release()
			return nil, arch.Registers{}, &loader.Error{Path: execPath, Reason: "too many levels of #! interpreters", Errno: unix.ELOOP}
		}
		sc, err := loader.ParseScript(path, head[:n])
		if err != nil {
			m.Release()
			return nil, arch.Registers{}, err
		}
		if OpenInterpreter == nil {
			m.Release()
			return nil, arch.Registers{}, &loader.Error{Path: path, Reason: "no filesystem to open the interpreter", Errno: unix.ENOEXEC}
		}
		f, release, err := OpenInterpreter(t, sc.Interp)
		if err != nil {
			m.Release()
			return nil, arch.Registers{}, err
		}
		releases = append(releases, release)
		nargv := []string{sc.Interp}
		if sc.Arg != "" {
			nargv = append(nargv, sc.Arg)
		}
		nargv = append(nargv, path)
		if len(argv) > 1 {
			nargv = append(nargv, argv[1:]...)
		}
		file, path, argv = f, sc.Interp, nargv
	}
	c := t.tg.Creds()
	res, err := loader.Load(m, loader.Args{
		File: file, Path: execPath, Argv: argv, Envv: envv,
		UID: c.RealUID, EUID: c.EffectiveUID, GID: c.RealGID, EGID: c.EffectiveGID,
		OpenInterp: t.interpOpener(),
		VDSO:       t.k.vdso,
	})
	if err != nil {
		m.Release()
		return nil, arch.Registers{}, err
	}
	t.applyStackLimit(m, res.StackStart, res.StackEnd, res.Stack)
	m.SetExecInfo(mm.ExecInfo{Path: path, File: file, ArgStart: res.ArgStart, ArgEnd: res.ArgEnd, EnvStart: res.EnvStart, EnvEnd: res.EnvEnd})
	return m, arch.InitialRegisters(res.Entry, res.Stack), nil
}

// applyStackLimit enforces RLIMIT_STACK on the stack mapping [start, end) the loader made
// (whose initial stack pointer is sp): the part beyond the limit below the top is unmapped,
// so that deeper use faults (SIGSEGV) as on Linux. The strings and vectors above sp are
// always kept. A limit above the mapping's size does not enlarge it.
func (t *Task) applyStackLimit(m *mm.MemoryManager, start, end, sp uintptr) {
	lim := t.tg.Rlimit(unix.RLIMIT_STACK).Cur
	if lim >= uint64(end-start) {
		return
	}
	keep := max(linux.PageRoundDown(uintptr(lim)), linux.PageRoundDown(end-sp)+2*linux.PageSize)
	if lo := end - keep; keep < end-start && lo > start {
		m.MUnmap(start, lo-start)
	}
}

// maxScriptDepth is how many "#!" interpreters may be chained (Linux's BINPRM_MAX_RECURSION).
const maxScriptDepth = 4

// defaultLayout places the mmap area below the stack, leaving the 128 MiB gap Linux leaves
// for a stack rlimit of 8 MiB.
func defaultLayout(min, max uintptr) mm.Layout {
	const gap = 128 << 20
	return mm.Layout{MinAddr: min, MaxAddr: max, MmapBase: linux.PageRoundDown(max - gap)}
}

func basename(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// newLeader makes the first task of a new process started from outside (init, or one
// started by Spawn for runsc exec): named after the executable, with a fresh fd table
// holding stdio at 0-2 (nil entries left closed). tid 0 means one is allocated later.
func newLeader(k *Kernel, tg *ThreadGroup, tid int32, fsc FSContext, path string, stdio []File) *Task {
	t := &Task{k: k, tg: tg, fds: NewFDTable(), fsc: fsc, wake: make(chan struct{}, 1)}
	t.tid.Store(tid)
	t.SetName(basename(path))
	for i, f := range stdio {
		if f != nil {
			ref := NewFileRef(f)
			t.fds.SetFD(int32(i), ref, false, 3)
			ref.DecRef()
		}
	}
	tg.leader = t
	tg.tasks[t] = struct{}{}
	return t
}
