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

// NetNSPath is the path of the network namespace linux.namespaces asks the sandbox to
// join ("": a new one).
func NetNSPath(spec *specs.Spec) string {
	if spec.Linux == nil || joins(spec) {
		return ""
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			return ns.Path
		}
	}
	return ""
}
