package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/bundle"
)

// TestTeardownUnderLoad tears sandboxes down while test/c/teardown.c's processes and
// threads fork, map and touch memory and exit: init exiting by itself (the sentry kills the
// rest), `runsc kill --all`, and `delete --force` of the running container, a few rounds
// each, with the sandbox run under a subreaper (as containerd's shim runs it) and with
// --debug. Every time the sandbox process must end with init's status (3, or 137 when
// killed), leave no process behind, and print no Go panic or fault on its stderr (where the
// debug log goes too).
func TestTeardownUnderLoad(t *testing.T) {
	for _, mode := range []string{"init-exits", "kill-all", "delete-force"} {
		t.Run(mode, func(t *testing.T) {
			for round := 0; round < 3; round++ {
				teardownRound(t, mode, round)
			}
		})
	}
}

func teardownRound(t *testing.T, mode string, round int) {
	e := newEnv(t)
	bundle.CopyFile(t, cProg(t, "teardown"), filepath.Join(e.bundle, "rootfs", "bin", "teardown"))
	ms, want := "0", 137
	if mode == "init-exits" {
		ms, want = strconv.Itoa(100+100*round), 3
	}
	e.setArgs("/bin/teardown", ms)
	id := fmt.Sprintf("td%d", round)
	pidFile := filepath.Join(t.TempDir(), "pid")
	sr := e.createUnderSubreaperWith([]string{"--debug"}, id, pidFile)
	pid := e.state(id).Pid
	e.must("start", id)
	if mode != "init-exits" {
		// Let the tree grow: processes forking, threads mapping.
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
	}
	switch mode {
	case "kill-all":
		e.must("kill", "--all", id, "KILL")
	case "delete-force":
		e.must("delete", "--force", id)
	}
	if l := sr.next(t, 30*time.Second); l != fmt.Sprintf("exit %d", want) {
		t.Errorf("round %d: the sandbox process: %q, want \"exit %d\"", round, l, want)
	}
	if mode != "delete-force" {
		if w := e.runsc("wait", id); w.code != want {
			t.Errorf("round %d: wait: %+v, want %d", round, w, want)
		}
		if s := e.state(id); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != want {
			t.Errorf("round %d: state %+v, want stopped with %d", round, s, want)
		}
		e.must("delete", id)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sessionProcs(pid)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("round %d: processes left in the sandbox's session: %v", round, sessionProcs(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, err := os.ReadFile(sr.stderr)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"panic:", "fatal error:", "SIGSEGV", "unexpected fault address", "goroutine ", "tasks still exiting", "platform failure"} {
		if strings.Contains(string(log), bad) {
			t.Fatalf("round %d: the sandbox's stderr shows %q:\n%s", round, bad, tail(string(log), 60))
		}
	}
	if !strings.Contains(string(log), "sandbox ready") {
		t.Fatalf("round %d: no debug log on the sandbox's stderr (is --debug still logged there?):\n%s", round, tail(string(log), 20))
	}
	t.Logf("round %d: %d lines of sandbox stderr", round, strings.Count(string(log), "\n"))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
