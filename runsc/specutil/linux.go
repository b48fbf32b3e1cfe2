package specutil

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// The parts of the spec that runsc applies on the host rather than in the sandbox: the
// cgroup and its resources, hooks, and a network namespace to join.

// Resources converts linux.resources into the limits runsc applies.
func Resources(spec *specs.Spec) cgroup.Resources {
	var r cgroup.Resources
	if spec.Linux == nil || spec.Linux.Resources == nil {
		return r
	}
	lr := spec.Linux.Resources
	if m := lr.Memory; m != nil {
		r.MemoryLimit, r.MemoryReservation, r.MemorySwap = m.Limit, m.Reservation, m.Swap
		r.MemorySwappiness, r.DisableOOMKiller = m.Swappiness, m.DisableOOMKiller
	}
	for _, d := range lr.Devices {
		r.Devices = append(r.Devices, cgroup.DeviceRule{Allow: d.Allow, Type: d.Type, Major: d.Major, Minor: d.Minor, Access: d.Access})
	}
	if len(r.Devices) > 0 {
		// As runc does, the devices every container may use are allowed after the spec's
		// rules (a spec usually starts by denying everything): the runtime itself opens
		// /dev/null for the gofer's stdio once it is in the cgroup, and a console needs
		// ptmx and the pty.
		r.Devices = append(r.Devices, defaultAllowedDevices()...)
	}
	if c := lr.CPU; c != nil {
		r.CPUShares, r.CPUQuota, r.CPUPeriod = c.Shares, c.Quota, c.Period
		r.CPUs, r.Mems = c.Cpus, c.Mems
	}
	if p := lr.Pids; p != nil {
		r.PidsLimit = p.Limit
	}
	return r
}

// defaultAllowedDevices are the device rules runc adds after a spec's: mknod of any device,
// and null, zero, full, random, urandom, tty, ptmx, the ptys and /dev/net/tun.
func defaultAllowedDevices() []cgroup.DeviceRule {
	n := func(v int64) *int64 { return &v }
	return []cgroup.DeviceRule{
		{Allow: true, Type: "c", Access: "m"}, {Allow: true, Type: "b", Access: "m"},
		{Allow: true, Type: "c", Major: n(1), Minor: n(3), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(1), Minor: n(8), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(1), Minor: n(7), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(5), Minor: n(0), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(1), Minor: n(5), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(1), Minor: n(9), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(136), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(5), Minor: n(2), Access: "rwm"},
		{Allow: true, Type: "c", Major: n(10), Minor: n(200), Access: "rwm"},
	}
}

// Cgroup returns the container's cgroup: the one linux.cgroupsPath names, or /<id> when
// linux.resources sets a limit; nil when the spec asks for neither.
func Cgroup(spec *specs.Spec, id string, systemd bool) (*cgroup.Cgroup, error) {
	path := ""
	if spec.Linux != nil {
		path = spec.Linux.CgroupsPath
	}
	r := Resources(spec)
	if path == "" && r.Empty() {
		return nil, nil
	}
	cg, err := cgroup.New(path, id, systemd && path != "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigName, err)
	}
	return cg, nil
}

// Hooks converts the spec's hooks.
func Hooks(spec *specs.Spec) *container.Hooks {
	h := spec.Hooks
	if h == nil {
		return nil
	}
	conv := func(in []specs.Hook) []container.Hook {
		var out []container.Hook
		for _, x := range in {
			ch := container.Hook{Path: x.Path, Args: x.Args, Env: x.Env}
			if x.Timeout != nil {
				ch.Timeout = *x.Timeout
			}
			out = append(out, ch)
		}
		return out
	}
	return &container.Hooks{
		Prestart: conv(h.Prestart), CreateRuntime: conv(h.CreateRuntime),
		CreateContainer: conv(h.CreateContainer), StartContainer: conv(h.StartContainer),
		Poststart: conv(h.Poststart), Poststop: conv(h.Poststop),
	}
}

// NewCgroupNS reports whether linux.namespaces asks for a new cgroup namespace.
func NewCgroupNS(spec *specs.Spec) bool {
	if joins(spec) {
		return false
	}
	ns, ok := findNS(spec, specs.CgroupNamespace)
	return ok && ns.Path == ""
}

// NSPath is the path of the namespace of type typ linux.namespaces asks the sandbox to
// join ("": a new one, or none listed; always "" for a container joining a sandbox, whose
// namespace paths name the sandbox's own).
func NSPath(spec *specs.Spec, typ specs.LinuxNamespaceType) string {
	if joins(spec) {
		return ""
	}
	ns, _ := findNS(spec, typ)
	return ns.Path
}
