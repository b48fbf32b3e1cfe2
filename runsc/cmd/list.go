package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
)

// List implements `runsc list`: the containers under --root.
type List struct {
	Conf   *config.Config
	quiet  bool
	format string
}

func (*List) Name() string     { return "list" }
func (*List) Synopsis() string { return "list containers" }
func (*List) Usage() string {
	return "list [-q] [--format table|json]\n"
}
func (l *List) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&l.quiet, "quiet", false, "print only container ids")
	f.BoolVar(&l.quiet, "q", false, "short for --quiet")
	f.StringVar(&l.format, "format", "table", "output format: table or json")
	f.StringVar(&l.format, "f", "table", "short for --format")
}

func (l *List) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		return fail("list: unexpected arguments %q", f.Args())
	}
	if l.format != "table" && l.format != "json" {
		return fail("list: unknown format %q (table or json)", l.format)
	}
	cs, err := container.List(l.Conf.Root)
	if err != nil {
		return fail("list: %v", err)
	}
	if l.quiet {
		for _, c := range cs {
			fmt.Println(c.ID)
		}
		return subcommands.ExitSuccess
	}
	if l.format == "json" {
		states := make([]container.OCIState, 0, len(cs))
		for _, c := range cs {
			states = append(states, c.OCIState(SpecVersion))
		}
		if err := json.NewEncoder(os.Stdout).Encode(states); err != nil {
			return fail("list: %v", err)
		}
		return subcommands.ExitSuccess
	}
	w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
	fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
	for _, c := range cs {
		s := c.OCIState(SpecVersion)
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
	}
	w.Flush()
	return subcommands.ExitSuccess
}
