//go:build linux

// Command containerd-shim-runsc-v1 is the containerd shim for Stockade: containerd starts it
// for `--runtime io.containerd.runsc.v1` and talks to it over the task API (ttrpc).
//
// It is containerd's own runc shim (manager and task service, from containerd's module) with
// one change: the OCI runtime binary defaults to runsc instead of runc. Every task call
// therefore becomes a runsc CLI call (create --console-socket/--pid-file, start, exec
// --detach, kill, delete, state, ps, pause/resume, events --stats, update), and the shim
// reaps the pids runsc writes to its pid files to learn exit statuses. Writing our own task
// service would duplicate the delicate parts (I/O copying, subreaper exit bookkeeping, the
// bootstrap protocol) that containerd's library already gets right.
//
// Which runsc: a runtime option BinaryName given by the client (ctr --runc-binary, or
// containerd's runtime config) wins; otherwise a runsc next to this executable (as `make
// shim` lays them out in bin/); otherwise "runsc" looked up on PATH.
package main

import (
	"context"

	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/manager"
	"github.com/containerd/containerd/v2/pkg/shim"
)

// runtimeName is the name containerd knows this shim by: io.containerd.runsc.v1 resolves
// to the binary containerd-shim-runsc-v1 on containerd's PATH.
const runtimeName = "io.containerd.runsc.v1"

func main() {
	shim.Run(context.Background(), runscManager{Manager: manager.NewShimManager(runtimeName), binary: defaultBinary()})
}
