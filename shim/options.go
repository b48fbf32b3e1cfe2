//go:build linux

package main

import (
	"fmt"

	"github.com/containerd/containerd/api/types/runc/options"
	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/typeurl/v2"
)

// runcOptions returns the runc options that the runtime options a hold. containerd sends
// runc's options (ctr run, Docker, a CRI handler of runc's type), or runtimeoptions.Options
// (ctr --runtime-config-path sets ConfigPath; a CRI handler of another type with an options
// table gets that table, TOML-encoded, as ConfigBody): a configuration, which runsc does
// not read yet, so one that carries either is refused by name; an empty one is the same as
// no options. (The import of runtimeoptions registers its type: without it the refusal
// would be typeurl's "not found".)
func runcOptions(a typeurl.Any) (*options.Options, error) {
	v, err := typeurl.UnmarshalAny(a)
	if err != nil {
		return nil, fmt.Errorf("runsc shim: reading runtime options: %w", err)
	}
	switch o := v.(type) {
	case *options.Options:
		return o, nil
	case *runtimeoptions.Options:
		if o.GetConfigPath() != "" || len(o.GetConfigBody()) != 0 {
			return nil, fmt.Errorf("runsc shim: runtime options carry a runsc configuration (ConfigPath %q, ConfigBody of %d bytes: ctr --runtime-config-path, or a CRI handler's options table): not supported, runsc reads no configuration; give runc options or none", o.GetConfigPath(), len(o.GetConfigBody()))
		}
		return &options.Options{}, nil
	default:
		return nil, fmt.Errorf("runsc shim: runtime options of type %T, want runc options", v)
	}
}
