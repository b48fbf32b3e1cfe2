package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/config"
)

// Do implements `runsc do`: run a command sandboxed, with no bundle.
type Do struct {
	// Conf is the global configuration; do's own flags update it.
	Conf *config.Config
}

func (*Do) Name() string     { return "do" }
func (*Do) Synopsis() string { return "run a command in a new sandbox, with no OCI bundle" }
func (*Do) Usage() string {
	return `do [flags] CMD [ARG...]

Runs CMD in a new sandbox and exits with its exit code (128+N if a signal N killed it).
The environment is passed through unchanged. The sandbox sees the host's root directory
read-only, served by a separate gofer process, under a writable in-memory overlay: the
program may change files, and nothing it writes reaches the host. /dev is the sandbox's
own, and /tmp a fresh tmpfs when the host's is empty. CMD is found and opened inside the
sandbox (PATH search included).
`
}
func (d *Do) SetFlags(f *flag.FlagSet) { d.Conf.RegisterSandboxFlags(f) }

// Execute implements subcommands.Command.
func (d *Do) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf := d.Conf
	if err := conf.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", err)
		return subcommands.ExitUsageError
	}
	if f.NArg() < 1 {
		fmt.Fprint(os.Stderr, "runsc: do: missing command\nusage: runsc "+(&Do{}).Usage())
		return subcommands.ExitUsageError
	}
	argv := f.Args()
	// The host root is served by a separate gofer process and seen through an overlay whose
	// upper layer is in memory; the program is found and opened inside the sandbox (PATH
	// search included), so this process opens no host file on the program's behalf.
	g, err := startGofer("/", conf.IsRootless())
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", oneLine(err))
		return subcommands.ExitFailure
	}
	defer g.Stop()
	cwd, _ := os.Getwd()
	// The program runs as the caller; rootless, as 0, which the gofer's user namespace
	// maps the caller's files to (as `unshare -r` would show them).
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	if conf.IsRootless() {
		uid, gid = 0, 0
	}
	status, err := boot.Run(conf, boot.Args{Path: argv[0], Argv: argv, Envv: os.Environ(), Root: boot.RootFS{
		Gofer: g.Client, Overlay: conf.Overlay != config.OverlayNone, Cwd: cwd, UID: uid, GID: gid,
	}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", oneLine(err))
		if errors.Is(err, boot.ErrCommandNotFound) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return 127
		}
		return 126
	}
	return subcommands.ExitStatus(status.ShellCode())
}

// oneLine keeps an error message to one line.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
