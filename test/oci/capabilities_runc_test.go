package oci

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runc runs runc with a state root of the test's own (made on first use) in the bundle and
// returns its stdout; a detached run's stdio is /dev/null (the container keeps it). runc
// must be installed (.ci/run installs it).
func (e *env) runc(detached bool, args ...string) string {
	e.t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		e.t.Fatal("runc not found: apt-get install -y runc (.ci/run installs it)")
	}
	if e.runcRoot == "" {
		e.runcRoot = e.t.TempDir()
		root := e.runcRoot
		e.t.Cleanup(func() {
			out, _ := exec.Command(runc, "--root", root, "list", "-q").Output()
			for _, id := range strings.Fields(string(out)) {
				exec.Command(runc, "--root", root, "delete", "--force", id).Run()
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runc, append([]string{"--root", e.runcRoot}, args...)...)
	cmd.Dir = e.bundle
	var stdout, stderr strings.Builder
	if !detached {
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
	}
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("runc %v: %v: %s", args, err, stderr.String())
	}
	return stdout.String()
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
			e.linkApplets("grep")
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
			want := e.runc(false, "run", fmt.Sprintf("caps-%s-%d", tc.name, os.Getpid()))
			if !strings.Contains(want, "CapEff:") {
				t.Fatalf("runc's output has no CapEff: %q", want)
			}
			if got := e.must("run", "runsc-"+tc.name).stdout; got != want {
				t.Errorf("runsc's sets differ from runc's:\nrunc:\n%srunsc:\n%s", want, got)
			}
		})
	}
}

// TestExecCapabilitiesMatchRunc: an exec'd process's sets are what runc exec gives, with
// and without --cap, for a non-root user with an ambient capability: the container's sets
// recomputed by the program's execve (a --cap capability reaches the bounding set only).
func TestExecCapabilitiesMatchRunc(t *testing.T) {
	e := newBusyboxEnv(t, "")
	e.linkApplets("grep")
	e.setArgs("sleep", "100")
	two := []any{"CAP_KILL", "CAP_NET_BIND_SERVICE"}
	e.editSpec(func(m map[string]any) {
		p := m["process"].(map[string]any)
		p["terminal"] = false
		p["user"] = map[string]any{"uid": 1000, "gid": 1000}
		p["capabilities"] = map[string]any{"bounding": two, "effective": two, "permitted": two,
			"inheritable": []any{"CAP_KILL"}, "ambient": []any{"CAP_KILL"}}
	})
	id := fmt.Sprintf("execcaps-%d", os.Getpid())
	e.runc(true, "run", "--detach", id)
	e.must("run", "--detach", id)
	defer e.runsc("delete", "--force", id)
	for _, extra := range [][]string{nil, {"--cap", "CAP_CHOWN"}} {
		args := append(append([]string{"exec"}, extra...), id, "grep", "^Cap", "/proc/self/status")
		want := e.runc(false, args...)
		if got := e.must(args...).stdout; got != want {
			t.Errorf("exec %v: runsc's sets differ from runc's:\nrunc:\n%srunsc:\n%s", extra, want, got)
		}
	}
}
