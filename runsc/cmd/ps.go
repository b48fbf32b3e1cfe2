package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
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

Lists the container's processes as "ps -ef" does (UID PID PPID C STIME TTY TIME CMD), or,
with --format json, the list of their pids. The pids are the sandbox's own (the container's
pid namespace, where init is 1), not host pids: the container's processes are not host
processes. A container that joined a pod's sandbox has a pid namespace of its own (its
init is 1 there), unless its spec names the sandbox's (shareProcessNamespace): then its
pids are the pod's. No ps options are supported ("-ef" is accepted).
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
	c.Close()
	if err != nil {
		return fail("ps: %v", err)
	}
	if p.format == "json" {
		pids := make([]int32, 0, len(procs))
		for _, pr := range procs {
			pids = append(pids, pr.PID)
		}
		json.NewEncoder(os.Stdout).Encode(pids)
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
