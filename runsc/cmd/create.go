package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/console"
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
are this command's own (runc's pass-through mode), unless process.terminal is true: then
they are a new pty, whose master is sent to --console-socket as runc does, and init gets a
terminal of the sandbox's (/dev/pts/0). A gofer process serves root.path and the
bind mounts' sources to the sandbox; with --overlay=root:memory (the default) the container's
writes to its root stay in memory, with --overlay=none they reach root.path; with
root.readonly the root is read-only (EROFS) either way.
`
}

// bundleFlags defines --bundle/-b, --pid-file and --console-socket, shared by create and run.
func bundleFlags(f *flag.FlagSet, bundle, pidFile, consoleSocket *string) {
	f.StringVar(bundle, "bundle", "", "path to the bundle directory (default: the current directory)")
	f.StringVar(bundle, "b", "", "short for --bundle")
	f.StringVar(pidFile, "pid-file", "", "file to write the sandbox process's pid to")
	f.StringVar(consoleSocket, "console-socket", "", "unix socket to send the console's pty master to (process.terminal)")
}

func (c *Create) SetFlags(f *flag.FlagSet) {
	bundleFlags(f, &c.bundle, &c.pidFile, &c.consoleSocket)
	runcCompatFlags(f)
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
	if spec.Process.Terminal && consoleSocket == "" {
		// As runc: the terminal's master must go somewhere.
		return nil, nil, fmt.Errorf("process.terminal is true but no --console-socket was given")
	}
	cfg := specutil.ContainerConfig(id, spec, bundle)
	cfg.Overlay = conf.Overlay != config.OverlayNone
	if err := checkBindMounts(conf, cfg); err != nil {
		return nil, nil, err
	}
	logUnsupported(conf, cfg)
	if keys := specutil.UnmodelledSysctls(spec); len(keys) > 0 {
		conf.OpenRuntimeLog().Debugf("container %s: linux.sysctl %s accepted and not applied (not modelled by the sentry)", id, strings.Join(keys, ", "))
	}
	cg, err := specutil.Cgroup(spec, id, conf.SystemdCgroup)
	if err != nil {
		return nil, nil, err
	}
	o := container.CreateOptions{
		Root: conf.Root, ID: id, Bundle: bundle, Config: cfg,
		BootFlags: conf.Flags(), PidFile: pidFile,
		Cgroup: cg, Resources: specutil.Resources(spec), Hooks: specutil.Hooks(spec),
		NetNS: specutil.NSPath(spec, specs.NetworkNamespace), IPCNS: specutil.NSPath(spec, specs.IPCNamespace),
		UTSNS: specutil.NSPath(spec, specs.UTSNamespace), CgroupNS: specutil.NewCgroupNS(spec), Log: conf.OpenRuntimeLog(),
		Rootless: conf.IsRootless(),
	}
	if cfg.Joins() {
		// The sandbox's cgroup and limits are the pod's (docs/architecture.md).
		if cg != nil {
			conf.OpenRuntimeLog().Debugf("container %s: joins container %s's sandbox; its cgroup %s and resources are not applied", id, cfg.SandboxID, cg.Path)
		}
		o.Cgroup, o.Resources = nil, cgroup.Resources{}
		stderr, err := goferLog(conf)
		if err != nil {
			return nil, nil, err
		}
		defer stderr.Close()
		o.GoferStderr = stderr
	}
	if spec.Process.Terminal {
		slave, err := newConsole(consoleSocket, cfg.ConsoleRows, cfg.ConsoleCols)
		if err != nil {
			return nil, nil, err
		}
		defer slave.Close()
		o.Stdio, o.Console = [3]*os.File{slave, slave, slave}, true
	}
	return container.Create(o)
}

// goferLog opens what a joining container's gofer writes its errors to: --log in text
// format, else /dev/null (not the container's stderr, which it would hold open after the
// container's end; and not a JSON log, whose readers expect one JSON object a line).
func goferLog(conf *config.Config) (*os.File, error) {
	if conf.Log != "" && conf.LogFormat != "json" {
		if f, err := os.OpenFile(conf.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			return f, nil
		}
	}
	return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
}

// newConsole makes the container's host pty, sized rows x cols if given, sends its master
// to the console socket (runc's protocol) and returns its slave, the sandbox's stdio.
func newConsole(socket string, rows, cols uint16) (*os.File, error) {
	slave, _, err := console.Open(socket, rows, cols, nil, nil, nil)
	return slave, err
}

// logUnsupported notes, with --debug, what the sentry does not honour yet.
func logUnsupported(conf *config.Config, cfg *boot.ContainerConfig) {
	l := conf.OpenRuntimeLog()
	if conf.SystemdCgroup {
		l.Debugf("--systemd-cgroup: linux.cgroupsPath is slice:prefix:name, made into a directory path without asking systemd")
	}
}

// checkBindMounts refuses bind mounts whose source does not exist, and drops (with a debug
// note) those of anything but a directory or a regular file (the gofer serves those two:
// a device or socket is never served).
func checkBindMounts(conf *config.Config, cfg *boot.ContainerConfig) error {
	var keep []boot.Mount
	for i, m := range cfg.Mounts {
		if m.IsBind() {
			st, err := os.Stat(m.Source)
			if err != nil {
				return fmt.Errorf("config.json: mounts[%d] (%s): bind source %q: %w", i, m.Destination, m.Source, errors.Unwrap(err))
			}
			if !st.IsDir() && !st.Mode().IsRegular() {
				conf.OpenRuntimeLog().Debugf("container %s: bind mount of %s on %s (not a directory or regular file) is not supported; skipped", cfg.ID, m.Source, m.Destination)
				continue
			}
		}
		keep = append(keep, m)
	}
	cfg.Mounts = keep
	return nil
}

// oneID returns the one positional argument, the container id.
func oneID(f *flag.FlagSet, cmd string) (string, bool) {
	if f.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "runsc: %s: expected exactly one container id, got %d arguments\n", cmd, f.NArg())
		return "", false
	}
	return f.Arg(0), true
}
