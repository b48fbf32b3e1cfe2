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

// Wait implements `runsc wait`: wait for a container's process to exit.
type Wait struct {
	Conf *config.Config
}

func (*Wait) Name() string     { return "wait" }
func (*Wait) Synopsis() string { return "wait for a container's process to exit" }
func (*Wait) Usage() string {
	return `wait CONTAINER_ID

Waits until the container's process has exited (it may not have started yet), prints
{"id":ID,"exitStatus":N} and exits with N, the exit code (128+S if signal S killed it).
`
}
func (*Wait) SetFlags(*flag.FlagSet) {}

func (w *Wait) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "wait")
	if !ok {
		return subcommands.ExitUsageError
	}
	e, err := container.Wait(w.Conf.Root, id)
	if err != nil {
		return fail("wait: %v", err)
	}
	json.NewEncoder(os.Stdout).Encode(struct {
		ID         string `json:"id"`
		ExitStatus int    `json:"exitStatus"`
	}{id, e.ShellCode()})
	return subcommands.ExitStatus(e.ShellCode())
}
