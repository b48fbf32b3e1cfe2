package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// Start implements `runsc start`: run a created container's process.
type Start struct {
	Conf *config.Config
}

func (*Start) Name() string     { return "start" }
func (*Start) Synopsis() string { return "start a created container" }
func (*Start) Usage() string {
	return "start CONTAINER_ID\n\nRuns the process of a container made by \"runsc create\".\n"
}
func (*Start) SetFlags(*flag.FlagSet) {}

func (s *Start) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "start")
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(s.Conf.Root, id, true)
	if err == nil {
		c.SetLog(s.Conf.OpenRuntimeLog())
	}
	if err != nil {
		return fail("start: %v", err)
	}
	defer c.Close()
	if err := c.Start(); err != nil {
		return fail("start: %v", err)
	}
	return subcommands.ExitSuccess
}
