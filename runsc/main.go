// Command runsc is Stockade's OCI runtime. Each subcommand lives in its own file in
// runsc/cmd; this file only wires flags to commands and turns a command's result into the
// process exit code.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/cmd"
	"github.com/stockade-sandbox/stockade/runsc/config"

	// Platforms and the syscall table register themselves.
	_ "github.com/stockade-sandbox/stockade/platform/ptrace"
	_ "github.com/stockade-sandbox/stockade/syscalls"
)

func main() {
	conf := config.Register(flag.CommandLine)
	version := flag.Bool("version", false, "print the version and exit")

	subcommands.Register(subcommands.HelpCommand(), "")
	subcommands.Register(subcommands.FlagsCommand(), "")
	subcommands.Register(&cmd.Do{Conf: conf}, "")
	subcommands.Register(&cmd.Gofer{}, "")
	subcommands.Register(&cmd.Syscalls{}, "")
	for _, c := range []subcommands.Command{
		&cmd.Create{Conf: conf}, &cmd.Start{Conf: conf}, &cmd.Run{Conf: conf},
		&cmd.State{Conf: conf}, &cmd.Kill{Conf: conf}, &cmd.Delete{Conf: conf},
		&cmd.List{Conf: conf}, &cmd.Wait{Conf: conf}, &cmd.Spec{},
		&cmd.Exec{Conf: conf}, &cmd.Ps{Conf: conf}, &cmd.Pause{Conf: conf},
		&cmd.Resume{Conf: conf}, &cmd.Events{Conf: conf}, &cmd.Update{Conf: conf},
		&cmd.Features{},
	} {
		subcommands.Register(c, "OCI runtime")
	}
	subcommands.Register(&cmd.Install{}, "Docker")
	subcommands.Register(&cmd.Uninstall{}, "Docker")
	subcommands.Register(&cmd.Boot{Conf: conf}, "internal use only")
	subcommands.Register(&cmd.Version{}, "")

	flag.Parse()
	if *version {
		cmd.PrintVersion(os.Stdout)
		os.Exit(0)
	}
	if err := conf.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
		os.Exit(2)
	}
	if conf.Log != "" {
		cmd.SetErrorLog(conf.OpenRuntimeLog())
	}
	os.Exit(int(subcommands.Execute(context.Background(), conf)))
}
