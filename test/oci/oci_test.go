package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/bundle"
)

var (
	runsc    string // the runsc binary
	progBin  string // the static test program
	buildErr error
)

func TestMain(m *testing.M) {
	if os.Getenv(subreaperEnv) != "" {
		os.Exit(subreaperMain()) // pod_test.go
	}
	runsc = os.Getenv("RUNSC")
	if runsc == "" {
		runsc, _ = filepath.Abs("../../bin/runsc")
	}
	dir, err := os.MkdirTemp("", "stockade-oci-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	progBin = filepath.Join(dir, "prog")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", progBin, "testdata/prog.c").CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("gcc -static testdata/prog.c: %v: %s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needRunsc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(runsc); err != nil {
		t.Fatalf("runsc binary %s: %v (run make, or set RUNSC)", runsc, err)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// env is one test's state root and a bundle.
type env struct {
	t      *testing.T
	root   string
	bundle string
	// runcRoot is runc's state root, for tests that compare with runc (made on first use).
	runcRoot string
}

// newEnv makes a state root and a bundle whose rootfs has /bin/prog (and /bin/busybox if
// the host has it), with process.args set to args.
func newEnv(t *testing.T, args ...string) *env {
	t.Helper()
	needRunsc(t)
	e := &env{t: t, root: filepath.Join(t.TempDir(), "state"), bundle: t.TempDir()}
	bin := filepath.Join(e.bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	bundle.CopyFile(t, progBin, filepath.Join(bin, "prog"))
	if _, err := os.Stat("/bin/busybox"); err == nil {
		bundle.CopyFile(t, "/bin/busybox", filepath.Join(bin, "busybox"))
	}
	if r := e.runsc("spec", "--bundle", e.bundle); r.code != 0 {
		t.Fatalf("runsc spec: %s", r.stderr)
	}
	e.setArgs(args...)
	t.Cleanup(e.cleanup)
	return e
}

// editSpec rewrites the bundle's config.json through f.
func (e *env) editSpec(f func(m map[string]any)) {
	e.t.Helper()
	bundle.EditSpec(e.t, e.bundle, f)
}

func (e *env) setArgs(args ...string) {
	e.editSpec(func(m map[string]any) {
		a := make([]any, len(args))
		for i, s := range args {
			a[i] = s
		}
		m["process"].(map[string]any)["args"] = a
	})
}

// cleanup deletes every container left in the root, so that no sandbox outlives the test.
func (e *env) cleanup() {
	r := e.runsc("list", "-q")
	for _, id := range strings.Fields(r.stdout) {
		e.runsc("delete", "--force", id)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// runsc runs runsc with --root and args. Its stdio are files, not pipes: create passes them
// on to the sandbox, which would otherwise keep a pipe open after runsc returns.
func (e *env) runsc(args ...string) result {
	e.t.Helper()
	return e.runscWithin(60*time.Second, args...)
}

// runscWithin is runsc with a time limit: past it runsc is killed, the test is marked failed
// and the result's code is -1.
func (e *env) runscWithin(limit time.Duration, args ...string) result {
	e.t.Helper()
	dir := e.t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "out"))
	errf, _ := os.Create(filepath.Join(dir, "err"))
	defer out.Close()
	defer errf.Close()
	cmd := exec.Command(runsc, append([]string{"--root", e.root}, args...)...)
	cmd.Dir = e.bundle
	cmd.Stdout, cmd.Stderr = out, errf
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		e.t.Errorf("runsc %v: timed out after %v", args, limit)
	}
	o, _ := os.ReadFile(out.Name())
	er, _ := os.ReadFile(errf.Name())
	return result{string(o), string(er), cmd.ProcessState.ExitCode()}
}

// must runs runsc and fails the test unless it succeeds.
func (e *env) must(args ...string) result {
	e.t.Helper()
	r := e.runsc(args...)
	if r.code != 0 {
		e.t.Fatalf("runsc %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r
}

// fails runs runsc, which must fail with exactly one line on stderr containing want.
func (e *env) fails(want string, args ...string) {
	e.t.Helper()
	r := e.runsc(args...)
	if r.code == 0 {
		e.t.Fatalf("runsc %v succeeded, want an error containing %q", args, want)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		e.t.Fatalf("runsc %v: stderr %q, want one line containing %q", args, r.stderr, want)
	}
}

type ociState struct {
	ID         string `json:"id"`
	Pid        int    `json:"pid"`
	Status     string `json:"status"`
	Bundle     string `json:"bundle"`
	Rootfs     string `json:"rootfs"`
	Created    string `json:"created"`
	ExitCode   *int   `json:"exitCode"`
	OCIVersion string `json:"ociVersion"`
}

func (e *env) state(id string) ociState {
	e.t.Helper()
	r := e.must("state", id)
	var s ociState
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		e.t.Fatalf("state output %q: %v", r.stdout, err)
	}
	return s
}

// waitStatus polls until id's status is want.
func (e *env) waitStatus(id, want string) ociState {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := e.state(id)
		if s.Status == want || time.Now().After(deadline) {
			if s.Status != want {
				e.t.Fatalf("container %s is %s, want %s", id, s.Status, want)
			}
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sessionProcs lists the live processes of session sid (a sandbox and its stubs).
func sessionProcs(sid int) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(data, ')')
		f := strings.Fields(string(data[i+1:]))
		// f[0] is the state, f[3] the session.
		if len(f) > 3 && f[3] == strconv.Itoa(sid) && f[0] != "Z" && f[0] != "X" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestLifecycle: create → created → start → running → exit → stopped with the exit code.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, "prog", "s", "1")
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.must("create", "--bundle", e.bundle, "--pid-file", pidFile, "c1")
	s := e.state("c1")
	if s.Status != "created" || s.Pid <= 0 || s.ID != "c1" || s.Bundle != e.bundle ||
		s.Rootfs != filepath.Join(e.bundle, "rootfs") || s.Created == "" || s.OCIVersion == "" {
		t.Fatalf("after create: %+v", s)
	}
	if data, err := os.ReadFile(pidFile); err != nil || string(data) != strconv.Itoa(s.Pid) {
		t.Fatalf("pid file %q (%v), want %d", data, err, s.Pid)
	}
	if s.ExitCode != nil {
		t.Fatalf("created container has an exit code")
	}
	e.must("start", "c1")
	if s := e.state("c1"); s.Status != "running" {
		t.Fatalf("after start: %s", s.Status)
	}
	e.fails("cannot start container c1: container is running", "start", "c1")
	w := e.runsc("wait", "c1")
	if w.code != 0 || !strings.Contains(w.stdout, `"exitStatus":0`) {
		t.Fatalf("wait: %+v", w)
	}
	s = e.state("c1")
	if s.Status != "stopped" || s.Pid != 0 || s.ExitCode == nil || *s.ExitCode != 0 {
		t.Fatalf("after exit: %+v", s)
	}
	e.fails("cannot start container c1: container is stopped", "start", "c1")
	e.fails("cannot kill container c1: container not running", "kill", "c1", "KILL")
	// With --all there is nothing left to signal: success, as with runc (containerd's
	// shims kill --all an exited task before deleting it).
	e.must("kill", "--all", "c1", "KILL")
	e.must("delete", "c1")
	e.fails("container c1 does not exist", "state", "c1")
	if _, err := os.Stat(filepath.Join(e.root, "c1")); !os.IsNotExist(err) {
		t.Fatalf("state directory left after delete: %v", err)
	}
}

// TestRunExitCodes: run's exit code is the container's.
func TestRunExitCodes(t *testing.T) {
	for _, code := range []int{0, 3, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "/bin/prog", strconv.Itoa(code))
			if r := e.runsc("run", "r"); r.code != code {
				t.Fatalf("run: exit %d, want %d (stderr %q)", r.code, code, r.stderr)
			}
			// run deletes the container it made.
			if r := e.must("list", "-q"); r.stdout != "" {
				t.Fatalf("run left containers: %q", r.stdout)
			}
		})
	}
}

// TestRunOutput: the container's stdout is run's.
func TestRunOutput(t *testing.T) {
	e := newEnv(t, "prog")
	if r := e.must("run", "out"); r.stdout != "hi\n" {
		t.Fatalf("stdout %q, want hi", r.stdout)
	}
	// An absolute symlink inside the rootfs resolves against the rootfs.
	if err := os.Symlink("/bin/prog", filepath.Join(e.bundle, "rootfs", "bin", "link")); err != nil {
		t.Fatal(err)
	}
	e.setArgs("link", "5")
	if r := e.runsc("run", "link"); r.code != 5 {
		t.Fatalf("run through a symlink: %+v", r)
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("no /bin/busybox (apt-get install busybox-static)")
	}
	e.setArgs("busybox", "echo", "hello", "from", "busybox")
	if r := e.must("run", "bb"); r.stdout != "hello from busybox\n" {
		t.Fatalf("busybox echo: stdout %q", r.stdout)
	}
	e.setArgs("busybox", "true")
	e.must("run", "bbtrue")
}

// TestRunDetach: run --detach returns with the container running.
func TestRunDetach(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	e.must("run", "--detach", "d")
	if s := e.state("d"); s.Status != "running" {
		t.Fatalf("after run --detach: %s", s.Status)
	}
	e.must("kill", "d", "KILL")
	if w := e.runsc("wait", "d"); w.code != 137 {
		t.Fatalf("wait: %+v, want 137", w)
	}
	e.must("delete", "d")
}

// TestKillSignals: kill takes names and numbers, and the exit code says which signal. The
// container's init is protected as a pid namespace's init: SIGKILL always ends it, other
// signals only reach it through a handler (prog h exits with 128+signal from its handler;
// a signal sent before the handler is installed is lost, so kill repeats).
func TestKillSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  string
		want int
	}{{"KILL", 137}, {"SIGKILL", 137}, {"9", 137}, {"TERM", 143}, {"15", 143}, {"int", 130}, {"", 143}} {
		t.Run("sig="+tc.sig, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "prog", "h", "60")
			e.must("create", "k")
			e.must("start", "k")
			args := []string{"kill", "k"}
			if tc.sig != "" {
				args = append(args, tc.sig)
			}
			deadline := time.Now().Add(10 * time.Second)
			for e.state("k").Status == "running" && time.Now().Before(deadline) {
				e.runsc(args...)
				time.Sleep(50 * time.Millisecond)
			}
			w := e.runsc("wait", "k")
			if w.code != tc.want {
				t.Fatalf("after kill %s: wait exit %d (%s), want %d", tc.sig, w.code, w.stderr, tc.want)
			}
			if s := e.state("k"); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != tc.want {
				t.Fatalf("state after kill: %+v", s)
			}
		})
	}
}

// TestKillInitWithoutHandler: as on Linux (docker stop relies on it: SIGTERM, then SIGKILL
// after a grace period), an init without handlers ignores SIGTERM and SIGINT from outside;
// SIGSTOP stops it and SIGCONT continues it; SIGKILL ends it.
func TestKillInitWithoutHandler(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	e.must("create", "nh")
	e.must("start", "nh")
	e.must("kill", "nh", "TERM")
	e.must("kill", "nh", "INT")
	e.must("kill", "nh", "STOP")
	e.must("kill", "nh", "CONT")
	time.Sleep(300 * time.Millisecond)
	if s := e.state("nh"); s.Status != "running" {
		t.Fatalf("after kill TERM, INT, STOP, CONT: %s, want running", s.Status)
	}
	e.must("kill", "nh", "KILL")
	if w := e.runsc("wait", "nh"); w.code != 137 {
		t.Fatalf("wait after KILL: %+v, want 137", w)
	}
}

// TestKillCreated: a created container can be killed before it starts.
func TestKillCreated(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	e.must("create", "kc")
	e.must("kill", "kc", "0")
	e.must("kill", "kc", "KILL")
	if w := e.runsc("wait", "kc"); w.code != 137 {
		t.Fatalf("wait: %+v", w)
	}
	e.fails("cannot start container kc: container is stopped", "start", "kc")
}

// TestDeleteForce: delete refuses a running container; --force kills it, and leaves no
// process, mount or state.
func TestDeleteForce(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	mounts0, _ := os.ReadFile("/proc/self/mountinfo")
	e.must("create", "df")
	e.must("start", "df")
	pid := e.state("df").Pid
	e.fails("cannot delete container df: container is running", "delete", "df")
	if len(sessionProcs(pid)) == 0 {
		t.Fatalf("no sandbox processes in session %d", pid)
	}
	e.must("delete", "--force", "df")
	assertLeftNothing(t, e, "df", pid, "", mounts0)
	e.fails("container df does not exist", "delete", "df")
	e.must("delete", "--force", "df") // a missing container is fine with --force
}

// TestErrors: misuse gives a clear one-line error and a non-zero exit.
func TestErrors(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	e.must("create", "dup")
	e.fails("container dup already exists", "create", "dup")
	e.fails("container nope does not exist", "state", "nope")
	e.fails("container nope does not exist", "start", "nope")
	e.fails("container nope does not exist", "kill", "nope")
	e.fails(`invalid container id "a/b"`, "create", "a/b")
	e.fails(`invalid container id ".."`, "state", "..")
	e.fails(`unknown signal "NOPE"`, "kill", "dup", "NOPE")
	e.fails("expected exactly one container id", "start")
	e.must("delete", "dup") // a created container may be deleted
}

// TestBadBundleLeavesNoState: a bad spec is refused with its own message, and nothing is
// left in the state root.
func TestBadBundleLeavesNoState(t *testing.T) {
	e := newEnv(t, "prog")
	// A symlink out of the rootfs resolves inside it (RESOLVE_IN_ROOT): to nothing there.
	if err := os.Symlink("/../../../../bin/true", filepath.Join(e.bundle, "rootfs", "bin", "escape")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"no process", func(m map[string]any) { delete(m, "process") }, `"process" is missing`},
		{"no args", func(m map[string]any) { delete(m["process"].(map[string]any), "args") }, `"process.args" is missing or empty`},
		{"no root", func(m map[string]any) { delete(m, "root") }, `"root.path" is missing`},
		{"missing root", func(m map[string]any) { m["root"] = map[string]any{"path": "gone"} }, `root.path "gone": ` + e.bundle + `/gone does not exist`},
		{"namespace", func(m map[string]any) {
			m["linux"].(map[string]any)["namespaces"] = []any{map[string]any{"type": "uts"}, map[string]any{"type": "nope"}}
		}, `unknown namespace type "nope"`},
		{"sysctl not namespaced", func(m map[string]any) {
			m["linux"].(map[string]any)["sysctl"] = map[string]any{"kernel.foo": "1"}
		}, `linux.sysctl "kernel.foo" is not namespaced`},
		{"sysctl vm", func(m map[string]any) {
			m["linux"].(map[string]any)["sysctl"] = map[string]any{"net.ipv4.ping_group_range": "0 0", "vm.swappiness": "10"}
		}, `linux.sysctl "vm.swappiness" is not namespaced`},
		{"no executable", func(m map[string]any) { m["process"].(map[string]any)["args"] = []any{"nosuchprog"} }, `exec "nosuchprog": executable file not found in $PATH`},
		{"escaping symlink", func(m map[string]any) { m["process"].(map[string]any)["args"] = []any{"/bin/escape"} }, `exec "/bin/escape": no such file or directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := os.ReadFile(filepath.Join(e.bundle, "config.json"))
			defer os.WriteFile(filepath.Join(e.bundle, "config.json"), data, 0o644)
			e.t = t
			e.editSpec(tc.edit)
			e.fails(tc.want, "create", "bad")
			e.fails(tc.want, "run", "bad")
			if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
				t.Fatalf("state left in the root: %v", ents)
			}
		})
	}
	os.WriteFile(filepath.Join(e.bundle, "config.json"), []byte("{\n  \"process\": {,\n}"), 0o644)
	e.t = t
	e.fails("config.json: malformed JSON at line 2, column", "create", "bad")
	os.Remove(filepath.Join(e.bundle, "config.json"))
	e.fails("has no config.json", "create", "bad")
	gone := filepath.Join(e.bundle, "gone")
	e.fails("bundle "+gone+" does not exist", "create", "--bundle", gone, "bad")
	e.fails("bundle "+gone+" does not exist", "run", "--bundle", gone, "bad")
	if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
		t.Fatalf("state left in the root: %v", ents)
	}
}

// TestConcurrentCommands: 20 state and 20 kill 0 at once against one container never
// corrupt its state.
func TestConcurrentCommands(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	e.must("create", "cc")
	e.must("start", "cc")
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := e.runsc("state", "cc")
			var s ociState
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil || s.Status != "running" {
				errs <- fmt.Sprintf("state: %+v", r)
			}
			if data, err := os.ReadFile(filepath.Join(e.root, "cc", "state.json")); err != nil || !json.Valid(data) {
				errs <- fmt.Sprintf("state.json %q: %v", data, err)
			}
		}()
		go func() {
			defer wg.Done()
			if r := e.runsc("kill", "cc", "0"); r.code != 0 {
				errs <- fmt.Sprintf("kill 0: %+v", r)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.must("delete", "--force", "cc")
}

// TestList: list in table, json and quiet forms.
func TestList(t *testing.T) {
	e := newEnv(t, "prog", "s", "60")
	if r := e.must("list", "--format", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("empty list: %q", r.stdout)
	}
	e.must("create", "l1")
	e.must("create", "l2")
	if r := e.must("list", "-q"); r.stdout != "l1\nl2\n" {
		t.Fatalf("list -q: %q", r.stdout)
	}
	r := e.must("list", "--format", "json")
	var states []ociState
	if err := json.Unmarshal([]byte(r.stdout), &states); err != nil || len(states) != 2 || states[0].Status != "created" {
		t.Fatalf("list --format json: %q (%v)", r.stdout, err)
	}
	r = e.must("list")
	if !strings.HasPrefix(r.stdout, "ID") || !strings.Contains(r.stdout, "l2") || !strings.Contains(r.stdout, "created") {
		t.Fatalf("list: %q", r.stdout)
	}
}

// TestSpecCommand: spec writes a config.json once.
func TestSpecCommand(t *testing.T) {
	e := newEnv(t, "prog")
	dir := t.TempDir()
	e.must("spec", "-b", dir)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || !json.Valid(data) || !bytes.Contains(data, []byte(`"sh"`)) {
		t.Fatalf("config.json %q: %v", data, err)
	}
	e.fails("exists; remove it first", "spec", "-b", dir)
}

// TestRuntimeFlags: runc's global flags are accepted.
func TestRuntimeFlags(t *testing.T) {
	e := newEnv(t, "prog", "7")
	logFile := filepath.Join(t.TempDir(), "log")
	r := e.runsc("--log", logFile, "--log-format", "json", "--debug", "--systemd-cgroup", "run", "f")
	if r.code != 7 {
		t.Fatalf("run: %+v", r)
	}
	data, _ := os.ReadFile(logFile)
	if !bytes.Contains(data, []byte(`"level":"debug"`)) || !bytes.Contains(data, []byte("systemd-cgroup")) {
		t.Fatalf("--log json: %q", data)
	}
	e.fails(`unknown --log-format "xml"`, "--log-format", "xml", "list")

	// Ours: --platform, --overlay, --strace into --debug-log, one file per container (the
	// sandbox's own pid is 1 in its namespace, so the file is named by the container id).
	dbg := t.TempDir()
	for _, id := range []string{"s1", "s2"} {
		if r := e.runsc("--platform", "ptrace", "--overlay", "root:memory", "--strace", "--debug-log", dbg, "run", id); r.code != 7 {
			t.Fatalf("run with --strace --debug-log: %+v", r)
		}
		data, err := os.ReadFile(filepath.Join(dbg, "runsc."+id+".boot.log"))
		if err != nil || !bytes.Contains(data, []byte("exit_group(7)")) {
			t.Fatalf("debug log of %s: %q (%v), want the strace of exit_group(7)", id, data, err)
		}
	}
	e.fails(`unknown platform "kvm"`, "--platform", "kvm", "run", "p")
	e.fails(`unknown --overlay "disk"`, "--overlay", "disk", "run", "p")

	// --network: none (the default, and the only mode: the sentry has no sockets) reaches
	// `runsc boot`; gVisor's sandbox and host are refused by name, before any state exists.
	if r := e.runsc("--network=none", "run", "n1"); r.code != 7 {
		t.Fatalf("run --network=none: %+v", r)
	}
	e.must("--network", "none", "create", "n2")
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", e.state("n2").Pid))
	if err != nil || !bytes.Contains(cmdline, []byte("\x00--network=none\x00")) {
		t.Fatalf("sandbox of n2: cmdline %q (%v), want --network=none passed on", cmdline, err)
	}
	e.must("delete", "--force", "n2")
	for _, cmd := range [][]string{{"run", "n3"}, {"create", "n3"}, {"list"}, {"do", "/bin/true"}} {
		for _, v := range []string{"sandbox", "host"} {
			e.fails("--network="+v+": not implemented yet: the sentry has no sockets (socket(2) is ENOSYS); only none is available",
				append([]string{"--network=" + v}, cmd...)...)
		}
		e.fails(`--network: want sandbox, host or none, not "bogus"`, append([]string{"--network=bogus"}, cmd...)...)
	}
	if r := e.must("list", "-q"); r.stdout != "" {
		t.Fatalf("list after refused --network: %q, want no containers", r.stdout)
	}
}
