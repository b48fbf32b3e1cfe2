package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/stockade-sandbox/stockade/runsc/cgroup"
)

// rootlessCgroup decides, for a rootless create, whether the container's cgroup can be
// used: it makes it, applies the limits and moves this process in and back, as create
// will. When a step is refused (EACCES or EPERM: an unprivileged user owns no part of the
// hierarchy unless one was delegated to it), the cgroup is dropped with a warning if no
// limit needs it, as runc does rootless; the pids limit does not, the sentry enforces it
// alone (runsc/cgroup). A limit only the host can apply (memory, cpu, cpuset) makes it an
// error that says so.
//
// Preconditions: c is locked exclusively and Creating; o.Cgroup is set.
func (c *Container) rootlessCgroup(o *CreateOptions) error {
	err := probeCgroup(o.Cgroup, o.Resources)
	if err == nil {
		return nil
	}
	o.Cgroup.Destroy()
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	if need := hostLimits(o.Resources); len(need) > 0 {
		return fmt.Errorf("rootless: linux.resources sets %s, which needs cgroup %s, and this user may not use it (%v): remove the limits, or delegate that cgroup to this user",
			strings.Join(need, ", "), o.Cgroup.Path, err)
	}
	c.warn(fmt.Errorf("rootless: running without cgroup %s, which this user may not use (%v)", o.Cgroup.Path, err))
	o.Cgroup, c.Cgroup = nil, nil
	return nil
}

// probeCgroup makes cg, applies r and moves this process into it and back.
func probeCgroup(cg *cgroup.Cgroup, r cgroup.Resources) error {
	if err := cg.Create(); err != nil {
		return err
	}
	if err := cg.Apply(r); err != nil {
		return err
	}
	cur, err := cgroup.Current()
	if err != nil {
		return err
	}
	if err := cg.Join(os.Getpid()); err != nil {
		return err
	}
	return cg.Return(cur)
}

// hostLimits names the limits of r that only a host cgroup applies.
func hostLimits(r cgroup.Resources) []string {
	var need []string
	if r.MemoryLimit != nil || r.MemoryReservation != nil || r.MemorySwap != nil {
		need = append(need, "memory")
	}
	if r.CPUShares != nil || r.CPUQuota != nil || r.CPUPeriod != nil {
		need = append(need, "cpu")
	}
	if r.CPUs != "" || r.Mems != "" {
		need = append(need, "cpuset")
	}
	return need
}
