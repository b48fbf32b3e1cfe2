// Package cgroup puts a container's host processes (the sandbox and its gofer, and the
// platform's stub processes, which inherit it) into the cgroup linux.cgroupsPath names and
// applies linux.resources to it, on cgroup v1 or v2, whichever the host mounts at
// /sys/fs/cgroup (v2 only when /sys/fs/cgroup itself is cgroup2; a hybrid host is v1).
//
// Paths: an absolute cgroupsPath is taken from the root of each hierarchy; a relative one
// too (runc makes it relative to its own cgroup, which, for a runtime started by a
// container manager, is the root). A systemd-style path ("slice:prefix:name", with
// --systemd-cgroup) becomes <slice>/<prefix>-<name>.scope, without asking systemd: the
// slice's directory is created if missing.
//
// The resources are written to the controller files; a resource the host has no file for
// is an error naming it. Destroy removes the directories once the processes are gone.
// linux.resources.devices are written, in order, to the v1 devices controller: they bound
// the host devices the sandbox's own processes can open (the container's devices are the
// sentry's); on v2 they, memory.swappiness and the OOM-killer switch are not applied (v2
// has no files for them; device rules there need an eBPF program).
//
// The host charges the whole sandbox to the cgroup: the limits bound the sentry, its
// gofer and the platform's stub processes, not only the container's own processes. The
// pids limit is therefore not written to the host's pids.max, where it would count the
// sandbox's host threads (a sandbox needs a few dozen, so `--pids-limit 20` would stop the
// sandbox itself, not the application): the sentry enforces it on the container's tasks
// (kernel.SetPidsLimit), and the host cgroup's pids controller only accounts. The memory
// limit counts
// the sentry's own memory on top of the application's (the sentry's memory file is capped
// at the same figure, so the application runs out first and sees ENOMEM or SIGBUS rather
// than the whole sandbox being OOM-killed, unless the sentry's overhead is what tips it).
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Root is where the hierarchies are mounted.
var Root = "/sys/fs/cgroup"

// v1Controllers are the v1 hierarchies a container's cgroup is made in.
var v1Controllers = []string{"memory", "cpu", "cpuacct", "cpuset", "pids", "devices"}

// Resources are the limits runsc applies (a subset of linux.resources, and runc update's
// flags). nil or empty fields are left as they are.
type Resources struct {
	MemoryLimit       *int64  `json:"memoryLimit,omitempty"`
	MemoryReservation *int64  `json:"memoryReservation,omitempty"`
	MemorySwap        *int64  `json:"memorySwap,omitempty"`
	CPUShares         *uint64 `json:"cpuShares,omitempty"`
	CPUQuota          *int64  `json:"cpuQuota,omitempty"`
	CPUPeriod         *uint64 `json:"cpuPeriod,omitempty"`
	CPUs              string  `json:"cpus,omitempty"`
	Mems              string  `json:"mems,omitempty"`
	PidsLimit         *int64  `json:"pidsLimit,omitempty"`
	// MemorySwappiness and DisableOOMKiller are memory.swappiness and oom_kill_disable
	// (v1 only: v2 has neither).
	MemorySwappiness *uint64 `json:"memorySwappiness,omitempty"`
	DisableOOMKiller *bool   `json:"disableOOMKiller,omitempty"`
	// Devices are linux.resources.devices, applied in order to the v1 devices controller
	// (v2 would need an eBPF program: not done).
	Devices []DeviceRule `json:"devices,omitempty"`
}

// DeviceRule is one entry of linux.resources.devices.
type DeviceRule struct {
	Allow bool `json:"allow"`
	// Type is "a" (all), "c" or "b" ("" is "a").
	Type string `json:"type,omitempty"`
	// Major and Minor are nil for any ("*").
	Major  *int64 `json:"major,omitempty"`
	Minor  *int64 `json:"minor,omitempty"`
	Access string `json:"access,omitempty"`
}

// String is the rule as devices.allow and devices.deny take it ("c 1:3 rwm").
func (d DeviceRule) String() string {
	num := func(n *int64) string {
		if n == nil || *n < 0 {
			return "*"
		}
		return strconv.FormatInt(*n, 10)
	}
	typ, access := d.Type, d.Access
	if typ == "" {
		typ = "a"
	}
	if access == "" {
		access = "rwm"
	}
	return fmt.Sprintf("%s %s:%s %s", typ, num(d.Major), num(d.Minor), access)
}

// Empty reports whether r sets nothing.
func (r *Resources) Empty() bool {
	return r == nil || (r.MemoryLimit == nil && r.MemoryReservation == nil && r.MemorySwap == nil &&
		r.CPUShares == nil && r.CPUQuota == nil && r.CPUPeriod == nil && r.CPUs == "" && r.Mems == "" &&
		r.PidsLimit == nil && r.MemorySwappiness == nil && r.DisableOOMKiller == nil && len(r.Devices) == 0)
}

// Merge sets in r every field o sets.
func (r *Resources) Merge(o Resources) {
	if o.MemoryLimit != nil {
		r.MemoryLimit = o.MemoryLimit
	}
	if o.MemoryReservation != nil {
		r.MemoryReservation = o.MemoryReservation
	}
	if o.MemorySwap != nil {
		r.MemorySwap = o.MemorySwap
	}
	if o.CPUShares != nil {
		r.CPUShares = o.CPUShares
	}
	if o.CPUQuota != nil {
		r.CPUQuota = o.CPUQuota
	}
	if o.CPUPeriod != nil {
		r.CPUPeriod = o.CPUPeriod
	}
	if o.CPUs != "" {
		r.CPUs = o.CPUs
	}
	if o.Mems != "" {
		r.Mems = o.Mems
	}
	if o.PidsLimit != nil {
		r.PidsLimit = o.PidsLimit
	}
	if o.MemorySwappiness != nil {
		r.MemorySwappiness = o.MemorySwappiness
	}
	if o.DisableOOMKiller != nil {
		r.DisableOOMKiller = o.DisableOOMKiller
	}
	if o.Devices != nil {
		r.Devices = o.Devices
	}
}

// Cgroup is a container's cgroup. Its fields are recorded in the container's state.
type Cgroup struct {
	// Path is the cgroup's path below each hierarchy's root, absolute.
	Path string `json:"path"`
	// V2 is set on a unified (cgroup v2 only) host.
	V2 bool `json:"v2,omitempty"`
}

// IsV2 reports whether the host's cgroups are v2 (unified).
func IsV2() bool {
	var st unix.Statfs_t
	return unix.Statfs(Root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// New returns the cgroup for spec path p (not created yet). id names a default path when
// p is empty.
func New(p, id string, systemd bool) (*Cgroup, error) {
	if p == "" {
		p = "/" + id
	}
	if systemd {
		parts := strings.Split(p, ":")
		if len(parts) != 3 || parts[2] == "" {
			return nil, fmt.Errorf("linux.cgroupsPath %q: with --systemd-cgroup it must be slice:prefix:name", p)
		}
		slice, prefix, name := parts[0], parts[1], parts[2]
		if slice == "" {
			slice = "system.slice"
		}
		unit := name
		if !strings.HasSuffix(name, ".slice") {
			if prefix != "" {
				unit = prefix + "-" + name
			}
			unit += ".scope"
		}
		p = "/" + slice + "/" + unit
	}
	p = filepath.Clean("/" + p)
	if p == "/" {
		return nil, fmt.Errorf("linux.cgroupsPath %q names the root cgroup", p)
	}
	return &Cgroup{Path: p, V2: IsV2()}, nil
}

// dirs returns the cgroup's directory in each hierarchy, by controller ("" on v2).
func (c *Cgroup) dirs() map[string]string {
	if c.V2 {
		return map[string]string{"": filepath.Join(Root, c.Path)}
	}
	m := map[string]string{}
	for _, ctl := range v1Controllers {
		if _, err := os.Stat(filepath.Join(Root, ctl)); err == nil {
			m[ctl] = filepath.Join(Root, ctl, c.Path)
		}
	}
	return m
}

// Create makes the cgroup's directories (existing ones are used as they are).
func (c *Cgroup) Create() error {
	for ctl, d := range c.dirs() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
		if ctl == "cpuset" {
			// A v1 cpuset cgroup takes no task until its cpus and mems are set: inherit
			// the parent's, level by level.
			if err := inheritCpuset(filepath.Join(Root, "cpuset"), c.Path); err != nil {
				return err
			}
		}
	}
	if c.V2 {
		// Enable the controllers the limits need, on every level above the cgroup.
		parts := strings.Split(strings.Trim(c.Path, "/"), "/")
		dir := Root
		for _, part := range parts {
			avail, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
			for _, ctl := range strings.Fields(string(avail)) {
				switch ctl {
				case "memory", "cpu", "cpuset", "pids":
					writeFile(dir, "cgroup.subtree_control", "+"+ctl) // best effort
				}
			}
			dir = filepath.Join(dir, part)
		}
	}
	return nil
}

func inheritCpuset(root, p string) error {
	dir := root
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		parent := dir
		dir = filepath.Join(dir, part)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			// (The files exist in a cgroup filesystem; missing, as in tests, is empty.)
			cur, err := os.ReadFile(filepath.Join(dir, f))
			if err == nil && strings.TrimSpace(string(cur)) != "" {
				continue
			}
			v, err := os.ReadFile(filepath.Join(parent, f))
			if err != nil {
				continue
			}
			if err := writeFile(dir, f, strings.TrimSpace(string(v))); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFile writes v to dir/name.
func writeFile(dir, name, v string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
		return fmt.Errorf("cgroup: writing %q to %s: %w", v, filepath.Join(dir, name), errors.Unwrap(err))
	}
	return nil
}

// Apply writes r's limits.
func (c *Cgroup) Apply(r Resources) error {
	d := c.dirs()
	if c.V2 {
		return c.applyV2(d[""], r)
	}
	need := func(ctl string) (string, error) {
		dir, ok := d[ctl]
		if !ok {
			return "", fmt.Errorf("cgroup: the host has no %s controller", ctl)
		}
		return dir, nil
	}
	type w struct{ ctl, file, val string }
	var ws []w
	if r.MemoryReservation != nil {
		ws = append(ws, w{"memory", "memory.soft_limit_in_bytes", strconv.FormatInt(*r.MemoryReservation, 10)})
	}
	if r.MemoryLimit != nil {
		// memsw must stay >= the limit, so the order that works depends on the old
		// values: the limit is written, then memsw, then the limit again.
		ws = append(ws, w{"memory", "memory.limit_in_bytes", strconv.FormatInt(*r.MemoryLimit, 10)})
	}
	if r.MemorySwap != nil {
		ws = append(ws, w{"memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(*r.MemorySwap, 10)})
	}
	if r.CPUShares != nil {
		ws = append(ws, w{"cpu", "cpu.shares", strconv.FormatUint(*r.CPUShares, 10)})
	}
	if r.CPUPeriod != nil {
		ws = append(ws, w{"cpu", "cpu.cfs_period_us", strconv.FormatUint(*r.CPUPeriod, 10)})
	}
	if r.CPUQuota != nil {
		ws = append(ws, w{"cpu", "cpu.cfs_quota_us", strconv.FormatInt(*r.CPUQuota, 10)})
	}
	if r.CPUs != "" {
		ws = append(ws, w{"cpuset", "cpuset.cpus", r.CPUs})
	}
	if r.Mems != "" {
		ws = append(ws, w{"cpuset", "cpuset.mems", r.Mems})
	}
	if r.MemorySwappiness != nil {
		ws = append(ws, w{"memory", "memory.swappiness", strconv.FormatUint(*r.MemorySwappiness, 10)})
	}
	if r.DisableOOMKiller != nil && *r.DisableOOMKiller {
		ws = append(ws, w{"memory", "memory.oom_control", "1"})
	}
	// The device rules in the spec's order, as runc writes them: each allow or deny
	// changes the list the previous ones left (a leading "deny a" empties it). They bound
	// the host devices the sandbox, its gofer and its stubs can open; the container's own
	// devices are the sentry's.
	for _, d := range r.Devices {
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		ws = append(ws, w{"devices", file, d.String()})
	}
	for _, x := range ws {
		dir, err := need(x.ctl)
		if err != nil {
			return err
		}
		err = writeFile(dir, x.file, x.val)
		if err != nil && x.file == "memory.memsw.limit_in_bytes" {
			if _, serr := os.Stat(filepath.Join(dir, x.file)); serr != nil {
				continue // no swap accounting on this host: nothing to limit
			}
		}
		if err != nil && x.file == "memory.limit_in_bytes" && r.MemorySwap != nil {
			continue // retried after memsw below
		}
		if err != nil {
			return err
		}
	}
	if r.MemoryLimit != nil && r.MemorySwap != nil {
		return writeFile(d["memory"], "memory.limit_in_bytes", strconv.FormatInt(*r.MemoryLimit, 10))
	}
	return nil
}

func (c *Cgroup) applyV2(dir string, r Resources) error {
	max := func(v int64) string {
		if v < 0 {
			return "max"
		}
		return strconv.FormatInt(v, 10)
	}
	if r.MemoryLimit != nil {
		if err := writeFile(dir, "memory.max", max(*r.MemoryLimit)); err != nil {
			return err
		}
	}
	if r.MemoryReservation != nil {
		if err := writeFile(dir, "memory.low", max(*r.MemoryReservation)); err != nil {
			return err
		}
	}
	if r.MemorySwap != nil {
		// v1's memsw is memory + swap; v2's swap.max is swap alone.
		v := *r.MemorySwap
		if v > 0 && r.MemoryLimit != nil && *r.MemoryLimit > 0 {
			v -= *r.MemoryLimit
		}
		if err := writeFile(dir, "memory.swap.max", max(v)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if r.CPUShares != nil && *r.CPUShares != 0 {
		// The conversion runc and the kernel documentation use: [2, 262144] → [1, 10000].
		w := 1 + ((*r.CPUShares-2)*9999)/262142
		if err := writeFile(dir, "cpu.weight", strconv.FormatUint(w, 10)); err != nil {
			return err
		}
	}
	if r.CPUQuota != nil || r.CPUPeriod != nil {
		quota, period := "max", "100000"
		if cur, err := os.ReadFile(filepath.Join(dir, "cpu.max")); err == nil {
			if f := strings.Fields(string(cur)); len(f) == 2 {
				quota, period = f[0], f[1]
			}
		}
		if r.CPUQuota != nil {
			quota = max(*r.CPUQuota)
		}
		if r.CPUPeriod != nil && *r.CPUPeriod != 0 {
			period = strconv.FormatUint(*r.CPUPeriod, 10)
		}
		if err := writeFile(dir, "cpu.max", quota+" "+period); err != nil {
			return err
		}
	}
	if r.CPUs != "" {
		if err := writeFile(dir, "cpuset.cpus", r.CPUs); err != nil {
			return err
		}
	}
	if r.Mems != "" {
		if err := writeFile(dir, "cpuset.mems", r.Mems); err != nil {
			return err
		}
	}
	return nil
}

// Join moves process pid (all its threads) into the cgroup.
func (c *Cgroup) Join(pid int) error {
	for _, d := range c.dirs() {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// Current returns the calling process's cgroup in each hierarchy c uses, to go back to
// after Join (RestoreSelf).
func Current() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			out[ctl] = parts[2]
		}
	}
	return out, sc.Err()
}

// Return moves the calling process back to the cgroups cur (from Current) names, for the
// hierarchies c uses.
func (c *Cgroup) Return(cur map[string]string) error {
	for ctl := range c.dirs() {
		p, ok := cur[ctl]
		if !ok {
			continue
		}
		dir := filepath.Join(Root, ctl, p)
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(os.Getpid())); err != nil {
			return err
		}
	}
	return nil
}

// Destroy removes the cgroup's directories, waiting up to a second for processes that are
// still leaving it. A cgroup that does not exist is not an error.
func (c *Cgroup) Destroy() error {
	var firstErr error
	for _, d := range c.dirs() {
		var err error
		for i := 0; i < 100; i++ {
			err = unix.Rmdir(d)
			if err != unix.EBUSY {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil && err != unix.ENOENT && firstErr == nil {
			firstErr = fmt.Errorf("removing cgroup %s: %w", d, err)
		}
	}
	return firstErr
}

// Stats are the cgroup's figures, for `runsc events`.
type Stats struct {
	CPUTotal, CPUUser, CPUKernel uint64
	PerCPU                       []uint64
	MemoryUsage, MemoryMax       uint64
	MemoryLimit, MemoryFailcnt   uint64
	Pids, PidsLimit              uint64
}

// Stats reads the cgroup's figures (those it cannot read are zero).
func (c *Cgroup) Stats() Stats {
	var s Stats
	d := c.dirs()
	num := func(dir, name string) uint64 {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return 0
		}
		v := strings.TrimSpace(string(data))
		if v == "max" {
			return ^uint64(0) >> 1
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		return n
	}
	keyed := func(dir, name string) map[string]uint64 {
		m := map[string]uint64{}
		data, _ := os.ReadFile(filepath.Join(dir, name))
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				m[f[0]], _ = strconv.ParseUint(f[1], 10, 64)
			}
		}
		return m
	}
	if c.V2 {
		dir := d[""]
		cs := keyed(dir, "cpu.stat")
		s.CPUTotal, s.CPUUser, s.CPUKernel = cs["usage_usec"]*1000, cs["user_usec"]*1000, cs["system_usec"]*1000
		s.MemoryUsage, s.MemoryMax, s.MemoryLimit = num(dir, "memory.current"), num(dir, "memory.peak"), num(dir, "memory.max")
		s.Pids, s.PidsLimit = num(dir, "pids.current"), num(dir, "pids.max")
		return s
	}
	if dir, ok := d["cpuacct"]; ok {
		s.CPUTotal = num(dir, "cpuacct.usage")
		cs := keyed(dir, "cpuacct.stat")
		// In USER_HZ ticks.
		s.CPUUser, s.CPUKernel = cs["user"]*1e7, cs["system"]*1e7
		data, _ := os.ReadFile(filepath.Join(dir, "cpuacct.usage_percpu"))
		for _, f := range strings.Fields(string(data)) {
			n, _ := strconv.ParseUint(f, 10, 64)
			s.PerCPU = append(s.PerCPU, n)
		}
	}
	if dir, ok := d["memory"]; ok {
		s.MemoryUsage, s.MemoryMax = num(dir, "memory.usage_in_bytes"), num(dir, "memory.max_usage_in_bytes")
		s.MemoryLimit, s.MemoryFailcnt = num(dir, "memory.limit_in_bytes"), num(dir, "memory.failcnt")
	}
	if dir, ok := d["pids"]; ok {
		s.Pids, s.PidsLimit = num(dir, "pids.current"), num(dir, "pids.max")
	}
	return s
}
