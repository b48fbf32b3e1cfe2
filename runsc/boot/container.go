package boot

import (
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/runsc/control"
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
	// Overlay puts a writable in-memory layer over the root, which the gofer then serves
	// read-only (--overlay=root:memory, the default); without it the root is the gofer's
	// directly, writable unless RootReadonly. runsc create sets it from its flags, so that
	// the gofer and the sandbox agree.
	Overlay bool `json:"overlay,omitempty"`

	// Args, Env and Cwd describe the init process.
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	Cwd  string   `json:"cwd"`
	// UID, GID and AdditionalGIDs are init's credentials.
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGIDs []uint32 `json:"additionalGids,omitempty"`
	// Caps are init's capability sets (nil: by uid).
	Caps *control.CapSets `json:"caps,omitempty"`
	// Umask is init's umask (nil: 022).
	Umask *uint32 `json:"umask,omitempty"`
	// Rlimits are init's resource limits.
	Rlimits []Rlimit `json:"rlimits,omitempty"`
	// NoNewPrivileges is process.noNewPrivileges.
	NoNewPrivileges bool `json:"noNewPrivileges,omitempty"`
	// OOMScoreAdj is process.oomScoreAdj (0 if unset).
	OOMScoreAdj int32 `json:"oomScoreAdj,omitempty"`

	// Terminal is process.terminal: the sandbox's standard descriptors are the host
	// console (a pty slave) and init gets a terminal of the sentry's (console.go).
	Terminal bool `json:"terminal,omitempty"`
	// ConsoleRows and ConsoleCols are process.consoleSize (0: the host console's size).
	ConsoleRows uint16 `json:"consoleRows,omitempty"`
	ConsoleCols uint16 `json:"consoleCols,omitempty"`

	// Hostname is the UTS hostname (empty: the sentry's default).
	Hostname string `json:"hostname,omitempty"`
	// Domainname is the NIS domain name (empty: the sentry's default).
	Domainname string `json:"domainname,omitempty"`
	// Mounts are the spec's mounts, in order.
	Mounts []Mount `json:"mounts,omitempty"`
	// Devices are linux.devices, made in /dev.
	Devices []Device `json:"devices,omitempty"`
	// ReadonlyPaths and MaskedPaths are linux.readonlyPaths and linux.maskedPaths.
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	// RootPropagation is linux.rootfsPropagation.
	RootPropagation string `json:"rootPropagation,omitempty"`
	// Annotations are the spec's annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// MemoryLimit is linux.resources.memory.limit (0: none): the sentry's memory file is
	// capped at it and /proc/meminfo reports it as the total.
	MemoryLimit uint64 `json:"memoryLimit,omitempty"`
	// PidsLimit is linux.resources.pids.limit (0: none): the sentry refuses a new task
	// beyond it (the host cgroup's pids.max would count the sandbox's own threads).
	PidsLimit int64 `json:"pidsLimit,omitempty"`

	// ContainerType is the CRI annotations' container type: ContainerTypeSandbox (or
	// empty: a container of its own) starts a sandbox; ContainerTypeContainer joins the
	// sandbox of container SandboxID (containers.go).
	ContainerType string `json:"containerType,omitempty"`
	SandboxID     string `json:"sandboxId,omitempty"`
	// SharesPIDNamespace is set for a joining container whose linux.namespaces has a pid
	// entry with a path (the sandbox's: Kubernetes' shareProcessNamespace): its processes
	// are in the sandbox's pid namespace. Without it, a joining container's init is pid
	// 1 of a namespace of its own (containers.go).
	SharesPIDNamespace bool `json:"sharesPidNamespace,omitempty"`

	// UIDMappings and GIDMappings are linux.uidMappings and linux.gidMappings of a
	// container whose linux.namespaces asks for a new user namespace (empty: none). The
	// gofer, the one process that touches the container's files, runs in a user namespace
	// with these mappings, so that the container sees host files with its own ids and the
	// files it makes belong to the mapped host ids, as under runc; the sandbox runs in a
	// user namespace of its own (docs/security.md, "User namespaces").
	UIDMappings []IDMap `json:"uidMappings,omitempty"`
	GIDMappings []IDMap `json:"gidMappings,omitempty"`
}

// IDMap maps Size ids from ContainerID in a user namespace to HostID outside it (a line
// of /proc/PID/uid_map).
type IDMap struct {
	ContainerID uint32 `json:"containerId"`
	HostID      uint32 `json:"hostId"`
	Size        uint32 `json:"size"`
}

// UserNamespace reports whether the container has a user namespace of its own.
func (c *ContainerConfig) UserNamespace() bool { return len(c.UIDMappings) > 0 }

// The container types of the CRI annotations.
const (
	ContainerTypeSandbox   = "sandbox"
	ContainerTypeContainer = "container"
)

// Joins reports whether the container joins an existing sandbox.
func (c *ContainerConfig) Joins() bool { return c.ContainerType == ContainerTypeContainer }

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

// hasOption reports whether the mount has option o.
func (m *Mount) hasOption(o string) bool {
	for _, x := range m.Options {
		if x == o {
			return true
		}
	}
	return false
}

// IsBind reports whether m is a bind mount (type "bind", or a "bind"/"rbind" option).
func (m *Mount) IsBind() bool {
	return m.Type == "bind" || m.hasOption("bind") || m.hasOption("rbind")
}

// ReadOnly reports whether m has the "ro" option (the last of ro/rw wins).
func (m *Mount) ReadOnly() bool {
	ro := false
	for _, x := range m.Options {
		switch x {
		case "ro":
			ro = true
		case "rw":
			ro = false
		}
	}
	return ro
}

// Options returns the kernel options for the container's sandbox.
func (c *ContainerConfig) Options() Options {
	o := Options{UID: c.UID, GID: c.GID, Groups: c.AdditionalGIDs, Hostname: c.Hostname, Domainname: c.Domainname, MemoryLimit: c.MemoryLimit, PidsLimit: c.PidsLimit, Caps: KernelCaps(c.Caps), NoNewPrivs: c.NoNewPrivileges, OOMScoreAdj: c.OOMScoreAdj,
		UIDMap: kernelIDMap(c.UIDMappings), GIDMap: kernelIDMap(c.GIDMappings)}
	if len(c.Rlimits) > 0 {
		o.Rlimits = make(map[int]kernel.Rlimit, len(c.Rlimits))
		for _, r := range c.Rlimits {
			o.Rlimits[r.Resource] = kernel.Rlimit{Cur: r.Cur, Max: r.Max}
		}
	}
	return o
}

// RootFS returns the container's root filesystem description, served by gofer g.
func (c *ContainerConfig) RootFS(g *client.Client) RootFS {
	return RootFS{
		Gofer: g, Overlay: c.Overlay, Container: true, Mounts: c.Mounts, ReadOnly: c.RootReadonly,
		Devices: c.Devices, ReadonlyPaths: c.ReadonlyPaths, MaskedPaths: c.MaskedPaths,
		RootPropagation: c.RootPropagation,
		Cwd:             c.Cwd, Umask: c.Umask, UID: c.UID, GID: c.GID, Groups: c.AdditionalGIDs,
		Caps: KernelCaps(c.Caps),
	}
}

// kernelIDMap converts id mappings for the kernel's /proc/PID/uid_map and gid_map.
func kernelIDMap(ms []IDMap) []kernel.IDMapEntry {
	var out []kernel.IDMapEntry
	for _, m := range ms {
		out = append(out, kernel.IDMapEntry{Inside: m.ContainerID, Outside: m.HostID, Count: m.Size})
	}
	return out
}
