package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Create implements `runsc create`: set up a container's sandbox, ready to start.
type Create struct {
	Conf *config.Config

	bundle        string
	pidFile       string
	consoleSocket string
}

func (*Create) Name() string     { return "create" }
func (*Create) Synopsis() string { return "create a container (start runs it)" }
func (*Create) Usage() string {
	return `create [--bundle DIR] [--pid-file FILE] CONTAINER_ID

Creates the container's sandbox from the bundle's config.json and returns once it is ready;
"runsc start" then runs the container's process. The container's stdin, stdout and stderr
are this command's own (runc's pass-through mode).
`
}

// bundleFlags defines --bundle/-b, --pid-file and --console-socket, shared by create and run.
func bundleFlags(f *flag.FlagSet, bundle, pidFile, consoleSocket *string) {
	f.StringVar(bundle, "bundle", "", "path to the bundle directory (default: the current directory)")
	f.StringVar(bundle, "b", "", "short for --bundle")
	f.StringVar(pidFile, "pid-file", "", "file to write the sandbox process's pid to")
	f.StringVar(consoleSocket, "console-socket", "", "unix socket to send the console's pty master to (terminals are not supported yet)")
}

func (c *Create) SetFlags(f *flag.FlagSet) {
	bundleFlags(f, &c.bundle, &c.pidFile, &c.consoleSocket)
}

func (c *Create) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "create")
	if !ok {
		return subcommands.ExitUsageError
	}
	ctr, proc, err := createContainer(c.Conf, id, c.bundle, c.pidFile, c.consoleSocket)
	if err != nil {
		return fail("create: %v", err)
	}
	proc.Release()
	ctr.Close()
	return subcommands.ExitSuccess
}

// createContainer loads the bundle, validates it, and creates container id. Nothing is left
// behind when it fails.
func createContainer(conf *config.Config, id, bundle, pidFile, consoleSocket string) (*container.Container, *os.Process, error) {
	if err := container.ValidateID(id); err != nil {
		return nil, nil, err
	}
	if bundle == "" {
		bundle = "."
	}
	bundle, err := filepath.Abs(bundle)
	if err != nil {
		return nil, nil, err
	}
	spec, err := specutil.Load(bundle)
	if err != nil {
		return nil, nil, err
	}
	if consoleSocket != "" && !spec.Process.Terminal {
		// As runc: a console socket only makes sense with a terminal.
		return nil, nil, fmt.Errorf("--console-socket given but process.terminal is false")
	}
	cfg := specutil.ContainerConfig(id, spec, bundle)
	logUnsupported(conf, cfg)
	return container.Create(container.CreateOptions{
		Root: conf.Root, ID: id, Bundle: bundle, Config: cfg,
		BootFlags: conf.Flags(), PidFile: pidFile,
	})
}

// logUnsupported notes, with --debug, what the sentry does not honour yet.
func logUnsupported(conf *config.Config, cfg *boot.ContainerConfig) {
	l := conf.OpenRuntimeLog()
	if conf.SystemdCgroup {
		l.Debugf("--systemd-cgroup is accepted and ignored: runsc does not manage cgroups yet")
	}
	if len(cfg.Mounts) > 0 {
		l.Debugf("container %s: %d mounts in the spec are not mounted yet (no filesystems in the sentry)", cfg.ID, len(cfg.Mounts))
	}
	if len(cfg.AdditionalGIDs) > 0 {
		l.Debugf("container %s: additional gids %v are not applied yet", cfg.ID, cfg.AdditionalGIDs)
	}
}

// oneID returns the one positional argument, the container id.
func oneID(f *flag.FlagSet, cmd string) (string, bool) {
	if f.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "runsc: %s: expected exactly one container id, got %d arguments\n", cmd, f.NArg())
		return "", false
	}
	return f.Arg(0), true
}
