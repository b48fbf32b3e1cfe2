package oci

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runcRun runs `runc run` of the env's bundle under a root of its own and returns its
// stdout. runc must be installed (.ci/run installs it).
func (e *env) runcRun(id string) string {
	e.t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		e.t.Fatal("runc not found: apt-get install -y runc (.ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root := e.t.TempDir()
	cmd := exec.CommandContext(ctx, runc, "--root", root, "run", id)
	cmd.Dir = e.bundle
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		exec.Command(runc, "--root", root, "delete", "--force", id).Run()
		e.t.Fatalf("runc run: %v: %s", err, stderr.String())
	}
	return string(out)
}

// TestCapabilitiesMatchRunc: init's capability sets, as /proc/self/status shows them to the
// container's first program itself (not to a child of a shell), are what runc gives the
// same config.json. runc applies process.capabilities, changes to process.user keeping
// them, and execs the program, whose execve recomputes them: a non-root user keeps only its
// ambient set as permitted and effective; root gets its bounding set, within the
// configured permitted set under noNewPrivileges; no capabilities at all means none.
func TestCapabilitiesMatchRunc(t *testing.T) {
	three := []any{"CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"}
	kill := []any{"CAP_KILL"}
	for _, tc := range []struct {
		name string
		uid  int
		nnp  bool
		caps map[string]any // nil: no process.capabilities
	}{
		{"non-root", 1000, true, map[string]any{"bounding": three, "effective": three, "permitted": three, "inheritable": []any{"CAP_KILL", "CAP_CHOWN"}}},
		{"non-root-ambient", 1000, true, map[string]any{"bounding": three, "effective": three, "permitted": three, "inheritable": []any{"CAP_KILL", "CAP_CHOWN"}, "ambient": kill}},
		{"non-root-new-privs", 1000, false, map[string]any{"bounding": three, "effective": three, "permitted": three, "inheritable": kill, "ambient": kill}},
		{"root-no-new-privs", 0, true, map[string]any{"bounding": three, "effective": kill, "permitted": kill}},
		{"root", 0, false, map[string]any{"bounding": three, "effective": kill, "permitted": kill}},
		{"root-inheritable", 0, false, map[string]any{"bounding": kill, "effective": kill, "permitted": kill, "inheritable": kill}},
		{"root-none", 0, false, nil},
		{"non-root-none", 1000, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newBusyboxEnv(t, "")
			if err := os.Symlink("busybox", filepath.Join(e.bundle, "rootfs", "bin", "grep")); err != nil {
				t.Fatal(err)
			}
			e.setArgs("grep", "^Cap", "/proc/self/status")
			e.editSpec(func(m map[string]any) {
				p := m["process"].(map[string]any)
				p["terminal"] = false
				p["noNewPrivileges"] = tc.nnp
				p["user"] = map[string]any{"uid": tc.uid, "gid": tc.uid}
				if tc.caps == nil {
					delete(p, "capabilities")
				} else {
					p["capabilities"] = tc.caps
				}
			})
			// runc derives the container's cgroup from its id: one per test process.
			want := e.runcRun(fmt.Sprintf("caps-%s-%d", tc.name, os.Getpid()))
			if !strings.Contains(want, "CapEff:") {
				t.Fatalf("runc's output has no CapEff: %q", want)
			}
			if got := e.must("run", "runsc-"+tc.name).stdout; got != want {
				t.Errorf("runsc's sets differ from runc's:\nrunc:\n%srunsc:\n%s", want, got)
			}
		})
	}
}
