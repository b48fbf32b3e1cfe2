package cmd

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/console"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Run implements `runsc run`: create + start + wait, then delete.
type Run struct {
	Conf *config.Config

	bundle        string
	pidFile       string
	consoleSocket string
	detach        bool
}

func (*Run) Name() string     { return "run" }
func (*Run) Synopsis() string { return "create and start a container, and wait for it" }
func (*Run) Usage() string {
	return `run [--bundle DIR] [--pid-file FILE] [--detach] CONTAINER_ID

Creates and starts the container, waits for its process to exit, deletes the container and
exits with the process's exit code (128+N if signal N killed it). Signals runsc receives are
passed on to the container. With --detach, returns once the container runs.
`
}

func (r *Run) SetFlags(f *flag.FlagSet) {
	bundleFlags(f, &r.bundle, &r.pidFile, &r.consoleSocket)
	runcCompatFlags(f)
	f.BoolVar(&r.detach, "detach", false, "return once the container runs, leaving it running")
	f.BoolVar(&r.detach, "d", false, "short for --detach")
}

// wantsTerminal reports whether the bundle's process asks for a terminal (errors are
// createContainer's to report).
func wantsTerminal(bundle string) bool {
	if bundle == "" {
		bundle = "."
	}
	spec, err := specutil.Load(bundle)
	return err == nil && spec.Process != nil && spec.Process.Terminal
}

func (r *Run) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "run")
	if !ok {
		return subcommands.ExitUsageError
	}
	// Catch the signals to pass on before the container exists, so that none is lost.
	sigs := make(chan os.Signal, 16)
	if !r.detach {
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
		defer signal.Stop(sigs)
	}
	// A terminal without a console socket: run receives the console itself and relays it
	// to its own stdio, as runc does in the foreground.
	consoleSocket := r.consoleSocket
	var rcv *console.Receiver
	if consoleSocket == "" && !r.detach && wantsTerminal(r.bundle) {
		var err error
		if rcv, err = console.NewReceiver(); err != nil {
			return fail("run: console: %v", err)
		}
		defer rcv.Close()
		consoleSocket = rcv.Path()
	}
	log := r.Conf.OpenRuntimeLog()
	log.Debugf("run %s: creating", id)
	c, proc, err := createContainer(r.Conf, id, r.bundle, r.pidFile, consoleSocket)
	if err != nil {
		return fail("run: %v", err)
	}
	log.Debugf("run %s: created", id)
	if rcv != nil {
		m, err := rcv.Master(10 * time.Second)
		if err != nil {
			c.Delete(true)
			proc.Wait()
			return fail("run: %v", err)
		}
		defer m.Close()
		defer console.Relay(m, os.Stdin, os.Stdout, nil)()
	}
	if err := c.Start(); err != nil {
		c.Delete(true)
		proc.Wait()
		return fail("run: %v", err)
	}
	c.Close()
	log.Debugf("run %s: started", id)
	if r.detach {
		proc.Release()
		return subcommands.ExitSuccess
	}

	go func() {
		for s := range sigs {
			if c, err := container.Load(r.Conf.Root, id, false); err == nil {
				c.Signal(unix.Signal(s.(syscall.Signal)), false)
				c.Close()
			}
		}
	}()
	ps, err := proc.Wait()
	if err != nil {
		return fail("run: waiting for the sandbox: %v", err)
	}
	log.Debugf("run %s: the sandbox exited", id)
	// The sandbox exits with the container's exit code; if it was killed itself, the
	// recorded exit status (if any) is the better answer.
	code := ps.ExitCode()
	ws, signaled := ps.Sys().(syscall.WaitStatus)
	signaled = signaled && ws.Signaled()
	if signaled {
		code = 128 + int(ws.Signal())
	}
	if c, err := container.Load(r.Conf.Root, id, true); err == nil {
		c.SetLog(r.Conf.OpenRuntimeLog())
		if e := c.ExitStatus(); e != nil && signaled {
			code = e.ShellCode()
		}
		if err := c.Delete(true); err != nil {
			fail("run: %v", err)
		}
		log.Debugf("run %s: deleted", id)
	}
	return subcommands.ExitStatus(code)
}
