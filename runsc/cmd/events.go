package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"time"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Events implements `runsc events`: print a container's resource usage.
type Events struct {
	Conf     *config.Config
	interval time.Duration
	stats    bool
}

func (*Events) Name() string { return "events" }
func (*Events) Synopsis() string {
	return "display container events such as OOM notifications, cpu, memory, and IO usage statistics"
}
func (*Events) Usage() string {
	return `events [command options] <container-id>

Prints the container's statistics as runc does, one JSON object a line:
{"type":"stats","id":ID,"data":{"cpu":...,"memory":...,"pids":...}}, every --interval until
the container stops, or once with --stats. CPU times, memory in use and the process count
are the sandbox's own (its tasks' CPU time, its memory file's allocations, its processes);
limits, per-CPU times and the failure count come from the container's cgroup, when it has
one. memory.raw holds runsc's own figures: sandbox_tasks (threads in the sandbox) and, with
a cgroup, host_cgroup_usage and host_cgroup_cpu_total (what the host charges the whole
sandbox: sentry, gofer and stubs).
`
}
func (e *Events) SetFlags(f *flag.FlagSet) {
	f.DurationVar(&e.interval, "interval", 5*time.Second, "set the stats collection interval")
	f.BoolVar(&e.stats, "stats", false, "display the container's stats then exit")
}

// The event runc prints (its libcontainer "types" package), with the fields runsc fills.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data *stats `json:"data,omitempty"`
}

type stats struct {
	CPU     cpuStats          `json:"cpu"`
	Memory  memoryStats       `json:"memory"`
	Pids    pidsStats         `json:"pids"`
	Blkio   struct{}          `json:"blkio"`
	Hugetlb map[string]string `json:"hugetlb"`
}

type cpuStats struct {
	Usage struct {
		Total  uint64   `json:"total"`
		Percpu []uint64 `json:"percpu,omitempty"`
		Kernel uint64   `json:"kernel"`
		User   uint64   `json:"user"`
	} `json:"usage"`
	Throttling struct{} `json:"throttling"`
}

type memoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type memoryStats struct {
	Usage memoryEntry       `json:"usage"`
	Raw   map[string]uint64 `json:"raw,omitempty"`
}

type pidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// unlimited is the memory limit a cgroup without one reports (runc prints it as is).
const unlimited = 9223372036854771712

func makeStats(s *control.Stats, cg *cgroup.Stats) *stats {
	var out stats
	out.Hugetlb = map[string]string{}
	out.CPU.Usage.User = uint64(s.CPUUserNanos)
	out.CPU.Usage.Kernel = uint64(s.CPUSystemNanos)
	out.CPU.Usage.Total = uint64(s.CPUUserNanos + s.CPUSystemNanos)
	out.Memory.Usage = memoryEntry{Usage: s.MemoryUsage, Limit: unlimited}
	if s.MemoryLimit != 0 {
		out.Memory.Usage.Limit = s.MemoryLimit
	}
	out.Memory.Raw = map[string]uint64{"sandbox_tasks": uint64(s.Tasks)}
	out.Pids.Current = uint64(s.Processes)
	if cg != nil {
		out.CPU.Usage.Percpu = cg.PerCPU
		if cg.MemoryLimit != 0 {
			out.Memory.Usage.Limit = cg.MemoryLimit
		}
		out.Memory.Usage.Max, out.Memory.Usage.Failcnt = cg.MemoryMax, cg.MemoryFailcnt
		out.Memory.Raw["host_cgroup_usage"] = cg.MemoryUsage
		out.Memory.Raw["host_cgroup_cpu_total"] = cg.CPUTotal
	}
	if s.PidsLimit > 0 {
		// The sentry enforces the pids limit (the host's pids.max is left alone).
		out.Pids.Limit = uint64(s.PidsLimit)
	}
	return &out
}

func (e *Events) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	id, ok := oneID(f, "events")
	if !ok {
		return subcommands.ExitUsageError
	}
	if e.interval <= 0 {
		return fail("events: duration interval must be greater than 0")
	}
	enc := json.NewEncoder(os.Stdout)
	for first := true; ; first = false {
		c, err := container.Load(e.Conf.Root, id, false)
		if err != nil {
			if first {
				return fail("events: %v", err)
			}
			return subcommands.ExitSuccess
		}
		st := c.Status()
		s, cg, err := c.Stats()
		c.Close()
		if err != nil {
			if first {
				return fail("events: %v", err)
			}
			if st == container.Stopped {
				return subcommands.ExitSuccess
			}
			time.Sleep(e.interval)
			continue
		}
		enc.Encode(event{Type: "stats", ID: id, Data: makeStats(s, cg)})
		if e.stats {
			return subcommands.ExitSuccess
		}
		time.Sleep(e.interval)
	}
}
