// Package specutil is where runsc reads OCI bundles: it loads and validates config.json and
// converts the spec into boot.ContainerConfig, runsc's own description of a container. It is
// the only package that imports runtime-spec (the sentry never sees specs.Spec).
//
// Every error names the problem and the field, in one line, so that `runsc create` can
// print it as is.
package specutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/boot"
)

// ConfigName is the name of the spec file in a bundle.
const ConfigName = "config.json"

// Load reads and validates bundle/config.json. bundle must be absolute.
func Load(bundle string) (*specs.Spec, error) {
	name := filepath.Join(bundle, ConfigName)
	data, err := os.ReadFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Say which is missing: the bundle itself or only its config.json.
			if _, serr := os.Stat(bundle); errors.Is(serr, fs.ErrNotExist) {
				return nil, fmt.Errorf("bundle %s does not exist", bundle)
			}
			return nil, fmt.Errorf("bundle %s has no %s", bundle, ConfigName)
		}
		return nil, fmt.Errorf("reading %s: %w", name, unwrapPathError(err))
	}
	spec, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(spec, bundle); err != nil {
		return nil, err
	}
	return spec, nil
}

// Parse decodes config.json's content. Syntax and type errors say where they are.
func Parse(data []byte) (*specs.Spec, error) {
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(data, se.Offset)
			return nil, fmt.Errorf("%s: malformed JSON at line %d, column %d (offset %d): %s", ConfigName, line, col, se.Offset, se.Error())
		case errors.As(err, &te):
			line, col := position(data, te.Offset)
			field := te.Field
			if field == "" {
				field = "the document"
			}
			return nil, fmt.Errorf("%s: line %d, column %d: %s is a JSON %s, want %s", ConfigName, line, col, field, te.Value, te.Type)
		default:
			return nil, fmt.Errorf("%s: %w", ConfigName, err)
		}
	}
	// The pre-1.0 "platform" object is gone from specs.Spec, but a bundle for another
	// platform should still be refused by name.
	var legacy struct {
		Platform *struct {
			OS   string `json:"os"`
			Arch string `json:"arch"`
		} `json:"platform"`
	}
	if json.Unmarshal(data, &legacy) == nil && legacy.Platform != nil {
		if os := legacy.Platform.OS; os != "" && os != "linux" {
			return nil, fmt.Errorf("%s: platform.os is %q: runsc runs only linux containers", ConfigName, os)
		}
		if a := legacy.Platform.Arch; a != "" && a != runtime.GOARCH {
			return nil, fmt.Errorf("%s: platform.arch is %q: this runsc runs only %s containers", ConfigName, a, runtime.GOARCH)
		}
	}
	return &spec, nil
}

// position converts a byte offset in data into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// namespaceTypes are the namespace types the spec defines.
var namespaceTypes = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// Validate checks what runsc needs of a spec. bundle is the absolute bundle directory.
func Validate(spec *specs.Spec, bundle string) error {
	if v := spec.Version; v != "" && !strings.HasPrefix(v, "1.") {
		return fmt.Errorf("%s: unsupported ociVersion %q (runsc implements 1.x)", ConfigName, v)
	}
	for name, set := range map[string]bool{
		"windows": spec.Windows != nil, "solaris": spec.Solaris != nil, "vm": spec.VM != nil,
		"zos": spec.ZOS != nil, "freebsd": spec.FreeBSD != nil,
	} {
		if set && spec.Linux == nil {
			return fmt.Errorf("%s: the spec is for %s (it has a %q section and no \"linux\"): runsc runs only linux containers", ConfigName, name, name)
		}
	}
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("unsupported host architecture %s: runsc runs only on amd64", runtime.GOARCH)
	}
	if l := spec.Linux; l != nil && l.RootfsPropagation != "" && !boot.IsPropagation(l.RootfsPropagation) {
		return fmt.Errorf("%s: linux.rootfsPropagation %q is not a propagation type ([r]shared, [r]slave, [r]private, [r]unbindable)", ConfigName, l.RootfsPropagation)
	}
	if spec.Linux != nil && spec.Linux.Seccomp != nil && len(spec.Linux.Seccomp.Architectures) > 0 {
		ok := false
		for _, a := range spec.Linux.Seccomp.Architectures {
			ok = ok || a == specs.ArchX86_64
		}
		if !ok {
			return fmt.Errorf("%s: linux.seccomp.architectures %v does not include %s: runsc runs only x86-64 programs", ConfigName, spec.Linux.Seccomp.Architectures, specs.ArchX86_64)
		}
	}

	// process
	p := spec.Process
	if p == nil {
		return fmt.Errorf("%s: \"process\" is missing (it says what the container runs)", ConfigName)
	}
	if len(p.Args) == 0 {
		return fmt.Errorf("%s: \"process.args\" is missing or empty", ConfigName)
	}
	if p.Args[0] == "" {
		return fmt.Errorf("%s: \"process.args[0]\" is empty", ConfigName)
	}
	if !filepath.IsAbs(p.Cwd) {
		if p.Cwd == "" {
			return fmt.Errorf("%s: \"process.cwd\" is missing (it must be an absolute path)", ConfigName)
		}
		return fmt.Errorf("%s: \"process.cwd\" %q must be an absolute path", ConfigName, p.Cwd)
	}
	for i, kv := range p.Env {
		if !strings.Contains(kv, "=") {
			return fmt.Errorf("%s: \"process.env[%d]\" %q is not of the form NAME=VALUE", ConfigName, i, kv)
		}
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		if _, ok := rlimitNumbers[r.Type]; !ok {
			return fmt.Errorf("%s: \"process.rlimits[%d]\": unknown rlimit type %q", ConfigName, i, r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("%s: \"process.rlimits[%d]\": %s is set twice", ConfigName, i, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("%s: \"process.rlimits[%d]\": %s soft limit %d is above the hard limit %d", ConfigName, i, r.Type, r.Soft, r.Hard)
		}
	}

	// root
	if spec.Root == nil || spec.Root.Path == "" {
		return fmt.Errorf("%s: \"root.path\" is missing", ConfigName)
	}
	root := RootPath(spec, bundle)
	st, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: root.path %q: %s does not exist", ConfigName, spec.Root.Path, root)
		}
		return fmt.Errorf("%s: root.path %q: %w", ConfigName, spec.Root.Path, unwrapPathError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: root.path %q: %s is not a directory", ConfigName, spec.Root.Path, root)
	}

	// mounts
	for i, m := range spec.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("%s: \"mounts[%d].destination\" %q must be an absolute path", ConfigName, i, m.Destination)
		}
	}

	typ, _, err := PodRole(spec)
	if err != nil {
		return err
	}
	joining := typ == boot.ContainerTypeContainer

	// linux
	uts := false
	if l := spec.Linux; l != nil {
		seenNS := map[specs.LinuxNamespaceType]bool{}
		for i, ns := range l.Namespaces {
			if !namespaceTypes[ns.Type] {
				return fmt.Errorf("%s: \"linux.namespaces[%d]\": unknown namespace type %q", ConfigName, i, ns.Type)
			}
			if seenNS[ns.Type] {
				return fmt.Errorf("%s: \"linux.namespaces[%d]\": namespace type %q is listed twice", ConfigName, i, ns.Type)
			}
			seenNS[ns.Type] = true
			// A joining container's namespace paths name the sandbox's namespaces
			// (/proc/PID/ns/... of the pod's first container): they describe what it
			// joins, which it shares in the sentry anyway, and are not entered.
			if ns.Path != "" && !joining {
				if err := checkNSPath(ns.Type, ns.Path); err != nil {
					return fmt.Errorf("%s: \"linux.namespaces[%d]\": %w", ConfigName, i, err)
				}
			}
			// As runc: a uts namespace, new or joined (the hostname is the sentry's
			// anyway: the host's uts namespace never changes).
			uts = uts || ns.Type == specs.UTSNamespace
		}
	}
	if spec.Hostname != "" && !uts && !joining {
		return fmt.Errorf("%s: \"hostname\" is set but there is no uts namespace in linux.namespaces", ConfigName)
	}
	if spec.Domainname != "" && !uts && !joining {
		return fmt.Errorf("%s: \"domainname\" is set but there is no uts namespace in linux.namespaces", ConfigName)
	}
	if err := checkUserNS(spec, joining); err != nil {
		return err
	}
	return checkSysctls(spec, uts, joining)
}

// findNS returns linux.namespaces' entry of type typ, if it has one.
func findNS(spec *specs.Spec, typ specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	if spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			if ns.Type == typ {
				return ns, true
			}
		}
	}
	return specs.LinuxNamespace{}, false
}

// maxIDMapLines is the most lines /proc/PID/uid_map takes (Linux 4.15 and later).
const maxIDMapLines = 340

// checkUserNS checks a user namespace entry and the id mappings, as runc would refuse
// them: a new user namespace needs both mappings, mappings need a user namespace. A path
// is refused: the sandbox and gofer make user namespaces of their own, from the mappings
// (docs/security.md, "User namespaces"), and cannot enter another. A joining container's
// entry names its pod's namespace and is not checked.
func checkUserNS(spec *specs.Spec, joining bool) error {
	if joining {
		return nil
	}
	ns, has := findNS(spec, specs.UserNamespace)
	path := ns.Path
	var uids, gids []specs.LinuxIDMapping
	if spec.Linux != nil {
		uids, gids = spec.Linux.UIDMappings, spec.Linux.GIDMappings
	}
	switch {
	case has && path != "":
		return fmt.Errorf("%s: \"linux.namespaces\": joining user namespace %s is not supported: leave out the path, and the container gets a user namespace of its own with linux.uidMappings and linux.gidMappings", ConfigName, path)
	case has && (len(uids) == 0 || len(gids) == 0):
		return fmt.Errorf("%s: \"linux.namespaces\" has a user namespace but linux.uidMappings or linux.gidMappings is empty: a user namespace needs both", ConfigName)
	case !has && (len(uids) > 0 || len(gids) > 0):
		return fmt.Errorf("%s: linux.uidMappings or linux.gidMappings is set but there is no user namespace in linux.namespaces", ConfigName)
	}
	for _, m := range []struct {
		name string
		maps []specs.LinuxIDMapping
	}{{"uidMappings", uids}, {"gidMappings", gids}} {
		if len(m.maps) > maxIDMapLines {
			return fmt.Errorf("%s: \"linux.%s\" has %d entries, more than Linux takes (%d)", ConfigName, m.name, len(m.maps), maxIDMapLines)
		}
		root := false
		for i, e := range m.maps {
			if e.Size == 0 || uint64(e.ContainerID)+uint64(e.Size) > 1<<32 || uint64(e.HostID)+uint64(e.Size) > 1<<32 {
				return fmt.Errorf("%s: \"linux.%s[%d]\": containerID %d, hostID %d, size %d is not a range of 32-bit ids", ConfigName, m.name, i, e.ContainerID, e.HostID, e.Size)
			}
			root = root || e.ContainerID == 0
		}
		if len(m.maps) > 0 && !root {
			return fmt.Errorf("%s: \"linux.%s\" does not map id 0: the gofer serves the container's files as root of its user namespace", ConfigName, m.name)
		}
	}
	return nil
}

// idMaps converts the spec's id mappings.
func idMaps(ms []specs.LinuxIDMapping) []boot.IDMap {
	var out []boot.IDMap
	for _, m := range ms {
		out = append(out, boot.IDMap{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
	}
	return out
}

// RootPath is the spec's root.path resolved against the bundle (a relative root.path is
// relative to the bundle directory, as the OCI spec says).
func RootPath(spec *specs.Spec, bundle string) string {
	p := spec.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	return filepath.Clean(p)
}

// rlimitNumbers maps the spec's rlimit names to Linux resource numbers.
var rlimitNumbers = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_STACK": unix.RLIMIT_STACK,
	"RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_AS": unix.RLIMIT_AS,
	"RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// ContainerConfig converts a validated spec into runsc's own container description.
func ContainerConfig(id string, spec *specs.Spec, bundle string) *boot.ContainerConfig {
	p := spec.Process
	c := &boot.ContainerConfig{
		ID:              id,
		Root:            RootPath(spec, bundle),
		RootReadonly:    spec.Root.Readonly,
		Args:            append([]string(nil), p.Args...),
		Env:             append([]string(nil), p.Env...),
		Cwd:             p.Cwd,
		UID:             p.User.UID,
		GID:             p.User.GID,
		AdditionalGIDs:  append([]uint32(nil), p.User.AdditionalGids...),
		Caps:            CapSets(p.Capabilities),
		NoNewPrivileges: p.NoNewPrivileges,
		Hostname:        spec.Hostname,
		Domainname:      spec.Domainname,
		Annotations:     spec.Annotations,
	}
	if d, ok := sysctlDomainname(spec); ok {
		// As in runc, where the sysctls are written after the domainname is set.
		c.Domainname = d
	}
	c.ContainerType, c.SandboxID, _ = PodRole(spec)
	if c.Joins() && spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			c.SharesPIDNamespace = c.SharesPIDNamespace || (ns.Type == specs.PIDNamespace && ns.Path != "")
		}
	}
	if _, has := findNS(spec, specs.UserNamespace); has && len(spec.Linux.UIDMappings) > 0 && len(spec.Linux.GIDMappings) > 0 {
		c.UIDMappings, c.GIDMappings = idMaps(spec.Linux.UIDMappings), idMaps(spec.Linux.GIDMappings)
	}
	if r := Resources(spec); r.MemoryLimit != nil && *r.MemoryLimit > 0 {
		c.MemoryLimit = uint64(*r.MemoryLimit)
	}
	if r := Resources(spec); r.PidsLimit != nil && *r.PidsLimit > 0 {
		c.PidsLimit = *r.PidsLimit
	}
	if p.Terminal {
		c.Terminal = true
		if cs := p.ConsoleSize; cs != nil {
			c.ConsoleRows, c.ConsoleCols = clampUint16(cs.Height), clampUint16(cs.Width)
		}
	}
	if p.OOMScoreAdj != nil {
		c.OOMScoreAdj = int32(*p.OOMScoreAdj)
	}
	if p.User.Umask != nil {
		u := *p.User.Umask
		c.Umask = &u
	}
	for _, r := range p.Rlimits {
		c.Rlimits = append(c.Rlimits, boot.Rlimit{Resource: rlimitNumbers[r.Type], Cur: r.Soft, Max: r.Hard})
	}
	if l := spec.Linux; l != nil {
		c.ReadonlyPaths = append([]string(nil), l.ReadonlyPaths...)
		c.MaskedPaths = append([]string(nil), l.MaskedPaths...)
		c.RootPropagation = l.RootfsPropagation
		for _, d := range l.Devices {
			bd := boot.Device{Path: d.Path, Type: d.Type, Major: d.Major, Minor: d.Minor}
			if d.FileMode != nil {
				m := uint32(d.FileMode.Perm())
				bd.Mode = &m
			}
			if d.UID != nil {
				bd.UID = *d.UID
			}
			if d.GID != nil {
				bd.GID = *d.GID
			}
			c.Devices = append(c.Devices, bd)
		}
	}
	for _, m := range spec.Mounts {
		bm := boot.Mount{
			Destination: m.Destination, Type: m.Type, Source: m.Source,
			Options: append([]string(nil), m.Options...),
		}
		// A bind mount's relative source is relative to the bundle, as runc has it.
		if bm.IsBind() && bm.Source != "" && !filepath.IsAbs(bm.Source) {
			bm.Source = filepath.Join(bundle, bm.Source)
		}
		if bm.IsBind() {
			bm.Source = filepath.Clean(bm.Source)
		}
		c.Mounts = append(c.Mounts, bm)
	}
	return c
}

// clampUint16 is v, or the largest window dimension if v is larger.
func clampUint16(v uint) uint16 {
	if v > 0xffff {
		return 0xffff
	}
	return uint16(v)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// nsCloneFlags are the CLONE_NEW* values NS_GET_NSTYPE returns, by spec type.
var nsCloneFlags = map[specs.LinuxNamespaceType]int{
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace: unix.CLONE_NEWNS, specs.IPCNamespace: unix.CLONE_NEWIPC,
	specs.UTSNamespace: unix.CLONE_NEWUTS, specs.UserNamespace: unix.CLONE_NEWUSER,
	specs.CgroupNamespace: unix.CLONE_NEWCGROUP, specs.TimeNamespace: unix.CLONE_NEWTIME,
}

// nsNames are the namespace types as error messages name them.
var nsNames = map[specs.LinuxNamespaceType]string{specs.NetworkNamespace: "network"}

// checkNSPath checks that path is a namespace of type typ, as runc's setns would find (the
// OCI spec: a path of another type is an error). Only the network namespace is joined
// (the sandbox makes its own others), but every path is checked.
func checkNSPath(typ specs.LinuxNamespaceType, path string) error {
	name := nsNames[typ]
	if name == "" {
		name = string(typ)
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%s namespace path %q must be absolute", name, path)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s namespace %s: %w", name, path, err)
	}
	defer unix.Close(fd)
	// NS_GET_NSTYPE
	got, err := unix.IoctlRetInt(fd, 0xb703)
	if err != nil || got != nsCloneFlags[typ] {
		return fmt.Errorf("%s is not a %s namespace", path, name)
	}
	return nil
}
