package cmd

import (
	"context"
	"errors"
	"flag"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// Delete implements `runsc delete`: remove a container and its state.
type Delete struct {
	Conf  *config.Config
	force bool
}

func (*Delete) Name() string     { return "delete" }
func (*Delete) Synopsis() string { return "delete a container and its state" }
func (*Delete) Usage() string {
	return `delete [--force] CONTAINER_ID

Deletes a stopped (or created) container. --force also deletes a running one, killing its
processes first. Deleting a container that does not exist fails, unless --force.
`
}
func (d *Delete) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&d.force, "force", false, "kill the container if it runs, and ignore a missing container")
	f.BoolVar(&d.force, "f", false, "short for --force")
}

func (d *Delete) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "delete")
	if !ok {
		return subcommands.ExitUsageError
	}
	c, err := container.Load(d.Conf.Root, id, true)
	if err == nil {
		c.SetLog(d.Conf.OpenRuntimeLog())
	}
	if err != nil {
		var ne *container.NotExistError
		if d.force && errors.As(err, &ne) {
			return subcommands.ExitSuccess
		}
		return fail("delete: %v", err)
	}
	if err := c.Delete(d.force); err != nil {
		return fail("delete: %v", err)
	}
	return subcommands.ExitSuccess
}
