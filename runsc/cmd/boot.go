package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Descriptors `runsc create` passes to `runsc boot` (see container.Create).
const (
	bootConfigFD  = 3 // the container config, JSON, read to EOF
	bootReadyFD   = 4 // "ready\n", or one line of error, then closed
	bootControlFD = 5 // the listening control socket
	bootGoferFD   = 6 // the sentry's end of the gofer's socketpair (boot.StartGofer)
)

// Boot implements `runsc boot`, the sandbox process, for internal use by `runsc create`: it
// builds the sentry, reports ready, serves the control socket, starts init when asked,
// records init's exit status in the state directory and exits with it.
type Boot struct {
	Conf   *config.Config
	bundle string
}

func (*Boot) Name() string     { return "boot" }
func (*Boot) Synopsis() string { return "the sandbox process (started by create; not for direct use)" }
func (*Boot) Usage() string {
	return "boot --bundle DIR CONTAINER_ID (started by runsc create, with descriptors 3-6)\n"
}
func (b *Boot) SetFlags(f *flag.FlagSet) {
	f.StringVar(&b.bundle, "bundle", "", "the container's bundle directory")
}

func (b *Boot) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	ready := os.NewFile(bootReadyFD, "ready")
	if f.NArg() != 1 || ready == nil {
		return fail("boot: for internal use by runsc create")
	}
	id := f.Arg(0)
	log := b.Conf.OpenRuntimeLog()
	sb, ctrl, l, err := b.setup(id, log)
	if err != nil {
		fmt.Fprintf(ready, "%s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		ready.Close()
		return subcommands.ExitFailure
	}
	// BEGIN confinement (runsc/cmd/boot_confine.go): after setup, before init can run.
	if err := confineSandbox(b.Conf, id, log); err != nil {
		fmt.Fprintf(ready, "%s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		ready.Close()
		sb.Destroy()
		return subcommands.ExitFailure
	}
	// END confinement
	go sb.Warm()
	go ctrl.Serve(l)
	fmt.Fprintln(ready, "ready")
	ready.Close()
	log.Debugf("container %s: sandbox ready", id)

	<-ctrl.Done()
	l.Close()
	sb.Destroy()
	e := ctrl.Exit()
	ctrl.Drain(time.Second)
	return subcommands.ExitStatus(e.ShellCode())
}

// setup reads the container config, builds the sentry and opens init's executable.
func (b *Boot) setup(id string, log *config.RuntimeLog) (*boot.Sandbox, *boot.Controller, *control.Listener, error) {
	cf := os.NewFile(bootConfigFD, "config")
	var cfg boot.ContainerConfig
	err := json.NewDecoder(cf).Decode(&cfg)
	cf.Close()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading the container config: %w", err)
	}
	if cfg.ID != id || len(cfg.Args) == 0 {
		return nil, nil, nil, errors.New("bad container config")
	}
	lf := os.NewFile(bootControlFD, "control")
	l, err := control.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("control socket: %w", err)
	}
	gc, err := boot.DialGofer(os.NewFile(bootGoferFD, "gofer"))
	if err != nil {
		l.Close()
		return nil, nil, nil, err
	}
	b.Conf.DebugID = id // the sandbox's pid is 1 in its pid namespace
	sb, err := boot.New(b.Conf, cfg.Options())
	if err != nil {
		gc.Close()
		l.Close()
		return nil, nil, nil, fmt.Errorf("building the sandbox: %w", err)
	}
	sb.ContainerID = id
	// The root filesystem is built and the executable found and opened through it (so
	// through the gofer) now, so that create reports a bad one.
	args := boot.Args{Path: cfg.Args[0], Argv: cfg.Args, Envv: cfg.Env, Root: cfg.RootFS(gc), Console: cfg.Console()}
	args.Root.Logf = func(format string, a ...any) { log.Debugf("container %s: "+format, append([]any{id}, a...)...) }
	if err := sb.Prepare(args); err != nil {
		sb.Destroy()
		gc.Close()
		l.Close()
		return nil, nil, nil, boot.ExecError(cfg.Args[0], err)
	}
	// The exit status is recorded before anyone waiting is told, so that `runsc state`
	// reports it as soon as `runsc wait` returns.
	record := func(e control.Exit) {
		log.Debugf("container %s: init exited: %+v", id, e)
		if err := writeExit(filepath.Join(b.Conf.Root, id), e, container.WriteExit); err != nil { // confinement: boot_confine.go
			log.Warnf("container %s: recording the exit status: %v", id, err)
		}
	}
	ctrl := boot.NewController(sb, args, record)
	ctrl.Logf = log.Debugf
	return sb, ctrl, l, nil
}
