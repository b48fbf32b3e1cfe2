package cmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/container"
)

// Version is the version of the runtime.
const RuntimeVersion = "0.1.0"

// SpecVersion is the OCI runtime-spec version runsc implements: the version of the spec
// package it is built against.
var SpecVersion = specs.Version

func init() { container.OCIVersion = SpecVersion }

// commit is stamped by the Makefile (-ldflags -X), since builds with -buildvcs=false carry
// no VCS information.
var commit = ""

// commitString is the commit runsc was built from, or "unknown".
func commitString() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// PrintVersion prints the version lines, as `runc --version` does.
func PrintVersion(w io.Writer) {
	fmt.Fprintf(w, "runsc version %s\ncommit: %s\nspec: %s\n", RuntimeVersion, commitString(), SpecVersion)
}

// Version implements `runsc version`.
type Version struct{}

func (*Version) Name() string           { return "version" }
func (*Version) Synopsis() string       { return "print the runtime version" }
func (*Version) Usage() string          { return "version\n" }
func (*Version) SetFlags(*flag.FlagSet) {}
func (*Version) Execute(context.Context, *flag.FlagSet, ...any) subcommands.ExitStatus {
	PrintVersion(os.Stdout)
	return subcommands.ExitSuccess
}
