// Command runsc is Stockade's OCI runtime. Each subcommand lives in its own file in
// runsc/cmd; this file only wires flags to commands and turns a command's result into the
// process exit code.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/cmd"
	"github.com/stockade-sandbox/stockade/runsc/config"

	// Platforms and the syscall table register themselves.
	_ "github.com/stockade-sandbox/stockade/platform/ptrace"
	_ "github.com/stockade-sandbox/stockade/syscalls"
)

func main() {
	conf := config.Register(flag.CommandLine)
	version := flag.Bool("version", false, "print the version and exit")

	commands := map[string]bool{}
	register := func(c subcommands.Command, group string) {
		commands[c.Name()] = true
		subcommands.Register(c, group)
	}
	register(subcommands.HelpCommand(), "")
	register(subcommands.FlagsCommand(), "")
	register(&cmd.Do{Conf: conf}, "")
	register(&cmd.Gofer{}, "")
	register(&cmd.Syscalls{}, "")
	for _, c := range []subcommands.Command{
		&cmd.Create{Conf: conf}, &cmd.Start{Conf: conf}, &cmd.Run{Conf: conf},
		&cmd.State{Conf: conf}, &cmd.Kill{Conf: conf}, &cmd.Delete{Conf: conf},
		&cmd.List{Conf: conf}, &cmd.Wait{Conf: conf}, &cmd.Spec{},
		&cmd.Exec{Conf: conf}, &cmd.Ps{Conf: conf}, &cmd.Pause{Conf: conf},
		&cmd.Resume{Conf: conf}, &cmd.Events{Conf: conf}, &cmd.Update{Conf: conf},
		&cmd.Features{},
	} {
		register(c, "OCI runtime")
	}
	register(&cmd.Install{}, "Docker")
	register(&cmd.Uninstall{}, "Docker")
	register(&cmd.Boot{Conf: conf}, "internal use only")
	register(&cmd.WaitJoined{Conf: conf}, "internal use only")
	register(&cmd.Version{}, "")

	// runc's `--rootless VALUE` spelling (flag.Parse alone takes VALUE for the command).
	flag.CommandLine.Parse(config.RootlessArgs(flag.CommandLine, os.Args[1:], func(s string) bool { return commands[s] }))
	if *version {
		cmd.PrintVersion(os.Stdout)
		os.Exit(0)
	}
	if err := conf.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
		os.Exit(2)
	}
	rootSet := false
	flag.Visit(func(f *flag.Flag) { rootSet = rootSet || f.Name == "root" })
	if err := conf.ResolveRoot(rootSet); err != nil && !stateless[flag.Arg(0)] {
		fmt.Fprintf(os.Stderr, "runsc: %v\n", err)
		os.Exit(1)
	}
	if !handedFDs[flag.Arg(0)] {
		closeExecInherited()
	}
	if conf.Log != "" {
		cmd.SetErrorLog(conf.OpenRuntimeLog())
	}
	os.Exit(int(subcommands.Execute(context.Background(), conf)))
}

// stateless are the commands that keep no container state, which need no --root.
var stateless = map[string]bool{
	"": true, "help": true, "flags": true, "commands": true, "do": true, "gofer": true,
	"syscalls": true, "spec": true, "install": true, "uninstall": true, "version": true,
}

// handedFDs are the internal commands runsc starts with exactly the descriptors they use
// (boot's config, readiness pipe, control socket and gofer socket; the gofer's socket and
// mount trees; wait-joined's).
var handedFDs = map[string]bool{"boot": true, "gofer": true, "wait-joined": true}

// closeExecInherited makes every descriptor above stderr close-on-exec, as runc does at
// start: what runsc inherited from its caller (a shim's, a shell's, a lock holder's) must
// not reach the sandbox, the gofer or a hook, which get only the descriptors runsc hands
// them. The Go runtime opens its own close-on-exec already.
func closeExecInherited() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	// Before Linux 5.11: one at a time.
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
}
