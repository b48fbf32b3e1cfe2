package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/config"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/syscalls"
)

// Syscalls implements `runsc syscalls`: the syscall support table.
type Syscalls struct {
	format string
}

func (*Syscalls) Name() string     { return "syscalls" }
func (*Syscalls) Synopsis() string { return "print the table of syscalls and their support level" }
func (*Syscalls) Usage() string {
	return "syscalls [--format=table|json|markdown]\n"
}
func (s *Syscalls) SetFlags(f *flag.FlagSet) {
	f.StringVar(&s.format, "format", "table", "output format: table, json or markdown")
}

func (s *Syscalls) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	rows := kernel.SyscallTable()
	switch s.format {
	case "json":
		type row struct {
			Number  uintptr `json:"number"`
			Name    string  `json:"name"`
			Support string  `json:"support"`
			Note    string  `json:"note,omitempty"`
		}
		out := make([]row, 0, len(rows))
		for _, r := range rows {
			out = append(out, row{r.Number, r.Name, r.Support.String(), r.Note})
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail("syscalls: %v", err)
		}
	case "markdown":
		fmt.Print(syscalls.Markdown())
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(w, "NR\tNAME\tSUPPORT\tNOTE")
		for _, r := range rows {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", r.Number, r.Name, r.Support, r.Note)
		}
		w.Flush()
	default:
		return fail("syscalls: unknown format %q", s.format)
	}
	return subcommands.ExitSuccess
}

// errorLog is --log when one is given: fail writes errors there too, as runc does, because
// containerd's shim reports a runtime's failure from the last error in that file (and
// says "unable to retrieve OCI runtime error" when there is none).
var errorLog *config.RuntimeLog

// SetErrorLog makes fail also write errors to l (runc's --log).
func SetErrorLog(l *config.RuntimeLog) { errorLog = l }

// fail prints a one-line error and returns the failure status.
func fail(format string, args ...any) subcommands.ExitStatus {
	fmt.Fprintf(os.Stderr, "runsc: "+format+"\n", args...)
	if errorLog != nil {
		errorLog.Errorf(format, args...)
	}
	return subcommands.ExitFailure
}
