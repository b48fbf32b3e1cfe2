package oci

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tests of exec, ps, pause/resume, events, update, cgroups, hooks and joining a network
// namespace.

// startBusybox creates and starts container id running script under busybox sh.
func startBusybox(t *testing.T, id, script string) *env {
	t.Helper()
	e := newBusyboxEnv(t, script)
	e.setProcess("env", []any{"PATH=/bin", "FOO=bar"})
	e.must("run", "--detach", id)
	return e
}

// TestExec: exec's argv form, its flags, process.json, exit codes and output.
func TestExec(t *testing.T) {
	e := startBusybox(t, "x", "sleep 60")
	if r := e.runsc("exec", "x", "sh", "-c", "echo out $FOO; echo err >&2; exit 3"); r.code != 3 || r.stdout != "out bar\n" || r.stderr != "err\n" {
		t.Fatalf("exec: %+v, want exit 3, out bar, err", r)
	}
	r := e.must("exec", "--env", "FOO=baz", "-e", "NEW=1", "--cwd", "/etc", "--user", "1000:1001", "-g", "5", "--additional-gids", "6",
		"--cap", "CAP_NET_ADMIN", "--no-new-privs", "--apparmor", "p", "--process-label", "l",
		"x", "sh", "-c", "echo $FOO $NEW; pwd; id -u; id -g; id -G")
	if r.stdout != "baz 1\n/etc\n1000\n1001\n1001 5 6\n" {
		t.Fatalf("exec with flags: %q", r.stdout)
	}
	// Signal deaths are 128+N.
	if r := e.runsc("exec", "x", "sh", "-c", "kill -9 $$"); r.code != 137 {
		t.Fatalf("exec killed by SIGKILL: %+v", r)
	}
	proc := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(proc, []byte(`{"args":["sh","-c","echo $A; pwd; exit 4"],"env":["A=from-json","PATH=/bin"],"cwd":"/bin","user":{"uid":0,"gid":0}}`), 0o644)
	if r := e.runsc("exec", "-p", proc, "x"); r.code != 4 || r.stdout != "from-json\n/bin\n" {
		t.Fatalf("exec -p: %+v", r)
	}
	// The container keeps running; exec'd processes are gone from ps once they exited.
	if s := e.state("x"); s.Status != "running" {
		t.Fatalf("after execs: %s", s.Status)
	}
	if got := psPids(t, e, "x"); got != "[1]" {
		t.Fatalf("ps after execs: %q", got)
	}
	e.fails("exec: no command given", "exec", "x")
	e.fails(`--user "bob": want <uid>[:<gid>]`, "exec", "--user", "bob", "x", "true")
	e.fails(`--env "NOEQUALS": want NAME=VALUE`, "exec", "--env", "NOEQUALS", "x", "true")
	e.fails(`exec "nosuch": executable file not found in $PATH`, "exec", "x", "nosuch")
	e.fails("cwd /nowhere: no such file or directory", "exec", "--cwd", "/nowhere", "x", "true")
	e.fails("container nope does not exist", "exec", "nope", "true")
	e.fails(`"args" is missing or empty`, "exec", "-p", writeTemp(t, `{"env":[]}`), "x")
	e.fails("malformed JSON", "exec", "-p", writeTemp(t, `{`), "x")
	e.must("kill", "x", "KILL")
	e.waitStatus("x", "stopped")
	e.fails("cannot exec in container x: container is stopped", "exec", "x", "true")
}

func writeTemp(t *testing.T, content string) string {
	name := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestExecCreated: a created container (init not started) takes no exec.
func TestExecCreated(t *testing.T) {
	e := newBusyboxEnv(t, "sleep 60")
	e.must("create", "c")
	e.fails("cannot exec in container c: container is created", "exec", "c", "true")
}

// TestExecDetachAndSignals: exec --detach returns at once and --pid-file names a host
// process that lives as long as the exec'd one; a non-detached exec passes its signals on.
func TestExecDetachAndSignals(t *testing.T) {
	e := startBusybox(t, "d", "sleep 60")
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	e.must("exec", "--detach", "--pid-file", pidFile, "d", "sh", "-c", "sleep 60; true", "-d")
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("exec --detach took %v", d)
	}
	data, err := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(data))
	if err != nil || pid <= 0 || !hostAlive(pid) {
		t.Fatalf("pid file %q (%v): not a live process", data, err)
	}
	// (The shell's child may not have exec'd sleep yet.)
	var r result
	var lines []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r = e.must("ps", "d")
		lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) == 4 && strings.HasSuffix(lines[3], "sleep 60") || time.Now().After(deadline) {
			break
		}
	}
	// init, the exec'd shell (its argument -d passed through as the command's own), and
	// the shell's sleep.
	if len(lines) != 4 || lines[0] != "UID        PID  PPID  C STIME TTY          TIME CMD" ||
		!strings.HasSuffix(lines[1], "sleep 60") || !strings.HasSuffix(lines[2], "sh -c sleep 60; true -d") ||
		!strings.HasSuffix(lines[3], "sleep 60") {
		t.Fatalf("ps: %q", r.stdout)
	}
	f := strings.Fields(lines[2])
	if f[0] != "root" || f[1] != "2" || f[2] != "0" || strings.Fields(lines[3])[2] != "2" {
		t.Fatalf("ps: the exec'd process %q should be root's pid 2 with ppid 0, its child's parent", lines[2])
	}
	// Killing the host process that waits for it (SIGTERM) passes the signal on.
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for hostAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if hostAlive(pid) {
		t.Fatalf("exec process %d did not end on SIGTERM", pid)
	}
	// The shell's sleep outlives it, adopted by init.
	if got := psPids(t, e, "d"); got != "[1,3]" {
		t.Fatalf("ps after the exec'd process was killed: %q", got)
	}
	if r := e.must("ps", "d"); !strings.Contains(r.stdout, "root         3     1 ") {
		t.Fatalf("the orphan is not init's child: %q", r.stdout)
	}

	// A foreground exec: its exit status reports the forwarded signal.
	cmd := exec.Command(runsc, "--root", e.root, "exec", "d", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForProcs(t, e, "d", 3)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exec after SIGINT: exit %d, want 130", code)
	}
}

// waitForProcs waits until container id has n processes.
func waitForProcs(t *testing.T, e *env, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pids := psPids(t, e, id)
		if strings.Count(pids, ",")+1 == n && pids != "[]" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s has processes %v, want %d", id, pids, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type statsEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data struct {
		CPU struct {
			Usage struct {
				Total, Kernel, User uint64
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Limit, Usage uint64
			} `json:"usage"`
		} `json:"memory"`
		Pids struct {
			Current, Limit uint64
		} `json:"pids"`
	} `json:"data"`
}

func (e *env) stats(id string) statsEvent {
	e.t.Helper()
	r := e.must("events", "--stats", id)
	var ev statsEvent
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil || ev.Type != "stats" || ev.ID != id {
		e.t.Fatalf("events --stats: %q (%v)", r.stdout, err)
	}
	return ev
}

// TestPauseResume: a paused container runs nothing (its CPU time stands still), keeps
// non-fatal signals for later, and dies of SIGKILL; the state machine's errors.
func TestPauseResume(t *testing.T) {
	// The trap: init gets only the signals it handles (pid_namespaces(7)).
	e := startBusybox(t, "p", trapLoop)
	e.fails("cannot resume container p: container is running", "resume", "p")
	waitForTrap(t, e, "p")
	e.must("pause", "p")
	if s := e.state("p"); s.Status != "paused" || s.Pid <= 0 {
		t.Fatalf("after pause: %+v", s)
	}
	e.fails("cannot pause container p: container is paused", "pause", "p")
	e.fails("cannot exec in a paused container", "exec", "p", "true")
	// User time is the application's own; the sentry's threads may still be parking when
	// pause returns.
	a := e.stats("p").Data.CPU.Usage.User
	time.Sleep(300 * time.Millisecond)
	if b := e.stats("p").Data.CPU.Usage.User; b != a {
		t.Fatalf("user CPU time went from %d to %d while paused", a, b)
	}
	e.must("kill", "p", "TERM") // held while paused
	time.Sleep(200 * time.Millisecond)
	if s := e.state("p"); s.Status != "paused" {
		t.Fatalf("after kill TERM of a paused container: %s", s.Status)
	}
	e.must("resume", "p")
	if w := e.runsc("wait", "p"); w.code != 143 {
		t.Fatalf("after resume, the held SIGTERM: wait %+v", w)
	}
	e.fails("cannot pause container p: container is stopped", "pause", "p")
	e.fails("cannot resume container p: container is stopped", "resume", "p")

	// SIGKILL ends a paused container; a created one cannot be paused.
	e.must("run", "--detach", "p2")
	// The loop's time is counted when it stops for the sentry; on a loaded machine it may
	// not have run for a while, so it gets up to 5 s.
	a = e.stats("p2").Data.CPU.Usage.User
	for deadline := time.Now().Add(5 * time.Second); ; {
		time.Sleep(100 * time.Millisecond)
		if b := e.stats("p2").Data.CPU.Usage.User; b != a {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a running busy loop used no CPU time in 5 s (%d)", a)
		}
	}
	e.must("pause", "p2")
	e.must("kill", "p2", "KILL")
	if w := e.runsc("wait", "p2"); w.code != 137 {
		t.Fatalf("kill KILL of a paused container: wait %+v", w)
	}
	e.must("create", "p3")
	e.fails("cannot pause container p3: container is created", "pause", "p3")
	e.must("delete", "--force", "p3")
	// A paused container can be force-deleted.
	e.must("run", "--detach", "p4")
	e.must("pause", "p4")
	// exec --ignore-paused starts a process that runs once the container resumes.
	execDone := make(chan result, 1)
	go func() { execDone <- e.runsc("exec", "--ignore-paused", "p4", "echo", "ran") }()
	select {
	case r := <-execDone:
		t.Fatalf("exec --ignore-paused finished while paused: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	e.must("resume", "p4")
	if r := <-execDone; r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("exec --ignore-paused after resume: %+v", r)
	}
	e.must("pause", "p4")
	e.fails("cannot delete container p4: container is paused", "delete", "p4")
	e.must("delete", "--force", "p4")
}

// TestEvents: the stats event's shape and figures, and --interval until the container
// stops.
func TestEvents(t *testing.T) {
	e := startBusybox(t, "ev", "sleep 1; echo done")
	ev := e.stats("ev")
	if ev.Data.CPU.Usage.Total == 0 || ev.Data.CPU.Usage.Total != ev.Data.CPU.Usage.User+ev.Data.CPU.Usage.Kernel ||
		ev.Data.Memory.Usage.Usage == 0 || ev.Data.Memory.Usage.Limit == 0 || ev.Data.Pids.Current < 1 {
		t.Fatalf("stats: %+v", ev)
	}
	r := e.must("events", "--interval", "200ms", "ev")
	n := 0
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var ev statsEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Type != "stats" {
			t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n < 2 {
		t.Fatalf("events --interval 200ms over ~1s printed %d events", n)
	}
	e.fails("cannot get stats of container ev: container is stopped", "events", "--stats", "ev")
	e.fails("interval must be greater than 0", "events", "--interval", "0s", "ev")
}

// cgroupFile reads a file of the container's v1 cgroup (controller ctl) or v2 cgroup.
func cgroupFile(t *testing.T, ctl, path, v1, v2 string) string {
	t.Helper()
	name := filepath.Join("/sys/fs/cgroup", ctl, path, v1)
	if isCgroup2() {
		name = filepath.Join("/sys/fs/cgroup", path, v2)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("cgroup: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func isCgroup2() bool {
	var st syscall.Statfs_t
	return syscall.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == 0x63677270
}

func cgroupExists(path string) bool {
	dir := filepath.Join("/sys/fs/cgroup", "memory", path)
	if isCgroup2() {
		dir = filepath.Join("/sys/fs/cgroup", path)
	}
	_, err := os.Stat(dir)
	return err == nil
}

// assertLeftNothing checks that deleted container id, whose sandbox was pid sandbox, left
// no host process, no state directory, no cgroup (cg, unless "") and no host mount of its
// own beyond mounts0's.
func assertLeftNothing(t *testing.T, e *env, id string, sandbox int, cg string, mounts0 []byte) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
		t.Errorf("%s: state directory left: %v", id, err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(sessionProcs(sandbox)) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: processes left: %v", id, sessionProcs(sandbox))
		}
	}
	if cg != "" && cgroupExists(cg) {
		t.Errorf("%s: cgroup %s left", id, cg)
	}
	// Other tests on the machine (CI's daemons) mount and unmount too: only a new mount of
	// this test's (its bundle, its state root, the shared rootfs under stockade-oci-*) is
	// one the container left.
	mounts1, _ := os.ReadFile("/proc/self/mountinfo")
	before := map[string]bool{}
	for _, l := range strings.Split(string(mounts0), "\n") {
		before[l] = true
	}
	for _, l := range strings.Split(string(mounts1), "\n") {
		if !before[l] && (strings.Contains(l, e.bundle) || strings.Contains(l, e.root) || strings.Contains(l, "stockade")) {
			t.Errorf("%s: host mount left: %s", id, l)
		}
	}
	e.fails("container "+id+" does not exist", "state", id)
}

// TestCgroup: the sandbox and gofer run in linux.cgroupsPath with linux.resources
// applied; update changes them (and the sandbox's MemTotal); delete --force removes the
// cgroup and leaves no process, mount or state.
func TestCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("cgroups need root")
	}
	e := newBusyboxEnv(t, "sleep 60")
	parent := "/stockade-test-" + strconv.Itoa(os.Getpid())
	path := parent + "/cg"
	t.Cleanup(func() {
		for _, c := range []string{"memory", "cpu", "cpuacct", "cpuset", "pids", "devices", ""} {
			os.Remove(filepath.Join("/sys/fs/cgroup", c, parent))
		}
	})
	e.editSpec(func(m map[string]any) {
		l := m["linux"].(map[string]any)
		l["cgroupsPath"] = path
		l["resources"] = map[string]any{
			"memory": map[string]any{"limit": 256 << 20, "swappiness": 10, "disableOOMKiller": true},
			"cpu":    map[string]any{"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
			"pids":   map[string]any{"limit": 200},
			// As runc writes them, in order: everything denied, then two devices allowed,
			// then (runc's too) the devices every container may use.
			"devices": []any{
				map[string]any{"allow": false, "access": "rwm"},
				map[string]any{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
				map[string]any{"allow": true, "type": "c", "major": 4, "minor": 1, "access": "rw"},
			},
		}
	})
	mounts0, _ := os.ReadFile("/proc/self/mountinfo")
	e.must("run", "--detach", "cg")
	s := e.state("cg")
	if got := cgroupFile(t, "memory", path, "memory.limit_in_bytes", "memory.max"); got != strconv.Itoa(256<<20) {
		t.Fatalf("memory limit %s", got)
	}
	// The pids limit is enforced by the sentry, not the host's pids.max (which would count
	// the sandbox's own threads): the host's stays unlimited.
	if got := cgroupFile(t, "pids", path, "pids.max", "pids.max"); got != "max" {
		t.Fatalf("host pids.max %s, want max", got)
	}
	if !isCgroup2() {
		if got := cgroupFile(t, "cpu", path, "cpu.cfs_quota_us", ""); got != "50000" {
			t.Fatalf("cpu quota %s", got)
		}
		if got := cgroupFile(t, "cpu", path, "cpu.shares", ""); got != "512" {
			t.Fatalf("cpu shares %s", got)
		}
		if got := cgroupFile(t, "cpuset", path, "cpuset.cpus", ""); got != "0" {
			t.Fatalf("cpuset.cpus %s", got)
		}
		if got := cgroupFile(t, "memory", path, "memory.swappiness", ""); got != "10" {
			t.Fatalf("memory swappiness %s", got)
		}
		if got := cgroupFile(t, "memory", path, "memory.oom_control", ""); !strings.Contains(got, "oom_kill_disable 1") {
			t.Fatalf("memory.oom_control %q", got)
		}
		if got := cgroupFile(t, "devices", path, "devices.list", ""); !strings.HasPrefix(got, "c 1:3 rwm\nc 4:1 rw\nc *:* m\nb *:* m\n") ||
			!strings.Contains(got, "\nc 136:* rwm\n") || strings.Contains(got, "a *:*") {
			t.Fatalf("devices.list %q", got)
		}
	}
	procs := cgroupFile(t, "memory", path, "cgroup.procs", "cgroup.procs")
	if !strings.Contains("\n"+procs+"\n", "\n"+strconv.Itoa(s.Pid)+"\n") || len(strings.Fields(procs)) < 3 {
		t.Fatalf("cgroup.procs %q: want the sandbox (%d), its stubs and the gofer", procs, s.Pid)
	}
	if r := e.must("exec", "cg", "sh", "-c", "grep MemTotal /proc/meminfo"); !strings.Contains(r.stdout, " 262144 kB") {
		t.Fatalf("MemTotal with a 256M limit: %q", r.stdout)
	}
	e.must("update", "--memory", "128m", "--pids-limit", "100", "cg")
	if got := cgroupFile(t, "memory", path, "memory.limit_in_bytes", "memory.max"); got != strconv.Itoa(128<<20) {
		t.Fatalf("memory limit after update %s", got)
	}
	if ev := e.stats("cg"); ev.Data.Pids.Limit != 100 {
		t.Fatalf("pids limit after update: %+v", ev.Data.Pids)
	}
	if r := e.must("exec", "cg", "sh", "-c", "grep MemTotal /proc/meminfo"); !strings.Contains(r.stdout, " 131072 kB") {
		t.Fatalf("MemTotal after update: %q", r.stdout)
	}
	res := writeTemp(t, `{"memory":{"limit":67108864},"pids":{"limit":50}}`)
	e.must("update", "-r", res, "cg")
	// The sentry refuses a task beyond the limit: init and the shell are 2 of 3, so the
	// shell's first child is allowed and its second fork fails with EAGAIN.
	e.must("update", "--pids-limit", "3", "cg")
	if r := e.runsc("exec", "cg", "sh", "-c", "sleep 1 & sleep 1 & wait; echo done"); !strings.Contains(r.stdout+r.stderr, "can't fork") {
		t.Fatalf("a fork beyond --pids-limit 3: %+v", r)
	}
	e.must("update", "--pids-limit", "50", "cg")
	if ev := e.stats("cg"); ev.Data.Memory.Usage.Limit != 64<<20 || ev.Data.Pids.Limit != 50 {
		t.Fatalf("stats limits: %+v", ev.Data)
	}
	e.fails(`--memory: invalid value "lots"`, "update", "--memory", "lots", "cg")
	e.fails("--blkio-weight is not supported", "update", "--blkio-weight", "100", "cg")

	e.must("delete", "--force", "cg")
	assertLeftNothing(t, e, "cg", s.Pid, path, mounts0)

	// A bad systemd path is refused by name.
	e.editSpec(func(m map[string]any) { m["linux"].(map[string]any)["cgroupsPath"] = "not-systemd" })
	e.fails("with --systemd-cgroup it must be slice:prefix:name", "--systemd-cgroup", "create", "bad")
}

// TestHooks: hooks run on the host with the state on stdin at their lifecycle points; a
// failing prestart hook fails create and leaves nothing; failing poststart and poststop
// hooks are only logged.
func TestHooks(t *testing.T) {
	e := newBusyboxEnv(t, "sleep 60")
	out := t.TempDir()
	hook := func(name string) map[string]any {
		return map[string]any{"path": "/bin/sh", "args": []any{"sh", "-c", `cat > "$OUT/` + name + `.json"; echo "$0 $X" > "$OUT/` + name + `.args"`, "arg0"},
			"env": []any{"OUT=" + out, "X=" + name}}
	}
	e.editSpec(func(m map[string]any) {
		m["hooks"] = map[string]any{
			"prestart": []any{hook("prestart")}, "createRuntime": []any{hook("createRuntime")},
			"createContainer": []any{hook("createContainer")}, "startContainer": []any{hook("startContainer")},
			"poststart": []any{hook("poststart"), map[string]any{"path": "/bin/false"}},
			"poststop":  []any{map[string]any{"path": "/bin/false"}, hook("poststop")},
		}
	})
	e.must("create", "h")
	pid := e.state("h").Pid
	read := func(name string) ociState {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, name+".json"))
		var s ociState
		if err != nil || json.Unmarshal(data, &s) != nil {
			t.Fatalf("hook %s: state %q (%v)", name, data, err)
		}
		if args, _ := os.ReadFile(filepath.Join(out, name+".args")); string(args) != "arg0 "+name+"\n" {
			t.Fatalf("hook %s: args/env %q", name, args)
		}
		return s
	}
	for _, h := range []string{"prestart", "createRuntime", "createContainer"} {
		if s := read(h); s.Status != "creating" || s.Pid != pid || s.ID != "h" || s.Bundle != e.bundle {
			t.Fatalf("hook %s: state %+v", h, s)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "startContainer.json")); err == nil {
		t.Fatal("startContainer ran at create")
	}
	r := e.must("start", "h")
	if !strings.Contains(r.stderr, "poststart hook #1 (/bin/false)") {
		t.Fatalf("a failing poststart hook is not logged: %q", r.stderr)
	}
	if s := read("startContainer"); s.Status != "created" {
		t.Fatalf("startContainer: %+v", s)
	}
	if s := read("poststart"); s.Status != "running" {
		t.Fatalf("poststart: %+v", s)
	}
	r = e.must("delete", "--force", "h")
	if s := read("poststop"); s.Status != "stopped" {
		t.Fatalf("poststop: %+v", s)
	}
	if !strings.Contains(r.stderr, "poststop hook #0 (/bin/false)") {
		t.Fatalf("a failing poststop hook is not logged: %q", r.stderr)
	}

	// A failing prestart hook fails create, and nothing is left.
	e.editSpec(func(m map[string]any) {
		m["hooks"] = map[string]any{"prestart": []any{map[string]any{"path": "/bin/sh", "args": []any{"sh", "-c", "echo nope; exit 2"}}}}
	})
	e.fails("prestart hook #0 (/bin/sh): exit status 2: nope", "create", "bad")
	if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
		t.Fatalf("state left after a failing prestart hook: %v", ents)
	}
	// A hook that outlives its timeout fails.
	e.editSpec(func(m map[string]any) {
		m["hooks"] = map[string]any{"createRuntime": []any{map[string]any{"path": "/bin/sleep", "args": []any{"sleep", "10"}, "timeout": 1}}}
	})
	e.fails("createRuntime hook #0 (/bin/sleep): timed out after 1s", "create", "slow")
}

// TestNetNSJoin: a network namespace path in linux.namespaces is joined by the sandbox.
func TestNetNSJoin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	holder := exec.Command("unshare", "--net", "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Skip("unshare:", err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	nsPath := "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/net"
	var want string
	for i := 0; i < 100; i++ {
		want, _ = os.Readlink(nsPath)
		self, _ := os.Readlink("/proc/self/ns/net")
		if want != "" && want != self {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e := newBusyboxEnv(t, "sleep 60")
	e.editSpec(func(m map[string]any) {
		l := m["linux"].(map[string]any)
		l["namespaces"] = []any{map[string]any{"type": "pid"}, map[string]any{"type": "network", "path": nsPath}, map[string]any{"type": "mount"}, map[string]any{"type": "uts"}}
	})
	e.must("create", "n")
	got, _ := os.Readlink("/proc/" + strconv.Itoa(e.state("n").Pid) + "/ns/net")
	if got != want {
		t.Fatalf("sandbox's network namespace %s, want %s", got, want)
	}
	e.must("delete", "--force", "n")
	e.editSpec(func(m map[string]any) {
		m["linux"].(map[string]any)["namespaces"] = []any{map[string]any{"type": "network", "path": "/nonexistent/ns"}}
	})
	e.fails("network namespace /nonexistent/ns: no such file or directory", "create", "bad")
	e.editSpec(func(m map[string]any) {
		m["linux"].(map[string]any)["namespaces"] = []any{map[string]any{"type": "network", "path": "/etc/hostname"}}
	})
	e.fails("/etc/hostname is not a network namespace", "create", "bad")
	// Every namespace path is checked against its type, as runc's setns does (a path of
	// another type is an error; the OCI validation suite checks it for each type).
	e.editSpec(func(m map[string]any) {
		m["linux"].(map[string]any)["namespaces"] = []any{map[string]any{"type": "pid"}, map[string]any{"type": "ipc", "path": "/proc/self/ns/mnt"}}
	})
	e.fails("/proc/self/ns/mnt is not a ipc namespace", "create", "bad")
	e.editSpec(func(m map[string]any) {
		m["linux"].(map[string]any)["namespaces"] = []any{map[string]any{"type": "pid"}, map[string]any{"type": "uts"}, map[string]any{"type": "cgroup", "path": "/proc/self/ns/cgroup"}}
	})
	e.must("create", "good")
	e.must("delete", "--force", "good")
}

// TestPsErrors: ps's bad input.
func TestPsErrors(t *testing.T) {
	e := startBusybox(t, "ps", "sleep 60")
	e.fails(`invalid format option "xml"`, "ps", "--format", "xml", "ps")
	e.fails(`ps option "aux" is not supported`, "ps", "ps", "aux")
	e.fails("container nope does not exist", "ps", "nope")
	if r := e.must("ps", "ps", "-ef"); !strings.Contains(r.stdout, "sleep 60") {
		t.Fatalf("ps -ef: %q", r.stdout)
	}
}

// TestPsJSONHostPIDs: ps --format json lists host pids, as runc's does (docker top looks
// them up on the host): the sandbox, the gofer, and the stub that runs each process, named
// after it.
func TestPsJSONHostPIDs(t *testing.T) {
	e := startBusybox(t, "pj", "sleep 60")
	sandbox := e.state("pj").Pid
	// The stub is renamed at the process's first switch after its execve: retried.
	var pids []int
	var comms []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.must("ps", "--format", "json", "pj")
		pids, comms = nil, nil
		if err := json.Unmarshal([]byte(r.stdout), &pids); err != nil {
			t.Fatalf("ps --format json: %q: %v", r.stdout, err)
		}
		for _, p := range pids {
			b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "comm"))
			comms = append(comms, strings.TrimSpace(string(b)))
		}
		if len(pids) == 3 && comms[2] == "sleep" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The sandbox, the gofer (its comm is the Go binary's name), init's stub.
	if len(pids) != 3 || pids[0] != sandbox || comms[2] != "sleep" {
		t.Fatalf("ps --format json: pids %v (comm %q), want [sandbox %d, gofer, a stub named sleep]", pids, comms, sandbox)
	}
	if got := psPids(t, e, "pj"); got != "[1]" {
		t.Fatalf("ps (table): pids %s, want the sandbox's [1]", got)
	}
}

// psPids returns the pids (the sandbox's) of `runsc ps ID`'s table, as "[1,3]".
func psPids(t *testing.T, e *env, id string) string {
	t.Helper()
	r := e.must("ps", id)
	var pids []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			pids = append(pids, f[1])
		}
	}
	return "[" + strings.Join(pids, ",") + "]"
}

// hostAlive reports whether host process pid runs (not a zombie).
// hostGoneWithin reports whether pid ends (or is a zombie) within d: a host process that
// waits for something in the sandbox (an exec's) learns of its end through the control
// socket, a moment after the container's own exit status is recorded.
func hostGoneWithin(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); hostAlive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func hostAlive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// TestConcurrentExec: execs at once into one container, with pause, resume and state
// alongside, each get their own process, output and exit code.
func TestConcurrentExec(t *testing.T) {
	e := startBusybox(t, "ce", "sleep 60")
	type res struct {
		i int
		r result
	}
	out := make(chan res, 10)
	for i := 0; i < 10; i++ {
		go func(i int) {
			out <- res{i, e.runsc("exec", "ce", "sh", "-c", "echo "+strconv.Itoa(i)+"; exit "+strconv.Itoa(i))}
		}(i)
	}
	for i := 0; i < 10; i++ {
		x := <-out
		if x.r.code != x.i || x.r.stdout != strconv.Itoa(x.i)+"\n" {
			t.Errorf("exec %d: %+v", x.i, x.r)
		}
	}
	// pause and resume race with state readers: the status is always a whole, valid one.
	done := make(chan bool)
	go func() {
		for i := 0; i < 5; i++ {
			e.runsc("pause", "ce")
			e.runsc("resume", "ce")
		}
		close(done)
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			if s := e.state("ce"); s.Status != "running" && s.Status != "paused" {
				t.Fatalf("status %q during pause/resume", s.Status)
			}
		}
	}
	if s := e.state("ce"); s.Status != "running" {
		t.Fatalf("after pause/resume pairs: %s", s.Status)
	}
	if got := psPids(t, e, "ce"); got != "[1]" {
		t.Fatalf("ps after the execs: %q", got)
	}
}

// TestNoNewPrivs: process.noNewPrivileges sets the sandbox's no_new_privs for init and is
// inherited by exec'd processes; `exec --no-new-privs` sets it when the config does not.
func TestNoNewPrivs(t *testing.T) {
	grep := []string{"sh", "-c", "grep NoNewPrivs /proc/self/status"}
	for _, cfg := range []bool{true, false} {
		e := newBusyboxEnv(t, "sleep 60")
		e.setProcess("env", []any{"PATH=/bin"})
		e.setProcess("noNewPrivileges", cfg)
		id := "nnp-" + strconv.FormatBool(cfg)
		e.must("run", "--detach", id)
		want := map[bool]string{true: "NoNewPrivs:\t1\n", false: "NoNewPrivs:\t0\n"}
		if r := e.must("exec", id, "sh", "-c", "grep NoNewPrivs /proc/1/status"); r.stdout != want[cfg] {
			t.Fatalf("noNewPrivileges %v: init has %q", cfg, r.stdout)
		}
		if r := e.must(append([]string{"exec", id}, grep...)...); r.stdout != want[cfg] {
			t.Fatalf("noNewPrivileges %v: exec'd process has %q", cfg, r.stdout)
		}
		if r := e.must(append([]string{"exec", "--no-new-privs", id}, grep...)...); r.stdout != want[true] {
			t.Fatalf("noNewPrivileges %v: exec --no-new-privs has %q", cfg, r.stdout)
		}
		e.must("delete", "--force", id)
	}
}

// TestCgroupNamespace: a cgroup namespace without a path in linux.namespaces gives the
// sandbox a new one (as runc gives the container); without it, the sandbox stays in the
// caller's.
func TestCgroupNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("namespaces need root")
	}
	e := newBusyboxEnv(t, "sleep 60")
	mine, err := os.Readlink("/proc/self/ns/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	sandboxNS := func(id string) string {
		t.Helper()
		e.must("run", "--detach", id)
		defer e.must("delete", "--force", id)
		ns, err := os.Readlink("/proc/" + strconv.Itoa(e.state(id).Pid) + "/ns/cgroup")
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	// runsc spec's default has one.
	if got := sandboxNS("new"); got == mine {
		t.Fatalf("with a cgroup namespace in the spec: sandbox still in the caller's %s", got)
	}
	e.editSpec(func(m map[string]any) {
		l := m["linux"].(map[string]any)
		var kept []any
		for _, ns := range l["namespaces"].([]any) {
			if ns.(map[string]any)["type"] != "cgroup" {
				kept = append(kept, ns)
			}
		}
		l["namespaces"] = kept
	})
	if got := sandboxNS("same"); got != mine {
		t.Fatalf("without a cgroup namespace in the spec: sandbox's %s, want the caller's %s", got, mine)
	}
}

// TestIPCUTSNamespaceJoin: ipc and uts namespace paths in linux.namespaces are joined by
// the sandbox process, as runc joins them for the container.
func TestIPCUTSNamespaceJoin(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	holder := exec.Command("unshare", "--ipc", "--uts", "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal("unshare:", err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	dir := "/proc/" + strconv.Itoa(holder.Process.Pid) + "/ns/"
	want := map[string]string{}
	for i := 0; i < 100; i++ {
		for _, ns := range []string{"ipc", "uts"} {
			want[ns], _ = os.Readlink(dir + ns)
		}
		self, _ := os.Readlink("/proc/self/ns/ipc")
		if want["ipc"] != "" && want["ipc"] != self {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e := newBusyboxEnv(t, "sleep 60")
	e.editSpec(func(m map[string]any) {
		// A hostname with a joined uts namespace, as runc allows: the container's is the
		// sentry's, and the joined namespace's stays as it was.
		m["hostname"] = "joined"
		l := m["linux"].(map[string]any)
		l["namespaces"] = []any{map[string]any{"type": "pid"}, map[string]any{"type": "mount"},
			map[string]any{"type": "ipc", "path": dir + "ipc"}, map[string]any{"type": "uts", "path": dir + "uts"}}
	})
	e.must("create", "j")
	defer e.must("delete", "--force", "j")
	for _, ns := range []string{"ipc", "uts"} {
		got, _ := os.Readlink("/proc/" + strconv.Itoa(e.state("j").Pid) + "/ns/" + ns)
		if got != want[ns] {
			t.Errorf("sandbox's %s namespace %s, want %s", ns, got, want[ns])
		}
	}
}

// trapLoop is a busy-looping init that exits 143 on SIGTERM. It creates /dev/shm/trapped
// once its trap is set: until then SIGTERM has its default action, which the sandbox's init
// drops (pid_namespaces(7)), so a test that pauses and signals it sooner races with the
// shell's start-up (waitForTrap).
const trapLoop = "trap 'exit 143' TERM; touch /dev/shm/trapped; while true; do :; done"

// waitForTrap waits until trapLoop's trap is set in container id.
func waitForTrap(t *testing.T, e *env, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.runsc("exec", id, "sh", "-c", "test -e /dev/shm/trapped").code != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("container %s: the shell did not set its TERM trap within 20s", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPauseResumeSignalLoop repeats TestPauseResume's pause / held SIGTERM / resume sequence
// on a busy-looping init, each iteration bounded so that a signal that is never acted on
// fails with its iteration. It used to hang about one run in eight: pausing right after
// `run` could catch the shell before its trap was set, and the held SIGTERM, delivered at
// resume to an init with no handler, was rightly dropped (waitForTrap closes that window).
// It also covers the kick out of application code at pause and the wake-up at resume.
func TestPauseResumeSignalLoop(t *testing.T) {
	e := newBusyboxEnv(t, trapLoop)
	const iterations = 12
	for i := 0; i < iterations; i++ {
		id := fmt.Sprintf("pl%d", i)
		e.must("run", "--detach", id)
		waitForTrap(t, e, id)
		e.must("pause", id)
		e.fails("cannot exec in a paused container", "exec", id, "true")
		e.stats(id)
		e.must("kill", id, "TERM") // held while paused
		e.must("resume", id)
		w := e.runscWithin(15*time.Second, "wait", id)
		if w.code != 143 {
			t.Fatalf("iteration %d: the SIGTERM held while paused was not acted on after resume (wait %+v)", i, w)
		}
		e.must("delete", id)
	}
}
