package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// OCI start-to-exit: `runsc run` of a bundle whose process is the static true, against
// `runc run` of the same bundle in the same run, the two alternating (skipped when runc is
// not installed). Each run creates, starts, waits for and deletes a container of a fresh id.

// ociBundle makes a bundle in dir with trueBin as /bin/true and returns its path.
func ociBundle(dir, trueBin string) (string, error) {
	bundle := filepath.Join(dir, "bundle")
	bin := filepath.Join(bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	data, err := os.ReadFile(trueBin)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(bin, "true"), data, 0o755); err != nil {
		return "", err
	}
	spec := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"args": []string{"/bin/true"}, "cwd": "/", "env": []string{"PATH=/bin"},
			"user": map[string]any{"uid": 0, "gid": 0},
		},
		"root":     map[string]any{"path": "rootfs", "readonly": true},
		"hostname": "bench",
		"mounts":   []any{map[string]any{"destination": "/proc", "type": "proc", "source": "proc"}},
		"linux": map[string]any{
			"namespaces": []any{
				map[string]any{"type": "pid"}, map[string]any{"type": "ipc"}, map[string]any{"type": "uts"},
				map[string]any{"type": "mount"}, map[string]any{"type": "network"},
			},
		},
	}
	out, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	return bundle, os.WriteFile(filepath.Join(bundle, "config.json"), out, 0o644)
}

// ociRun runs `runtime --root root run --bundle bundle ID` once, with an ID of its own, and
// returns its wall time.
func ociRun(runtime, root, bundle string, i int) (time.Duration, error) {
	id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i)
	_, d, err := runOnce(exec.Command(runtime, "--root", root, "run", "--bundle", bundle, id))
	if err != nil {
		exec.Command(runtime, "--root", root, "delete", "--force", id).Run()
	}
	return d, err
}

// ociRows measures runc and runsc running the bundle: the row's first result is runc's
// (the baseline the table calls native), the second runsc's.
func ociRows(dir, runsc, trueBin string) ([]time.Duration, error) {
	runc, err := exec.LookPath("runc")
	if err != nil || os.Geteuid() != 0 {
		return nil, nil
	}
	bundle, err := ociBundle(dir, trueBin)
	if err != nil {
		return nil, err
	}
	return medianPair(
		func(i int) (time.Duration, error) { return ociRun(runc, filepath.Join(dir, "runc-root"), bundle, i) },
		func(i int) (time.Duration, error) { return ociRun(runsc, filepath.Join(dir, "runsc-root"), bundle, i) },
		"runc run", "runsc run")
}

// medianPair times a and b alternately, one warm-up run each then the configured number of
// runs, and returns their medians: a load that changes during the run weighs on both alike.
func medianPair(a, b func(i int) (time.Duration, error), aName, bName string) ([]time.Duration, error) {
	var as, bs []time.Duration
	for i := -1; i < *runsFlag; i++ {
		da, err := a(i + 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", aName, err)
		}
		db, err := b(i + 1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bName, err)
		}
		if i >= 0 {
			as, bs = append(as, da), append(bs, db)
		}
	}
	return []time.Duration{median(as), median(bs)}, nil
}
