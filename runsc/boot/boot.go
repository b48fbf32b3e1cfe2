// Package boot starts a sentry: it builds the platform, the memory file and the kernel from
// runsc's configuration, starts the container's init, and reports how it exited.
//
// `runsc do` runs the sentry inside its own process (Run). For OCI containers the sentry
// runs in the sandbox process, `runsc boot` (runsc/cmd/boot.go), which builds it with New,
// builds the root filesystem (served by the container's gofer, gofer.go and rootfs.go) and
// opens init's executable with Prepare, starts init with Start when `runsc start` asks over
// the control socket (controller.go), and Waits.
package boot

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/stockade-sandbox/stockade/fsimpl/host"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/strace"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Args describe the program to run.
type Args struct {
	// Executable is the program, opened by the caller. If nil, Path is found (PATH search
	// for a bare name, in Envv's PATH) and opened inside the sandbox, through its VFS.
	Executable *os.File
	Path       string
	Argv, Envv []string
	// Root is the root filesystem (rootfs.go); the zero value is an empty tmpfs.
	Root RootFS
	// Console, if set, is the host terminal init's console is joined to (console.go).
	Console *Console
}

// Options shape a sandbox's kernel: from runsc's own identity for `runsc do`, from the
// container's boot config (runsc/specutil) for OCI containers.
type Options struct {
	UID, GID uint32
	Groups   []uint32
	Hostname string
	// Domainname is the NIS domain name (empty: the sentry's default).
	Domainname string
	Rlimits    map[int]kernel.Rlimit
	// MemoryLimit caps the sandbox's memory (0: none).
	MemoryLimit uint64
	// PidsLimit caps the sandbox's tasks (0: none).
	PidsLimit int64
	// Caps are init's capability sets (nil: by uid).
	Caps *kernel.CapSets
	// NoNewPrivs is process.noNewPrivileges for init.
	NoNewPrivs bool
	// OOMScoreAdj is process.oomScoreAdj for init (0 if unset).
	OOMScoreAdj int32
	// UIDMap and GIDMap are the container's id mappings (empty: none).
	UIDMap, GIDMap []kernel.IDMapEntry
}

// KernelCaps converts configured capability sets (nil stays nil: the default by uid).
func KernelCaps(c *control.CapSets) *kernel.CapSets {
	if c == nil {
		return nil
	}
	k := kernel.CapSets(*c)
	return &k
}

// Sandbox is one sentry: New builds it, Start starts its init, Wait waits for init and tears
// the sandbox down. Destroy tears down a sandbox whose init never started.
type Sandbox struct {
	Kernel *kernel.Kernel
	// ContainerID is the id of init's container, the sandbox's own ("" for runsc do). Set
	// before Start.
	ContainerID string
	platform    platform.Platform
	// opts are the options the sandbox was built with.
	opts Options
	// prep is set by Prepare.
	prep *prepared
	// consolesMu guards consoles, the terminals joined to host terminals (console.go).
	consolesMu sync.Mutex
	consoles   []*consoleState
}

// New builds the platform, the memory file and the kernel. Nothing runs yet.
func New(conf *config.Config, o Options) (*Sandbox, error) {
	dbg, err := conf.DebugWriter("boot")
	if err != nil {
		return nil, err
	}
	p, err := platform.New(conf.Platform)
	if err != nil {
		return nil, err
	}
	mf, err := memfile.New("stockade-memory", 0)
	if err != nil {
		p.Release()
		return nil, err
	}
	kc := kernel.Config{
		Platform:   p,
		MemFile:    mf,
		UID:        o.UID,
		GID:        o.GID,
		Groups:     o.Groups,
		Hostname:   o.Hostname,
		Domainname: o.Domainname,
		Rlimits:    o.Rlimits,
		Caps:       o.Caps,

		NoNewPrivs:  o.NoNewPrivs,
		OOMScoreAdj: o.OOMScoreAdj,
		UIDMap:      o.UIDMap,
		GIDMap:      o.GIDMap,
	}
	if conf.Debug {
		kc.Log = config.Logger(dbg, "sentry: ")
	}
	if conf.Strace {
		kc.Strace = strace.New(dbg)
	}
	k, err := kernel.New(kc)
	if err != nil {
		p.Release()
		return nil, err
	}
	if o.MemoryLimit != 0 {
		k.SetMemoryLimit(o.MemoryLimit)
	}
	k.SetPidsLimit(o.PidsLimit)
	return &Sandbox{Kernel: k, platform: p, opts: o}, nil
}

// Warm starts the platform's host-side machinery (the ptrace platform's master stub) ahead
// of init, so that `runsc start` does not wait for it. It runs after confinement: what it
// forks inherits it. Failures are left for Start to report.
func (s *Sandbox) Warm() {
	if as, err := s.platform.NewAddressSpace(); err == nil {
		as.Release()
	}
}

// prepared is init's filesystem context and executable, made by Prepare.
type prepared struct {
	fsc *vfs.FSContext
	// template is an unused copy of init's filesystem context, for processes started
	// later (Exec).
	template kernel.FSContext
	exe      *vfs.FileDescription
	path     string
}

// Prepare builds init's root filesystem and finds and opens its executable through it
// (a.Executable, if set, is used as it is), so that a bad rootfs or executable is reported
// before anything runs (by `runsc create`, for a container). Start then uses them.
func (s *Sandbox) Prepare(a Args) error {
	if s.prep != nil {
		return errors.New("init already prepared")
	}
	a.Root.Kernel = s.Kernel
	prepareConsole(a.Console)
	fsc, err := newRootFS(a.Root)
	if err != nil {
		return &rootFSError{err}
	}
	p := &prepared{fsc: fsc, template: fsc.Fork(), path: a.Path}
	if a.Executable == nil {
		exe, path, err := openInitExecutable(fsc, a.Root.creds(), a.Path, a.Envv)
		if err != nil {
			return err
		}
		p.exe, p.path = exe, path
	}
	s.prep = p
	return nil
}

// Start starts the program as init (pid 1), with this process's descriptors 0-2 as its
// stdio, after Prepare if the caller has not called it. A bad executable is reported here,
// before anything runs.
func (s *Sandbox) Start(a Args) error {
	if s.prep == nil {
		if err := s.Prepare(a); err != nil {
			return err
		}
	}
	p := s.prep
	if p.exe != nil {
		// The loader copies what it needs: the file is not used once init is loaded.
		defer p.exe.Release()
	}
	var stdio [3]kernel.File
	var onSession func(*kernel.Session, *kernel.ProcessGroup)
	if a.Console != nil {
		var err error
		if stdio, onSession, err = s.StartConsole(p.fsc, a.Console); err != nil {
			return err
		}
	}
	for i := range stdio {
		if stdio[i] != nil {
			continue // the console
		}
		fd, err := syscall.Dup(i)
		if err != nil {
			continue // closed in runsc: closed in the sandbox too
		}
		f, err := host.New(fd)
		if err != nil {
			syscall.Close(fd)
			continue
		}
		stdio[i] = f
	}
	ia := kernel.InitArgs{File: a.Executable, Path: p.path, Argv: a.Argv, Envv: a.Envv, Stdio: stdio, FS: p.fsc, OnSession: onSession, Container: s.ContainerID}
	if p.exe != nil {
		ia.Executable = p.exe
	}
	return s.Kernel.StartInit(ia)
}

// ForwardSignals sends the signals a shell's job control uses, when this process receives
// them, to the container's init. The returned function stops forwarding.
func (s *Sandbox) ForwardSignals() (stop func()) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s2 := range sigs {
			if t := s.Kernel.TaskByTID(1); t != nil {
				t.SendExternalSignal(int(s2.(syscall.Signal)))
			}
		}
	}()
	return func() { signal.Stop(sigs) }
}

// Wait blocks until init's thread group has exited, kills every other process and releases
// the platform.
//
// Preconditions: Start succeeded.
func (s *Sandbox) Wait() kernel.ExitStatus {
	status := s.Kernel.Wait()
	s.Destroy()
	return status
}

// shutdownTimeout bounds how long teardown waits for killed tasks to finish exiting.
const shutdownTimeout = 5 * time.Second

// Destroy kills every process, waits for every task to have released its address space
// (kernel_teardown.go: the memory file and the platform must outlive every address space),
// and releases the platform. The memory file is never closed: it goes with the process.
func (s *Sandbox) Destroy() {
	if !s.Kernel.Shutdown(shutdownTimeout) {
		s.Kernel.Logf("teardown: tasks still exiting after %v", shutdownTimeout)
	}
	s.finishConsoles()
	s.platform.Release()
}

// Run runs the program in a new sentry, as a.Root.UID and a.Root.GID, and returns its exit
// status. Errors are failures to
// start it (a bad executable included); once it runs, its own fate is the status.
func Run(conf *config.Config, a Args) (kernel.ExitStatus, error) {
	s, err := New(conf, Options{UID: a.Root.UID, GID: a.Root.GID})
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	if a.Console == nil {
		a.Console = stdioConsole()
	}
	if err := s.Start(a); err != nil {
		s.Destroy()
		return kernel.ExitStatus{}, err
	}
	// Signals sent to runsc go to the container's init, as a shell's job control expects.
	defer s.ForwardSignals()()
	return s.Wait(), nil
}

// ErrUsage is wrapped by errors in the command line.
var ErrUsage = fmt.Errorf("usage")
