package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Update implements `runsc update`: change a container's resource limits.
type Update struct {
	Conf *config.Config

	resources string
	// The flags, kept as given: only those set change anything.
	vals map[string]*string
}

// updateFlags are runc update's resource flags.
var updateFlags = []struct{ name, usage string }{
	{"blkio-weight", "Specifies per cgroup weight, range is from 10 to 1000 (not supported)"},
	{"cpu-period", "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"},
	{"cpu-quota", "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
	{"cpu-share", "CPU shares (relative weight vs. other containers)"},
	{"cpu-rt-period", "CPU realtime period to be used for hardcapping (in usecs) (not supported)"},
	{"cpu-rt-runtime", "CPU realtime hardcap limit (in usecs) (not supported)"},
	{"cpuset-cpus", "CPU(s) to use"},
	{"cpuset-mems", "Memory node(s) to use"},
	{"memory", "Memory limit (in bytes; k, m, g suffixes)"},
	{"memory-reservation", "Memory reservation or soft_limit (in bytes)"},
	{"memory-swap", "Total memory usage (memory + swap); set '-1' to enable unlimited swap"},
	{"pids-limit", "Maximum number of pids allowed in the container"},
	{"l3-cache-schema", "The string of Intel RDT/CAT L3 cache schema (not supported)"},
	{"mem-bw-schema", "The string of Intel RDT/MBA memory bandwidth schema (not supported)"},
}

func (*Update) Name() string     { return "update" }
func (*Update) Synopsis() string { return "update container resource constraints" }
func (*Update) Usage() string {
	return `update [command options] <container-id>

Changes the resource limits of the container's cgroup (made now if the container has none),
from the flags or, with -r, from a JSON file ('-': stdin) in linux.resources' form:
{"memory":{"limit":N,"reservation":N,"swap":N},"cpu":{"shares":N,"quota":N,"period":N,
"cpus":"0-1","mems":"0"},"pids":{"limit":N}}. With -r the other flags are ignored. A new
memory limit is also the sandbox's own (its memory file's cap and /proc/meminfo's total).
`
}

func (u *Update) SetFlags(f *flag.FlagSet) {
	f.StringVar(&u.resources, "resources", "", "path to the file containing the resources to update or '-' to read from the standard input")
	f.StringVar(&u.resources, "r", "", "short for --resources")
	u.vals = map[string]*string{}
	for _, fl := range updateFlags {
		v := new(string)
		u.vals[fl.name] = v
		f.Func(fl.name, fl.usage, func(s string) error { *v = s; return nil })
	}
}

// parseBytes parses a byte count with an optional k/m/g/t suffix (binary units, as runc's
// flags take them); "-1" is unlimited.
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	if v < 0 {
		return -1, nil
	}
	return v * mult, nil
}

// flagResources converts the flags that were given.
func (u *Update) flagResources() (cgroup.Resources, error) {
	var r cgroup.Resources
	for _, name := range []string{"blkio-weight", "cpu-rt-period", "cpu-rt-runtime", "l3-cache-schema", "mem-bw-schema"} {
		if *u.vals[name] != "" {
			return r, fmt.Errorf("--%s is not supported", name)
		}
	}
	i64 := func(name string, dst **int64, bytes bool) error {
		s := *u.vals[name]
		if s == "" {
			return nil
		}
		var v int64
		var err error
		if bytes {
			v, err = parseBytes(s)
		} else {
			v, err = strconv.ParseInt(s, 10, 64)
		}
		if err != nil {
			return fmt.Errorf("--%s: invalid value %q", name, s)
		}
		*dst = &v
		return nil
	}
	u64 := func(name string, dst **uint64) error {
		s := *u.vals[name]
		if s == "" {
			return nil
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("--%s: invalid value %q", name, s)
		}
		*dst = &v
		return nil
	}
	for _, err := range []error{
		i64("memory", &r.MemoryLimit, true), i64("memory-reservation", &r.MemoryReservation, true),
		i64("memory-swap", &r.MemorySwap, true), i64("cpu-quota", &r.CPUQuota, false),
		u64("cpu-period", &r.CPUPeriod), u64("cpu-share", &r.CPUShares),
		i64("pids-limit", &r.PidsLimit, false),
	} {
		if err != nil {
			return r, err
		}
	}
	r.CPUs, r.Mems = *u.vals["cpuset-cpus"], *u.vals["cpuset-mems"]
	return r, nil
}

// fileResources reads linux.resources' form from name ('-': stdin).
func fileResources(name string) (cgroup.Resources, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return cgroup.Resources{}, fmt.Errorf("--resources: %w", err)
	}
	var lr specs.LinuxResources
	if err := json.Unmarshal(data, &lr); err != nil {
		return cgroup.Resources{}, fmt.Errorf("--resources %s: malformed JSON: %v", name, err)
	}
	return specutil.Resources(&specs.Spec{Linux: &specs.Linux{Resources: &lr}}), nil
}

func (u *Update) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "update")
	if !ok {
		return subcommands.ExitUsageError
	}
	var r cgroup.Resources
	var err error
	if u.resources != "" {
		r, err = fileResources(u.resources)
	} else {
		r, err = u.flagResources()
	}
	if err != nil {
		return fail("update: %v", err)
	}
	c, err := container.Load(u.Conf.Root, id, true)
	if err != nil {
		return fail("update: %v", err)
	}
	defer c.Close()
	if err := c.Update(r); err != nil {
		return fail("update: %v", err)
	}
	return subcommands.ExitSuccess
}
