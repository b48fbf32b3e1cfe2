package cmd

import (
	"context"
	"flag"
	"fmt"

	"github.com/google/subcommands"
)

// Uninstall implements `runsc uninstall`: remove a runtime from Docker's daemon.json.
type Uninstall struct {
	runtime    string
	configFile string
}

func (*Uninstall) Name() string     { return "uninstall" }
func (*Uninstall) Synopsis() string { return "remove runsc's runtime from Docker's daemon.json" }
func (*Uninstall) Usage() string {
	return `uninstall [--runtime NAME] [--config-file PATH]

Removes the runtime NAME (default "runsc") from the "runtimes" object of Docker's daemon.json
(default ` + DefaultDockerConfig + `). An object left empty stays, as "runtimes": {}, so that
a reload of dockerd drops the runtime. Every other key is kept. Fails if the runtime is not
there.
`
}

func (u *Uninstall) SetFlags(f *flag.FlagSet) {
	f.StringVar(&u.runtime, "runtime", "runsc", "name of the runtime in daemon.json")
	f.StringVar(&u.configFile, "config-file", DefaultDockerConfig, "path of Docker's daemon.json")
}

func (u *Uninstall) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		return fail("uninstall: unexpected arguments %q", f.Args())
	}
	if err := uninstallRuntime(u.configFile, u.runtime); err != nil {
		return fail("uninstall: %v", err)
	}
	fmt.Printf("runtime %q removed from %s; reload dockerd (systemctl reload docker)\n", u.runtime, u.configFile)
	return subcommands.ExitSuccess
}

// uninstallRuntime deletes runtimes[name] from the daemon.json at file. An emptied
// "runtimes" object is kept: dockerd's reload (SIGHUP) replaces its runtimes only when the
// file has the key, so without it the removed runtime would stay registered until a restart.
func uninstallRuntime(file, name string) error {
	cfg, mode, err := readDaemonJSON(file)
	if err != nil {
		return err
	}
	runtimes, _ := cfg["runtimes"].(map[string]any)
	if _, ok := runtimes[name]; !ok {
		return fmt.Errorf("%s has no runtime %q", file, name)
	}
	delete(runtimes, name)
	return writeDaemonJSON(file, cfg, mode)
}
