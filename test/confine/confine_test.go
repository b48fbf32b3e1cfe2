// Package confine checks, from outside, how runsc confines its own processes
// (docs/security.md): a container's sandbox process and gofer run with a seccomp filter,
// no_new_privs and reduced capabilities, the sandbox in its own namespaces with an empty
// root, the gofer pivoted into a root holding only what it serves; a forbidden host syscall kills the sandbox.
//
// RUNSC names the runsc binary (default <repo>/bin/runsc; `make test` sets it). The tests
// of runsc as root need root; the rootless ones (rootless_test.go) run runsc as an
// unprivileged user: nobody when the test runs as root (with setpriv), else the test's own.
package confine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/bundle"
)

var (
	runsc    string
	progBin  string
	buildErr error
)

func TestMain(m *testing.M) {
	runsc = os.Getenv("RUNSC")
	if runsc == "" {
		runsc, _ = filepath.Abs("../../bin/runsc")
	}
	dir, err := os.MkdirTemp("", "stockade-confine-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	progBin = filepath.Join(dir, "sleeper")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", progBin, "testdata/sleeper.c").CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("gcc -static testdata/sleeper.c: %v: %s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type env struct {
	t            *testing.T
	root, bundle string
	extraEnv     []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if _, err := os.Stat(runsc); err != nil {
		t.Fatalf("runsc binary %s: %v (run make, or set RUNSC)", runsc, err)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the sandbox gets namespaces and an empty root only then")
	}
	e := &env{t: t, root: filepath.Join(t.TempDir(), "state"), bundle: t.TempDir()}
	bin := filepath.Join(e.bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	bundle.CopyFile(t, progBin, filepath.Join(bin, "sleeper"))
	if out, code := e.runsc("spec", "--bundle", e.bundle); code != 0 {
		t.Fatalf("runsc spec: %s", out)
	}
	setArgs(t, e.bundle, nil, "/bin/sleeper")
	return e
}

// setArgs makes args the process.args of the bundle in dir (no terminal), and applies
// edit, if any, to the rest of the spec.
func setArgs(t *testing.T, dir string, edit func(m map[string]any), args ...string) {
	t.Helper()
	bundle.EditSpec(t, dir, func(m map[string]any) {
		p := m["process"].(map[string]any)
		p["args"] = args
		p["terminal"] = false
		if edit != nil {
			edit(m)
		}
	})
}

// runsc runs runsc with the env's state root; it returns stdout and stderr, and the exit
// code. Output goes to files: a sandbox inherits them and outlives the command.
func (e *env) runsc(args ...string) (string, int) {
	e.t.Helper()
	f, err := os.CreateTemp(e.t.TempDir(), "out")
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(runsc, append([]string{"--root", e.root}, args...)...)
	cmd.Env = append(os.Environ(), e.extraEnv...)
	return runToFile(e.t, cmd, f)
}

// runToFile runs cmd with its stdout and stderr going to f (not a pipe: a sandbox inherits
// them and outlives the command), kills it after a minute, and returns what it wrote to f
// and its exit code.
func runToFile(t *testing.T, cmd *exec.Cmd, f *os.File) (string, int) {
	t.Helper()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("%v: timed out", cmd.Args)
	}
	out, _ := os.ReadFile(f.Name())
	return string(out), cmd.ProcessState.ExitCode()
}

func status(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// checkGoferRoot checks that gofer pid's root is its own read-only tmpfs holding /0, a
// bind mount of rootfs, and /proc, and nothing of the host's tree.
func checkGoferRoot(t *testing.T, pid int, rootfs string) {
	t.Helper()
	groot := fmt.Sprintf("/proc/%d/root", pid)
	names := func(dir string) string {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("gofer %d: %v", pid, err)
		}
		var n []string
		for _, e := range ents {
			n = append(n, e.Name())
		}
		return strings.Join(n, " ")
	}
	if got := names(groot); got != "0 proc" {
		t.Errorf("gofer %d: its root holds %q, want \"0 proc\"", pid, got)
	}
	if got, want := names(groot+"/0"), names(rootfs); got != want {
		t.Errorf("gofer %d: its /0 holds %q, want the rootfs's %q", pid, got, want)
	}
	if err := os.Mkdir(groot+"/x", 0o755); !errors.Is(err, syscall.EROFS) {
		t.Errorf("gofer %d: mkdir in its root: %v, want EROFS", pid, err)
	}
	// Its /proc is its own pid namespace's: itself, pid 1, alone.
	if got := procPids(t, groot+"/proc"); len(got) != 1 || got[0] != "1" {
		t.Errorf("gofer %d: its /proc lists processes %v, want only 1", pid, got)
	}
}

// procPids lists the process directories of the procfs at dir.
func procPids(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// gofers returns the pids of runsc gofer processes serving rootfs.
func gofers(rootfs string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		isGofer, serves := false, false
		for _, a := range args {
			isGofer = isGofer || a == "gofer"
			serves = serves || strings.Contains(a, rootfs)
		}
		if isGofer && serves {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestConfined(t *testing.T) {
	e := newEnv(t)
	const id = "confined"
	if out, code := e.runsc("create", "--bundle", e.bundle, id); code != 0 {
		t.Fatalf("runsc create: %s", out)
	}
	defer e.runsc("delete", "--force", id)
	if out, code := e.runsc("start", id); code != 0 {
		t.Fatalf("runsc start: %s", out)
	}
	out, code := e.runsc("state", id)
	if code != 0 {
		t.Fatalf("runsc state: %s", out)
	}
	var st struct {
		Pid    int    `json:"pid"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Pid == 0 || st.Status != "running" {
		t.Fatalf("runsc state: %s (%v)", out, err)
	}

	s := status(t, st.Pid)
	if s["Seccomp"] != "2" || s["NoNewPrivs"] != "1" {
		t.Errorf("sandbox: Seccomp %q NoNewPrivs %q, want 2 and 1", s["Seccomp"], s["NoNewPrivs"])
	}
	if s["CapEff"] != "0000000000000000" || s["CapPrm"] != "0000000000000000" || s["CapBnd"] != "0000000000000000" {
		t.Errorf("sandbox: CapEff %s CapPrm %s CapBnd %s, want none", s["CapEff"], s["CapPrm"], s["CapBnd"])
	}
	checkOwnNamespaces(t, st.Pid, "mnt", "pid", "ipc", "uts", "net")
	root := fmt.Sprintf("/proc/%d/root", st.Pid)
	d, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("sandbox root %s holds %v, want an empty directory", root, names)
	}
	// The stubs of the ptrace platform inherit it all: check one (a child of the sandbox).
	if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", st.Pid, st.Pid)); err == nil {
		for _, k := range strings.Fields(string(kids)) {
			pid, _ := strconv.Atoi(k)
			if ks := status(t, pid); ks["Seccomp"] != "2" || ks["CapEff"] != "0000000000000000" {
				t.Errorf("sandbox child %d: Seccomp %q CapEff %q", pid, ks["Seccomp"], ks["CapEff"])
			}
		}
	}

	rootfs := filepath.Join(e.bundle, "rootfs")
	gp := gofers(rootfs)
	if len(gp) == 0 {
		t.Fatalf("no gofer serving %s found", rootfs)
	}
	for _, pid := range gp {
		gs := status(t, pid)
		if gs["Seccomp"] != "2" || gs["NoNewPrivs"] != "1" {
			t.Errorf("gofer %d: Seccomp %q NoNewPrivs %q, want 2 and 1", pid, gs["Seccomp"], gs["NoNewPrivs"])
		}
		checkGoferRoot(t, pid, rootfs)
		// No network (nor other processes, IPC or host name) even past its filter, and
		// no host mount: the gofer has namespaces of its own, apart from the test's and
		// the sandbox's.
		for _, ns := range []string{"net", "pid", "ipc", "uts", "mnt"} {
			mine, err1 := os.Readlink("/proc/self/ns/" + ns)
			its, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
			sbs, err3 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns))
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatalf("ns %s: %v %v %v", ns, err1, err2, err3)
			}
			if its == mine || its == sbs {
				t.Errorf("gofer %d: %s namespace %s, shared with the test (%s) or the sandbox (%s)", pid, ns, its, mine, sbs)
			}
		}
	}

	killAndWait(t, e.runsc, id)
}

// checkOwnNamespaces checks that process pid (the sandbox) has namespaces of each of the
// types nss of its own, none shared with the test.
func checkOwnNamespaces(t *testing.T, pid int, nss ...string) {
	t.Helper()
	for _, ns := range nss {
		mine, err1 := os.Readlink("/proc/self/ns/" + ns)
		its, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		if err1 != nil || err2 != nil {
			t.Fatalf("ns %s: %v %v", ns, err1, err2)
		}
		if mine == its {
			t.Errorf("sandbox shares the %s namespace (%s) with the test", ns, its)
		}
	}
}

// killAndWait kills container id with SIGKILL through runsc (a runsc command runner) and
// waits, 10s at most, for its state to read stopped with exitSignal 9: the exit file is
// written by the confined sandbox.
func killAndWait(t *testing.T, runsc func(args ...string) (string, int), id string) {
	t.Helper()
	if out, code := runsc("kill", id, "KILL"); code != 0 {
		t.Fatalf("runsc kill: %s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := runsc("state", id)
		if strings.Contains(out, `"stopped"`) {
			if !strings.Contains(out, `"exitSignal": 9`) {
				t.Errorf("state after kill: %s (want exitSignal 9: the exit file is written by the confined sandbox)", out)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container not stopped: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestForbiddenSyscallKills makes the sandbox call open("/etc/passwd") once confined.
func TestForbiddenSyscallKills(t *testing.T) {
	e := newEnv(t)
	e.extraEnv = []string{"STOCKADE_DEBUG_FORBIDDEN_SYSCALL_TEST=1"}
	out, code := e.runsc("create", "--bundle", e.bundle, "forbidden")
	defer e.runsc("delete", "--force", "forbidden")
	if code == 0 || !strings.Contains(out, "bad system call") {
		t.Fatalf("runsc create: exit %d, output %q; want a failure, the sandbox killed by SIGSYS", code, out)
	}
}
