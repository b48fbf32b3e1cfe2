// Package boot starts a sentry: it builds the platform, the memory file and the kernel from
// runsc's configuration, starts the container's init, and reports how it exited.
//
// In this milestone the sentry runs inside the runsc process that asks for it (`runsc do`);
// the separate sandbox and gofer processes come with the files and OCI milestones.
package boot

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/stockade-sandbox/stockade/fsimpl/host"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/strace"
)

// Args describe the program to run.
type Args struct {
	Executable *os.File
	Path       string
	Argv, Envv []string
}

// Run runs the program in a new sentry and returns its exit status. Errors are failures to
// start it (a bad executable included); once it runs, its own fate is the status.
func Run(conf *config.Config, a Args) (kernel.ExitStatus, error) {
	dbg, err := conf.DebugWriter("boot")
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	p, err := platform.New(conf.Platform)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	mf, err := memfile.New("stockade-memory", 0)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	kc := kernel.Config{
		Platform: p,
		MemFile:  mf,
		UID:      uint32(os.Getuid()),
		GID:      uint32(os.Getgid()),
	}
	if conf.Debug {
		kc.Log = config.Logger(dbg, "sentry: ")
	}
	if conf.Strace {
		kc.Strace = strace.New(dbg)
	}
	k, err := kernel.New(kc)
	if err != nil {
		return kernel.ExitStatus{}, err
	}
	var stdio [3]kernel.File
	for i := range stdio {
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
	if err := k.StartInit(kernel.InitArgs{
		File: a.Executable, Path: a.Path, Argv: a.Argv, Envv: a.Envv, Stdio: stdio,
	}); err != nil {
		return kernel.ExitStatus{}, err
	}
	// Signals sent to runsc go to the container's init, as a shell's job control expects.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if t := k.TaskByTID(1); t != nil {
				t.SendSignal(int(s.(syscall.Signal)), true)
			}
		}
	}()
	status := k.Wait()
	k.KillAll()
	p.Release()
	return status, nil
}

// ErrUsage is wrapped by errors in the command line.
var ErrUsage = fmt.Errorf("usage")
