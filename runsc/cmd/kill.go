package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// Kill implements `runsc kill`: send a signal to a container's init.
type Kill struct {
	Conf *config.Config
	all  bool
}

func (*Kill) Name() string     { return "kill" }
func (*Kill) Synopsis() string { return "send a signal to a container's process" }
func (*Kill) Usage() string {
	return `kill [--all] CONTAINER_ID [SIGNAL]

SIGNAL is a name (TERM, SIGTERM, term) or a number; the default is SIGTERM. Signal 0 only
checks that the container runs.
`
}
func (k *Kill) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&k.all, "all", false, "send the signal to every process of the container")
	f.BoolVar(&k.all, "a", false, "short for --all")
}

func (k *Kill) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() < 1 || f.NArg() > 2 {
		fmt.Fprintf(os.Stderr, "runsc: kill: expected CONTAINER_ID [SIGNAL], got %d arguments\n", f.NArg())
		return subcommands.ExitUsageError
	}
	sig := unix.SIGTERM
	if f.NArg() == 2 {
		var err error
		if sig, err = ParseSignal(f.Arg(1)); err != nil {
			return fail("kill: %v", err)
		}
	}
	c, err := container.Load(k.Conf.Root, f.Arg(0), false)
	if err != nil {
		return fail("kill: %v", err)
	}
	defer c.Close()
	if err := c.Signal(sig, k.all); err != nil {
		return fail("kill: %v", err)
	}
	return subcommands.ExitSuccess
}

// ParseSignal parses a signal number or name (with or without "SIG", any case).
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal number %d", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
