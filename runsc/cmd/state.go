package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// State implements `runsc state`: print a container's state as JSON, as runc does.
type State struct {
	Conf *config.Config
}

func (*State) Name() string     { return "state" }
func (*State) Synopsis() string { return "print a container's state as JSON" }
func (*State) Usage() string {
	return `state CONTAINER_ID

Prints the OCI state (ociVersion, id, pid, status, bundle, rootfs, created, owner,
annotations) and, once the container has stopped, exitCode (128+N for signal N) and
exitSignal.
`
}
func (*State) SetFlags(*flag.FlagSet) {}

func (s *State) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "state")
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(s.Conf.Root, id, false)
	if err != nil {
		return fail("state: %v", err)
	}
	c.Close()
	data, err := json.MarshalIndent(c.OCIState(SpecVersion), "", "  ")
	if err != nil {
		return fail("state: %v", err)
	}
	os.Stdout.Write(append(data, '\n'))
	return subcommands.ExitSuccess
}
