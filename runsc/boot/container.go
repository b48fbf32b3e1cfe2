package boot

import (
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// ContainerConfig is everything the sandbox process needs to know about a container. It is
// runsc's own form of the OCI spec: runsc/specutil builds it from config.json (the only
// place that reads specs.Spec), `runsc create` hands it to `runsc boot` as JSON, and the
// sentry is configured from it. Fields the sentry cannot honour yet are carried so that
// they are visible in one place (and logged with --debug) rather than silently lost.
type ContainerConfig struct {
	// ID is the container id.
	ID string `json:"id"`
	// Root is the absolute host path of the container's root filesystem.
	Root string `json:"root"`
	// RootReadonly is the spec's root.readonly.
	RootReadonly bool `json:"rootReadonly,omitempty"`

	// Args, Env and Cwd describe the init process.
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	Cwd  string   `json:"cwd"`
	// UID, GID and AdditionalGIDs are init's credentials.
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGIDs []uint32 `json:"additionalGids,omitempty"`
	// Rlimits are init's resource limits.
	Rlimits []Rlimit `json:"rlimits,omitempty"`
	// NoNewPrivileges is process.noNewPrivileges.
	NoNewPrivileges bool `json:"noNewPrivileges,omitempty"`

	// Hostname is the UTS hostname (empty: the sentry's default).
	Hostname string `json:"hostname,omitempty"`
	// Mounts are the spec's mounts, in order.
	Mounts []Mount `json:"mounts,omitempty"`
	// Annotations are the spec's annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Rlimit is one resource limit; Resource is the Linux RLIMIT_* number.
type Rlimit struct {
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}

// Mount is one entry of the spec's mounts.
type Mount struct {
	Destination string   `json:"destination"`
	Type        string   `json:"type,omitempty"`
	Source      string   `json:"source,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// Options returns the kernel options for the container's sandbox.
func (c *ContainerConfig) Options() Options {
	o := Options{UID: c.UID, GID: c.GID, Hostname: c.Hostname}
	if len(c.Rlimits) > 0 {
		o.Rlimits = make(map[int]kernel.Rlimit, len(c.Rlimits))
		for _, r := range c.Rlimits {
			o.Rlimits[r.Resource] = kernel.Rlimit{Cur: r.Cur, Max: r.Max}
		}
	}
	return o
}
