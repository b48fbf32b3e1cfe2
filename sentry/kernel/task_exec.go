package kernel

import (
	"fmt"
	"os"
	"syscall"

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
	// Path is the executable's path as given (argv[0] is separate).
	Path       string
	Argv, Envv []string
	// Stdio are files for descriptors 0, 1 and 2 (nil entries are left closed).
	Stdio [3]File
}

// StartInit starts the container's init process (pid 1) and returns once its executable is
// loaded: a bad executable is reported here, before anything runs.
func (k *Kernel) StartInit(a InitArgs) error {
	creds := Credentials{
		RealUID: k.defaults.UID, EffectiveUID: k.defaults.UID, SavedUID: k.defaults.UID,
		RealGID: k.defaults.GID, EffectiveGID: k.defaults.GID, SavedGID: k.defaults.GID,
	}
	tg := &ThreadGroup{k: k, tgid: 1, creds: creds, tasks: make(map[*Task]struct{}), exited: make(chan struct{})}
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
	t := &Task{k: k, tid: 1, tg: tg, fds: NewFDTable(), wake: make(chan struct{}, 1)}
	t.SetName(basename(a.Path))
	for i, f := range a.Stdio {
		if f != nil {
			ref := NewFileRef(f)
			t.fds.SetFD(int32(i), ref, false, 3)
			ref.DecRef()
		}
	}
	tg.leader = t
	tg.tasks[t] = struct{}{}
	k.mu.Lock()
	if k.init != nil {
		k.mu.Unlock()
		return fmt.Errorf("init already started")
	}
	k.init = tg
	k.tasks[1] = t
	k.nextTID = 2
	k.mu.Unlock()

	loaded := make(chan error, 1)
	go t.run(func() error {
		err := t.execInitial(a)
		loaded <- err
		return err
	})
	return <-loaded
}

// execInitial builds the init task's address space and loads the executable into it.
func (t *Task) execInitial(a InitArgs) error {
	p := t.k.Platform
	as, err := p.NewAddressSpace()
	if err != nil {
		return fmt.Errorf("creating address space: %w", err)
	}
	m := mm.New(as, t.k.MemFile, defaultLayout(p.MinUserAddress(), p.MaxUserAddress()))
	c := t.tg.creds
	res, err := loader.Load(m, loader.Args{
		File: a.File, Path: a.Path, Argv: a.Argv, Envv: a.Envv,
		UID: c.RealUID, EUID: c.EffectiveUID, GID: c.RealGID, EGID: c.EffectiveGID,
	})
	if err != nil {
		m.Release()
		return err
	}
	t.mm = m
	t.regs = arch.InitialRegisters(res.Entry, res.Stack)
	return nil
}

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

// KillAll ends every process with SIGKILL (the sandbox is being torn down).
func (k *Kernel) KillAll() {
	for _, tg := range k.ThreadGroups() {
		tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
	}
}
