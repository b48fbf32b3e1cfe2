package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/ptytest"
)

// debianTrapInit is the Debian lifecycle test's init: bash exits 143 on SIGTERM, logs
// SIGUSR1 and carries on; /dev/shm/trapped says both traps are set (waitForTrap).
const debianTrapInit = `trap 'exit 143' TERM; trap 'echo usr1 >> /dev/shm/usr1' USR1; touch /dev/shm/trapped; while :; do sleep 1; done`

// withCgroup puts e's containers in a cgroup of their own under a per-test parent, removed
// at the end of the test, and returns the path of container id's (linux.cgroupsPath).
func withCgroup(t *testing.T, e *env, id string) string {
	t.Helper()
	parent := "/stockade-test-" + strconv.Itoa(os.Getpid()) + "-" + strings.ReplaceAll(t.Name(), "/", "-")
	path := parent + "/" + id
	t.Cleanup(func() {
		for _, c := range []string{"memory", "cpu", "cpuacct", "cpuset", "pids", "devices", ""} {
			os.Remove(filepath.Join("/sys/fs/cgroup", c, path))
			os.Remove(filepath.Join("/sys/fs/cgroup", c, parent))
		}
	})
	e.editSpec(func(m map[string]any) {
		l := m["linux"].(map[string]any)
		l["cgroupsPath"] = path
		l["resources"] = map[string]any{"memory": map[string]any{"limit": 512 << 20}}
	})
	return path
}

// TestDebianLifecycle: every runtime command and state transition on the Debian bundle
// (bash as init, glibc programs exec'd): create, start, exec in its argv (--cwd, --env,
// --user), --process, --detach and --tty forms, ps, list, events --stats, pause/resume,
// update, kill by name and number, wait, delete; and delete --force of a running
// container leaves no process, mount, cgroup or state directory behind.
func TestDebianLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("cgroups need root")
	}
	e := newDebianEnv(t, debianTrapInit)
	mounts0, _ := os.ReadFile("/proc/self/mountinfo")
	cg := withCgroup(t, e, "deb")

	pidFile := filepath.Join(t.TempDir(), "pid")
	e.must("create", "--pid-file", pidFile, "deb")
	s := e.state("deb")
	if s.Status != "created" || s.Pid <= 0 || s.ExitCode != nil {
		t.Fatalf("after create: %+v", s)
	}
	if data, err := os.ReadFile(pidFile); err != nil || string(data) != strconv.Itoa(s.Pid) {
		t.Fatalf("pid file %q (%v), want %d", data, err, s.Pid)
	}
	sandbox := s.Pid
	e.fails("cannot exec in container deb: container is created", "exec", "deb", "true")
	e.must("start", "deb")
	if s := e.state("deb"); s.Status != "running" || s.Pid != sandbox {
		t.Fatalf("after start: %+v", s)
	}
	waitForTrap(t, e, "deb")

	// exec, argv form, as the rootfs's uid 1000 with a cwd and an extra variable.
	r := e.runsc("exec", "--user", "1000:1000", "--cwd", "/home/tester", "--env", "FOO=bar", "deb",
		"bash", "-c", `echo "$FOO $PATH"; pwd; id; exit 3`)
	if r.code != 3 || r.stdout != "bar "+strings.TrimPrefix(debianEnv[0], "PATH=")+"\n/home/tester\nuid=1000(tester) gid=1000(tester) groups=1000(tester)\n" {
		t.Fatalf("exec --user --cwd --env: %+v", r)
	}
	// exec --process.
	proc := writeTemp(t, `{"args":["bash","-c","echo $A; pwd; id -un; exit 4"],"env":["A=from-json","PATH=/usr/bin:/bin"],"cwd":"/etc","user":{"uid":0,"gid":0}}`)
	if r := e.runsc("exec", "--process", proc, "deb"); r.code != 4 || r.stdout != "from-json\n/etc\nroot\n" {
		t.Fatalf("exec --process: %+v", r)
	}
	// exec --detach: its host process lives as long as the exec'd one.
	execPid := filepath.Join(t.TempDir(), "exec.pid")
	e.must("exec", "--detach", "--pid-file", execPid, "deb", "sleep", "300")
	data, _ := os.ReadFile(execPid)
	hostExec, _ := strconv.Atoi(string(data))
	if hostExec <= 0 || !hostAlive(hostExec) {
		t.Fatalf("exec --detach pid file %q: not a live process", data)
	}
	// exec --tty through a console socket: an interactive bash on a pty of the container.
	rcv := ptytest.NewReceiver(t)
	code := e.startExec("--tty", "--console-socket", rcv.Path, "--env", "PS1=$ ", "--env", "TERM=dumb", "deb", "bash", "--norc", "-i")
	m := rcv.Master(t)
	var scr ptytest.Screen
	ended := make(chan struct{})
	go func() { scr.Read(m); close(ended) }()
	scr.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; test -t 0 && echo tty-$((40+2)); exit 7\r")
	if out := scr.Expect(t, "tty-42"); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec --tty: tty printed no /dev/pts path: %q", out)
	}
	if c := waitCode(t, code); c != 7 {
		t.Errorf("exec --tty: exit code %d, want 7", c)
	}
	waitHangup(t, ended)

	// ps: init's bash is pid 1 and the detached sleep 300 is there, in the table; the
	// JSON form lists host pids, the sandbox's first.
	r = e.must("ps", "deb")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "UID        PID  PPID") || len(lines) < 3 ||
		!strings.Contains(lines[1], "bash -c trap") || strings.Fields(lines[1])[1] != "1" || !strings.Contains(r.stdout, "sleep 300\n") {
		t.Fatalf("ps: %q", r.stdout)
	}
	var pids []int
	r = e.must("ps", "--format", "json", "deb")
	if err := json.Unmarshal([]byte(r.stdout), &pids); err != nil || len(pids) < 4 || pids[0] != sandbox {
		t.Fatalf("ps --format json: %q (%v), want the sandbox %d, the gofer and a stub per process", r.stdout, err, sandbox)
	}

	// list.
	var states []ociState
	r = e.must("list", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &states); err != nil || len(states) != 1 || states[0].ID != "deb" ||
		states[0].Status != "running" || states[0].Pid != sandbox || states[0].Bundle != e.bundle {
		t.Fatalf("list --format json: %q (%v)", r.stdout, err)
	}
	if r := e.must("list", "-q"); r.stdout != "deb\n" {
		t.Fatalf("list -q: %q", r.stdout)
	}

	// events --stats, one shot: init, its sleep and the detached sleep at least.
	ev := e.stats("deb")
	if ev.Data.CPU.Usage.Total == 0 || ev.Data.Memory.Usage.Usage == 0 || ev.Data.Memory.Usage.Limit != 512<<20 || ev.Data.Pids.Current < 2 {
		t.Fatalf("events --stats: %+v", ev.Data)
	}

	// pause and resume.
	e.must("pause", "deb")
	if s := e.state("deb"); s.Status != "paused" {
		t.Fatalf("after pause: %s", s.Status)
	}
	e.fails("cannot exec in a paused container", "exec", "deb", "true")
	e.must("resume", "deb")
	if s := e.state("deb"); s.Status != "running" {
		t.Fatalf("after resume: %s", s.Status)
	}

	// update: the host cgroup's memory limit, the sandbox's MemTotal (free reads it) and
	// the sentry's pids limit.
	e.must("update", "--memory", "256m", "--pids-limit", "100", "deb")
	if got := cgroupFile(t, "memory", cg, "memory.limit_in_bytes", "memory.max"); got != strconv.Itoa(256<<20) {
		t.Fatalf("memory limit after update: %s", got)
	}
	if r := e.must("exec", "deb", "bash", "-c", "free -k | awk '/^Mem:/ {print $2}'"); r.stdout != "262144\n" {
		t.Fatalf("free's total after update --memory 256m: %q", r.stdout)
	}
	if ev := e.stats("deb"); ev.Data.Pids.Limit != 100 || ev.Data.Memory.Usage.Limit != 256<<20 {
		t.Fatalf("stats after update: %+v", ev.Data)
	}

	// kill by name: the trap logs SIGUSR1 and init runs on; by number: 15 ends it, 143.
	e.must("kill", "deb", "USR1")
	for deadline := time.Now().Add(10 * time.Second); e.runsc("exec", "deb", "test", "-s", "/dev/shm/usr1").code != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("init's USR1 trap did not run after kill USR1")
		}
	}
	if s := e.state("deb"); s.Status != "running" {
		t.Fatalf("after kill USR1: %s", s.Status)
	}
	e.must("kill", "deb", "15")
	if w := e.runsc("wait", "deb"); w.code != 143 || !strings.Contains(w.stdout, `"exitStatus":143`) {
		t.Fatalf("wait after kill 15: %+v", w)
	}
	if s := e.state("deb"); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != 143 {
		t.Fatalf("after exit: %+v", s)
	}
	if !hostGoneWithin(hostExec, 10*time.Second) {
		t.Errorf("the detached exec's host process %d outlived the container by 10 s", hostExec)
	}
	e.fails("cannot start container deb: container is stopped", "start", "deb")
	e.must("delete", "deb")
	assertLeftNothing(t, e, "deb", sandbox, cg, mounts0)

	// A second container, deleted with --force while running, with an exec'd process.
	cg2 := withCgroup(t, e, "deb2")
	e.must("run", "--detach", "deb2")
	sandbox = e.state("deb2").Pid
	e.must("exec", "--detach", "--pid-file", execPid, "deb2", "sleep", "300")
	data, _ = os.ReadFile(execPid)
	hostExec, _ = strconv.Atoi(string(data))
	e.fails("cannot delete container deb2: container is running", "delete", "deb2")
	e.must("delete", "--force", "deb2")
	assertLeftNothing(t, e, "deb2", sandbox, cg2, mounts0)
	if hostExec <= 0 || !hostGoneWithin(hostExec, 10*time.Second) {
		t.Errorf("the detached exec's host process %d (%q) outlived delete --force by 10 s", hostExec, data)
	}
	if r := e.must("list", "-q"); r.stdout != "" {
		t.Fatalf("list -q after delete: %q", r.stdout)
	}
}
