package cmd

import (
	"context"
	"flag"
	"os"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// WaitJoined implements `runsc wait-joined`, the waiter of a container that joined another
// container's sandbox (runsc/container/join.go): the host process whose pid and exit status
// stand for the container's init. Started by `runsc create`, with its readiness pipe as
// descriptor 3.
type WaitJoined struct {
	Conf    *config.Config
	sandbox string
}

func (*WaitJoined) Name() string { return container.WaiterCommand }
func (*WaitJoined) Synopsis() string {
	return "the host process of a container in a pod's sandbox (started by create; not for direct use)"
}
func (*WaitJoined) Usage() string {
	return container.WaiterCommand + " --sandbox SANDBOX_ID CONTAINER_ID (started by runsc create, with descriptor 3)\n"
}
func (w *WaitJoined) SetFlags(f *flag.FlagSet) {
	f.StringVar(&w.sandbox, "sandbox", "", "the id of the container whose sandbox the container joined")
}

func (w *WaitJoined) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	ready := os.NewFile(3, "ready")
	if f.NArg() != 1 || w.sandbox == "" || ready == nil {
		return fail("%s: for internal use by runsc create", container.WaiterCommand)
	}
	e := container.RunWaiter(w.Conf.Root, f.Arg(0), w.sandbox, ready)
	return subcommands.ExitStatus(e.ShellCode())
}
