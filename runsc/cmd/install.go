package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/subcommands"
)

// DefaultDockerConfig is where dockerd reads its configuration unless told otherwise.
const DefaultDockerConfig = "/etc/docker/daemon.json"

// Install implements `runsc install`: register runsc as a Docker runtime in daemon.json.
type Install struct {
	runtime    string
	configFile string
}

func (*Install) Name() string     { return "install" }
func (*Install) Synopsis() string { return "register runsc as a runtime in Docker's daemon.json" }
func (*Install) Usage() string {
	return `install [--runtime NAME] [--config-file PATH] [-- RUNSC_FLAGS...]

Adds (or replaces) the runtime NAME (default "runsc") in the "runtimes" object of Docker's
daemon.json (default ` + DefaultDockerConfig + `), pointing at this runsc binary; RUNSC_FLAGS
become the runtime's "runtimeArgs", global flags dockerd passes to every runsc command (for
example -- --debug --debug-log=/tmp/runsc/). Every other key of the file is kept. The file is
created if it does not exist. Restart or reload dockerd afterwards, then:
docker run --runtime=NAME ...
`
}

func (i *Install) SetFlags(f *flag.FlagSet) {
	f.StringVar(&i.runtime, "runtime", "runsc", "name of the runtime in daemon.json (docker run --runtime=NAME)")
	f.StringVar(&i.configFile, "config-file", DefaultDockerConfig, "path of Docker's daemon.json")
}

func (i *Install) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	exe, err := os.Executable()
	if err != nil {
		return fail("install: finding this binary: %v", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return fail("install: finding this binary: %v", err)
	}
	if err := installRuntime(i.configFile, i.runtime, exe, f.Args()); err != nil {
		return fail("install: %v", err)
	}
	fmt.Printf("runtime %q (%s) added to %s; reload dockerd (systemctl reload docker) to use it\n", i.runtime, exe, i.configFile)
	return subcommands.ExitSuccess
}

// installRuntime sets runtimes[name] = {path, runtimeArgs} in the daemon.json at file.
func installRuntime(file, name, path string, args []string) error {
	if name == "" {
		return errors.New("--runtime must not be empty")
	}
	cfg, mode, err := readDaemonJSON(file)
	if err != nil {
		return err
	}
	runtimes := map[string]any{}
	if raw, ok := cfg["runtimes"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: \"runtimes\" is not an object", file)
		}
		runtimes = m
	}
	rt := map[string]any{"path": path}
	if len(args) > 0 {
		rt["runtimeArgs"] = args
	}
	runtimes[name] = rt
	cfg["runtimes"] = runtimes
	return writeDaemonJSON(file, cfg, mode)
}

// readDaemonJSON parses the daemon.json at file into a generic map (numbers kept exactly as
// written), returning an empty one and mode 0644 if the file does not exist or is empty.
func readDaemonJSON(file string) (map[string]any, fs.FileMode, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, 0o644, nil
	}
	if err != nil {
		return nil, 0, err
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, 0, err
	}
	cfg := map[string]any{}
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, st.Mode().Perm(), nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&cfg); err != nil {
		return nil, 0, fmt.Errorf("%s: not a JSON object: %w", file, err)
	}
	if dec.More() {
		return nil, 0, fmt.Errorf("%s: unexpected data after the JSON object", file)
	}
	return cfg, st.Mode().Perm(), nil
}

// writeDaemonJSON replaces file with cfg atomically (a temporary file in the same directory,
// renamed over it), so that dockerd never reads half a file.
func writeDaemonJSON(file string, cfg map[string]any, mode fs.FileMode) error {
	data, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		return err
	}
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".daemon.json.")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
