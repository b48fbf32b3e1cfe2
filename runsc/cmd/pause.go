package cmd

import (
	"context"
	"flag"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// Pause implements `runsc pause`: freeze every process of a container.
type Pause struct {
	Conf *config.Config
}

func (*Pause) Name() string     { return "pause" }
func (*Pause) Synopsis() string { return "pause suspends all processes inside the container" }
func (*Pause) Usage() string {
	return `pause <container-id>

Suspends every process of a running container: no application code runs until "runsc
resume" (signals sent meanwhile are held; SIGKILL still kills). The status is "paused".
`
}
func (*Pause) SetFlags(*flag.FlagSet) {}

func (p *Pause) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "pause")
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(p.Conf.Root, id, true)
	if err != nil {
		return fail("pause: %v", err)
	}
	defer c.Close()
	if err := c.Pause(); err != nil {
		return fail("pause: %v", err)
	}
	return subcommands.ExitSuccess
}

// Resume implements `runsc resume`: thaw a paused container.
type Resume struct {
	Conf *config.Config
}

func (*Resume) Name() string     { return "resume" }
func (*Resume) Synopsis() string { return "resumes all processes that have been previously paused" }
func (*Resume) Usage() string {
	return "resume <container-id>\n\nResumes every process of a container \"runsc pause\" suspended.\n"
}
func (*Resume) SetFlags(*flag.FlagSet) {}

func (r *Resume) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "resume")
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(r.Conf.Root, id, true)
	if err != nil {
		return fail("resume: %v", err)
	}
	defer c.Close()
	if err := c.Resume(); err != nil {
		return fail("resume: %v", err)
	}
	return subcommands.ExitSuccess
}
