//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v3"
	"github.com/containerd/containerd/api/types/runc/options"
	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/task"
	"github.com/containerd/containerd/v2/pkg/shim"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/containerd/v2/plugins"
	"github.com/containerd/plugin"
	"github.com/containerd/plugin/registry"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl/v2"
)

// The task plugin registered here replaces containerd's task/plugin package (which this
// command does not import): same service, wrapped so that Create names runsc.
func init() {
	registry.Register(&plugin.Registration{
		Type:     plugins.TTRPCPlugin,
		ID:       "task",
		Requires: []plugin.Type{plugins.EventPlugin, plugins.InternalPlugin},
		InitFn: func(ic *plugin.InitContext) (interface{}, error) {
			pp, err := ic.GetByID(plugins.EventPlugin, "publisher")
			if err != nil {
				return nil, err
			}
			ss, err := ic.GetByID(plugins.InternalPlugin, "shutdown")
			if err != nil {
				return nil, err
			}
			inner, err := task.NewTaskService(ic.Context, pp.(shim.Publisher), ss.(shutdown.Service))
			if err != nil {
				return nil, err
			}
			return &runscTask{TTRPCTaskService: inner, binary: defaultBinary()}, nil
		},
	})
}

// runscTask is containerd's runc task service with runsc as the default runtime binary.
// Only Create changes: the runc shim records the binary name in the bundle (options.json),
// and every later call (exec, kill, delete, and the `shim delete` cleanup) reads it there.
type runscTask struct {
	taskAPI.TTRPCTaskService
	binary string
}

// RegisterTTRPC registers the wrapper (not the inner service) so that its Create is served.
func (t *runscTask) RegisterTTRPC(server *ttrpc.Server) error {
	taskAPI.RegisterTTRPCTaskService(server, t)
	return nil
}

// Create fills in BinaryName when the client named none, then hands over.
func (t *runscTask) Create(ctx context.Context, r *taskAPI.CreateTaskRequest) (*taskAPI.CreateTaskResponse, error) {
	if err := withBinary(r, t.binary); err != nil {
		return nil, err
	}
	return t.TTRPCTaskService.Create(ctx, r)
}

// withBinary sets the runc options' BinaryName in r to binary unless the client set one.
func withBinary(r *taskAPI.CreateTaskRequest, binary string) error {
	opts := &options.Options{}
	if r.Options != nil && r.Options.GetValue() != nil {
		o, err := runcOptions(r.Options)
		if err != nil {
			return err
		}
		opts = o
	}
	if opts.BinaryName != "" {
		return nil
	}
	opts.BinaryName = binary
	a, err := typeurl.MarshalAnyToProto(opts)
	if err != nil {
		return fmt.Errorf("runsc shim: writing runtime options: %w", err)
	}
	r.Options = a
	return nil
}

// defaultBinary is the runsc beside this executable when there is one, else "runsc" (found
// on PATH by the runc library when it runs it).
func defaultBinary() string {
	self, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(self), "runsc")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return "runsc"
}
