package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/google/subcommands"

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
The environment is passed through unchanged. This milestone runs statically linked
executables; dynamic ones need the filesystem layer.
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
	path, err := resolve(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", err)
		return 127
	}
	exe, err := openExecutable(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", err)
		return 126
	}
	defer exe.Close()
	status, err := boot.Run(conf, boot.Args{Executable: exe, Path: path, Argv: argv, Envv: os.Environ()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: do: %v\n", oneLine(err))
		return 126
	}
	return subcommands.ExitStatus(status.ShellCode())
}

// resolve finds cmd on PATH when it has no slash, as execvp does.
func resolve(cmd string) (string, error) {
	if strings.Contains(cmd, "/") {
		if _, err := os.Stat(cmd); err != nil {
			return "", fmt.Errorf("%s: %w", cmd, unwrapPathError(err))
		}
		return cmd, nil
	}
	p, err := exec.LookPath(cmd)
	if err != nil {
		return "", fmt.Errorf("%s: command not found", cmd)
	}
	return p, nil
}

// openExecutable opens path and checks that it is a regular, executable file.
func openExecutable(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("%s: permission denied (not executable)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	return f, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneLine keeps an error message to one line.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
