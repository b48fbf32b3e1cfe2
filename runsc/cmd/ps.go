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
	"time"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Ps implements `runsc ps`: list a container's processes.
type Ps struct {
	Conf   *config.Config
	format string
}

func (*Ps) Name() string     { return "ps" }
func (*Ps) Synopsis() string { return "ps displays the processes running inside a container" }
func (*Ps) Usage() string {
	return `ps [command options] <container-id> [ps options]

Lists the container's processes as "ps -ef" does (UID PID PPID C STIME TTY TIME CMD), with
the sandbox's own pids (the container's pid namespace, where init is 1). A container that
joined a pod's sandbox has a pid namespace of its own (its init is 1 there), unless its
spec names the sandbox's (shareProcessNamespace): then its pids are the pod's.

With --format json, it prints what runc's prints, host pids, for callers that look them up
on the host (docker top runs the host's ps and keeps those pids' lines): the host processes
that run the container, that is the sandbox, the container's gofer, and for each of its
processes the host process that runs its code (a ptrace stub, which takes the process's
command name). No ps options are supported ("-ef" is accepted).
`
}
func (p *Ps) SetFlags(f *flag.FlagSet) {
	f.StringVar(&p.format, "format", "table", "select one of: table or json")
	f.StringVar(&p.format, "f", "table", "short for --format")
}

func (p *Ps) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() < 1 {
		return fail("ps: expected a container id")
	}
	for _, o := range f.Args()[1:] {
		if o != "-ef" && o != "-e" && o != "-f" {
			return fail("ps: ps option %q is not supported", o)
		}
	}
	if p.format != "table" && p.format != "json" {
		return fail("ps: invalid format option %q (table or json)", p.format)
	}
	c, err := container.Load(p.Conf.Root, f.Arg(0), false)
	if err != nil {
		return fail("ps: %v", err)
	}
	procs, err := c.Processes()
	c.Close() // its state (pids) stays readable
	if err != nil {
		return fail("ps: %v", err)
	}
	if p.format == "json" {
		sandbox := c.Pid
		if c.Joined() {
			// Its Pid is its waiter's; the sandbox process is its pod's.
			sc, err := container.Load(p.Conf.Root, c.SandboxID, false)
			if err != nil {
				return fail("ps: the sandbox of %s: %v", c.ID, err)
			}
			sandbox = sc.Pid
			sc.Close()
		}
		json.NewEncoder(os.Stdout).Encode(hostPIDs(sandbox, c.GoferPid, procs, pidNamespaceMap(sandbox)))
		return subcommands.ExitSuccess
	}
	printPsTable(os.Stdout, procs, time.Now())
	return subcommands.ExitSuccess
}

// printPsTable prints procs in the columns of procps's "ps -ef".
func printPsTable(w io.Writer, procs []control.Process, now time.Time) {
	fmt.Fprintf(w, "%-8s %5s %5s %2s %5s %-8s %8s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")
	for _, pr := range procs {
		user := strconv.FormatUint(uint64(pr.UID), 10)
		if pr.UID == 0 {
			user = "root"
		}
		// C is the CPU utilization over the process's life, in percent.
		c := 0
		if life := now.Sub(pr.Started); life > 0 {
			c = int(int64(100) * pr.CPUNanos / int64(life))
		}
		stime := pr.Started.Local().Format("15:04")
		if now.Sub(pr.Started) > 24*time.Hour {
			stime = pr.Started.Local().Format("Jan02")
		}
		secs := pr.CPUNanos / 1e9
		cpu := fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
		cmd := pr.Cmd
		if cmd == "" {
			cmd = "[" + pr.Name + "]"
		}
		fmt.Fprintf(w, "%-8s %5d %5d %2d %5s %-8s %8s %s\n", user, pr.PID, pr.PPID, c, stime, "?", cpu, cmd)
	}
}

// hostPIDs is `ps --format json`'s list: the sandbox, the gofer, then the host process
// of each of procs that has one, without repeats. The sandbox reports its processes' pids
// in its own pid namespace; nsToHost maps them to host pids (a pid missing there, or 0, is
// skipped).
func hostPIDs(sandbox, gofer int, procs []control.Process, nsToHost map[int32]int32) []int32 {
	pids := []int32{}
	seen := map[int32]bool{0: true}
	add := func(pid int32) {
		if !seen[pid] {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	add(int32(sandbox))
	add(int32(gofer))
	for _, pr := range procs {
		add(nsToHost[pr.HostPID])
	}
	return pids
}

// pidNamespaceMap maps the pids of the pid namespace that the host process pid is in to
// host pids, from the NSpid lines of /proc/*/status (host pid first, that namespace's last).
func pidNamespaceMap(pid int) map[int32]int32 {
	m := map[int32]int32{}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		return m
	}
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return m
	}
	for _, d := range dir {
		host, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if n, err := os.Readlink("/proc/" + d.Name() + "/ns/pid"); err != nil || n != ns {
			continue
		}
		status, err := os.ReadFile("/proc/" + d.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "NSpid:" {
				continue
			}
			if inner, err := strconv.Atoi(f[len(f)-1]); err == nil {
				m[int32(inner)] = int32(host)
			}
		}
	}
	return m
}
