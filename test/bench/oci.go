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
// `runc run` of the same bundle in the same run (skipped when runc is not installed).
// Each run creates, starts, waits for and deletes a container of a fresh id.

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

// medianOCIRun times `runtime --root root run --bundle bundle ID` (after one warm-up).
func medianOCIRun(runtime, root, bundle string) (time.Duration, error) {
	var ds []time.Duration
	for i := -1; i < *runsFlag; i++ {
		id := fmt.Sprintf("bench-%d-%d", os.Getpid(), i+1)
		cmd := exec.Command(runtime, "--root", root, "run", "--bundle", bundle, id)
		cmd.Stdin = nil
		_, d, err := runOnce(cmd)
		if err != nil {
			exec.Command(runtime, "--root", root, "delete", "--force", id).Run()
			return 0, err
		}
		if i >= 0 {
			ds = append(ds, d)
		}
	}
	return median(ds), nil
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
	rc, err := medianOCIRun(runc, filepath.Join(dir, "runc-root"), bundle)
	if err != nil {
		return nil, fmt.Errorf("runc run: %w", err)
	}
	rs, err := medianOCIRun(runsc, filepath.Join(dir, "runsc-root"), bundle)
	if err != nil {
		return nil, fmt.Errorf("runsc run: %w", err)
	}
	return []time.Duration{rc, rs}, nil
}
