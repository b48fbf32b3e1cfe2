//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/api/types/runc/options"
	"github.com/containerd/containerd/v2/pkg/protobuf/proto"
	ptypes "github.com/containerd/containerd/v2/pkg/protobuf/types"
	"github.com/containerd/containerd/v2/pkg/shim"
	"github.com/containerd/typeurl/v2"
)

// runscManager is containerd's runc shim manager with runsc as the default binary of its
// -info request too: the runc manager's Info runs `BINARY features` with BINARY the
// options' BinaryName, else "runc", so without this `containerd-shim-runsc-v1 -info`
// would describe the host's runc.
type runscManager struct {
	shim.Manager
	binary string
}

// Info fills in BinaryName in the options read from r (containerd writes them to the
// shim's stdin; none is the same as empty options), then hands over.
func (m runscManager) Info(ctx context.Context, r io.Reader) (*types.RuntimeInfo, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("runsc shim: reading runtime options: %w", err)
	}
	data, err = infoOptions(data, m.binary)
	if err != nil {
		return nil, err
	}
	return m.Manager.Info(ctx, bytes.NewReader(data))
}

// infoOptions returns the serialized runtime options data (a protobuf Any holding runc
// options, or nothing) with BinaryName set to binary unless it names one already.
func infoOptions(data []byte, binary string) ([]byte, error) {
	opts := &options.Options{}
	if len(data) > 0 {
		var a ptypes.Any
		if err := proto.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("runsc shim: reading runtime options: %w", err)
		}
		o, err := runcOptions(&a)
		if err != nil {
			return nil, err
		}
		if o.BinaryName != "" {
			return data, nil
		}
		opts = o
	}
	opts.BinaryName = binary
	a, err := typeurl.MarshalAnyToProto(opts)
	if err != nil {
		return nil, fmt.Errorf("runsc shim: writing runtime options: %w", err)
	}
	return proto.Marshal(a)
}
