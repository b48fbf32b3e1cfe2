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
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/test/internal/ptytest"
)

// Pods: containers that join the sandbox of a pod's first container through the CRI
// annotations (runsc/container/join.go, runsc/boot/containers.go).

// subreaperEnv makes the test binary a helper (subreaperMain) instead of running tests.
const subreaperEnv = "STOCKADE_OCI_SUBREAPER"

// subreaperMain plays containerd's runc shim: it makes itself a child subreaper, runs
// `runsc create` (its arguments are the JSON list in subreaperEnv, with --pid-file among
// them; the pid file is the first argument after --pid-file), prints "created", then
// reaps the process the pid file names, once it is orphaned to it, and prints "exit N" with
// its exit code (128+S for signal S), as the shim reports a container's exit.
func subreaperMain() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(subreaperEnv)), &args); err != nil {
		fmt.Println("bad arguments:", err)
		return 1
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Println("prctl:", err)
		return 1
	}
	pidFile := ""
	for i, a := range args {
		if a == "--pid-file" && i+1 < len(args) {
			pidFile = args[i+1]
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Println("create:", err)
		return 1
	}
	data, err := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(data))
	if err != nil || pid <= 0 {
		fmt.Println("pid file:", err)
		return 1
	}
	fmt.Println("created")
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			fmt.Println("wait4:", err)
			return 1
		}
		if got != pid {
			continue // another orphan (a gofer)
		}
		code := ws.ExitStatus()
		if ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		fmt.Printf("exit %d\n", code)
		return 0
	}
}

// subreaper is a running subreaperMain.
type subreaper struct {
	cmd   *exec.Cmd
	lines chan string
	// stderr names the file that holds the helper's stderr, and so runsc create's and the
	// sandbox's.
	stderr string
}

// createUnderSubreaper runs `runsc create` for container id of e from a subreaper helper
// and returns once create has succeeded.
func (e *env) createUnderSubreaper(id, pidFile string, extra ...string) *subreaper {
	e.t.Helper()
	return e.createUnderSubreaperWith(nil, id, pidFile, extra...)
}

// createUnderSubreaperWith is createUnderSubreaper with runsc's global flags global.
func (e *env) createUnderSubreaperWith(global []string, id, pidFile string, extra ...string) *subreaper {
	e.t.Helper()
	args := append(append([]string{runsc, "--root", e.root}, global...), "create", "--bundle", e.bundle, "--pid-file", pidFile)
	args = append(append(args, extra...), id)
	data, _ := json.Marshal(args)
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), subreaperEnv+"="+string(data))
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cmd.Stdin = null
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	errf, _ := os.Create(filepath.Join(e.t.TempDir(), "stderr"))
	defer errf.Close()
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	s := &subreaper{cmd: cmd, lines: make(chan string, 4), stderr: errf.Name()}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		cmd.Wait()
	}()
	e.t.Cleanup(func() { cmd.Process.Kill() })
	if l := s.next(e.t, 60*time.Second); l != "created" {
		msg, _ := os.ReadFile(errf.Name())
		e.t.Fatalf("create under a subreaper: %q (stderr %q)", l, msg)
	}
	return s
}

// next returns the helper's next line of output.
func (s *subreaper) next(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			return "(helper exited)"
		}
		return l
	case <-time.After(d):
		t.Fatalf("the subreaper helper said nothing for %v", d)
		return ""
	}
}

// podMember makes a busybox bundle under pod's state root, annotated as containerd's CRI
// plugin does: of type "sandbox" when sandboxID is id, else "container" joining sandboxID.
func podMember(t *testing.T, root, id, sandboxID, script string, cri bool) *env {
	t.Helper()
	e := newBusyboxEnv(t, script)
	if root != "" {
		e.root = root
	}
	typ := "container"
	if id == sandboxID {
		typ = "sandbox"
	}
	e.editSpec(func(m map[string]any) {
		ann := map[string]any{}
		if cri {
			ann["io.kubernetes.cri.container-type"] = typ
			ann["io.kubernetes.cri.sandbox-id"] = sandboxID
		} else {
			// CRI-O's spelling.
			ann["io.kubernetes.cri-o.ContainerType"] = typ
			ann["io.kubernetes.cri-o.SandboxID"] = sandboxID
		}
		m["annotations"] = ann
		m["root"].(map[string]any)["readonly"] = false
		if typ == "container" {
			// As containerd gives them: the sandbox's namespaces by path (the pid of
			// this test process stands for the pause container's).
			self := strconv.Itoa(os.Getpid())
			m["linux"].(map[string]any)["namespaces"] = []any{
				map[string]any{"type": "pid"},
				map[string]any{"type": "ipc", "path": "/proc/" + self + "/ns/ipc"},
				map[string]any{"type": "uts", "path": "/proc/" + self + "/ns/uts"},
				map[string]any{"type": "mount"},
				map[string]any{"type": "network", "path": "/proc/" + self + "/ns/net"},
			}
			m["hostname"] = "ignored"
		}
	})
	return e
}

// hostProcs lists host processes whose command line contains every one of words.
func hostProcs(words ...string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || !hostAlive(pid) {
			continue
		}
		data, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(data), "\x00", " ")
		all := true
		for _, w := range words {
			all = all && strings.Contains(cmd, w)
		}
		if all {
			out = append(out, pid)
		}
	}
	return out
}

// sandboxPids returns the sandbox pids `runsc ps` lists for id (its table: `ps --format
// json` lists host pids).
func (e *env) sandboxPids(id string) []int {
	e.t.Helper()
	var pids []int
	r := e.must("ps", id)
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			e.t.Fatalf("ps %s: %q", id, r.stdout)
		}
		pids = append(pids, pid)
	}
	return pids
}

// rawState reads id's state.json (the fields the CLI does not print).
func rawState(t *testing.T, root, id string) (goferPid, pid int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, id, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		GoferPid int `json:"goferPid"`
		Pid      int `json:"pid"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s.GoferPid, s.Pid
}

// TestPod: a pod's containers share one sandbox (one `runsc boot`), each with its own root
// filesystem, process defaults, processes and pid namespace (its init is pid 1 there,
// unless its spec names the sandbox's); their exit statuses reach wait, state and the host
// process the pid file names; deleting one keeps the sandbox; deleting the sandbox leaves
// nothing behind.
func TestPod(t *testing.T) {
	pod := podMember(t, "", "pod", "pod", "exec sleep 599", true)
	root := pod.root
	// a1 runs until killed; a2's init starts a background process and exits 7 once told.
	a1 := podMember(t, root, "a1", "pod", "exec sleep 600", true)
	a1.setProcess("env", []any{"PATH=/bin", "WHO=a1"})
	a1.setProcess("cwd", "/home/a1")
	if err := os.WriteFile(filepath.Join(a1.bundle, "rootfs", "marker-a1"), []byte("only in a1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a2 := podMember(t, root, "a2", "pod", "echo $$ > /init-pid; sleep 601 & while [ ! -e /go ]; do sleep 0.05; done; exit 7", false)
	a2.setProcess("env", []any{"PATH=/bin", "WHO=a2"})

	podPid := filepath.Join(t.TempDir(), "pod.pid")
	pod.must("create", "--bundle", pod.bundle, "--pid-file", podPid, "pod")
	pod.must("start", "pod")

	a1.must("create", "--bundle", a1.bundle, "--pid-file", filepath.Join(t.TempDir(), "a1.pid"), "a1")
	if s := a1.state("a1"); s.Status != "created" {
		t.Fatalf("a1 after create: %+v", s)
	}
	a1.must("start", "a1")
	a2pidFile := filepath.Join(t.TempDir(), "a2.pid")
	sr := a2.createUnderSubreaper("a2", a2pidFile)
	a2.must("start", "a2")

	// One sandbox: every container names it, and one `runsc boot` runs for the root.
	for _, id := range []string{"pod", "a1", "a2"} {
		r := pod.must("state", id)
		var st struct {
			Status    string `json:"status"`
			Pid       int    `json:"pid"`
			SandboxID string `json:"sandboxId"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatal(err)
		}
		if st.Status != "running" || st.SandboxID != "pod" || st.Pid <= 0 {
			t.Fatalf("state %s: %s", id, r.stdout)
		}
		if id == "a2" {
			if data, _ := os.ReadFile(a2pidFile); string(data) != strconv.Itoa(st.Pid) {
				t.Fatalf("a2's pid file says %q, state %d", data, st.Pid)
			}
		}
	}
	if boots := hostProcs("boot", "--root="+root); len(boots) != 1 {
		t.Fatalf("runsc boot processes for the pod: %v, want one", boots)
	}
	if r := pod.must("list", "-q"); strings.Fields(r.stdout)[0] != "a1" || len(strings.Fields(r.stdout)) != 3 {
		t.Fatalf("list: %q", r.stdout)
	}

	// Each its own root and process defaults; exec runs there.
	if r := a1.must("exec", "a1", "sh", "-c", "cat /marker-a1; echo $WHO; pwd"); r.stdout != "only in a1\na1\n/home/a1\n" {
		t.Fatalf("exec in a1: %q", r.stdout)
	}
	if r := a2.runsc("exec", "a2", "sh", "-c", "echo $WHO; cat /marker-a1"); r.code == 0 || r.stdout != "a2\n" {
		t.Fatalf("exec in a2 sees a1's root: %+v", r)
	}
	if r := pod.runsc("exec", "pod", "cat", "/marker-a1"); r.code == 0 {
		t.Fatalf("exec in the sandbox's container sees a1's root: %+v", r)
	}
	// A file written in one container's root is not in another's.
	a1.must("exec", "a1", "sh", "-c", "echo x > /a1-wrote")
	if r := a2.runsc("exec", "a2", "cat", "/a1-wrote"); r.code == 0 {
		t.Fatalf("a2 sees a file a1 wrote: %+v", r)
	}

	// ps: each container lists its own processes only.
	psTable := func(id string) string { return pod.must("ps", id).stdout }
	p1, p2, p0 := psTable("a1"), psTable("a2"), psTable("pod")
	if !strings.Contains(p1, "sleep 600") || strings.Contains(p1, "sleep 601") || strings.Contains(p1, "sleep 599") {
		t.Fatalf("ps a1:\n%s", p1)
	}
	if !strings.Contains(p2, "sleep 601") || strings.Contains(p2, "sleep 600") || strings.Contains(p2, "sleep 599") {
		t.Fatalf("ps a2:\n%s", p2)
	}
	if !strings.Contains(p0, "sleep 599") || strings.Contains(p0, "sleep 600") || strings.Contains(p0, "sleep 601") {
		t.Fatalf("ps pod:\n%s", p0)
	}
	// Each app container's init is pid 1 of its own pid namespace: ps lists its pids
	// there, its processes see no other container's, the sandbox's container sees all.
	if pids := pod.sandboxPids("a1"); len(pids) != 1 || pids[0] != 1 {
		t.Fatalf("ps a1: %v, want its init alone, pid 1", pids)
	}
	// ps --format json of a joined container: host pids, the pod's sandbox first, then
	// its own gofer and its init's stub (named sleep).
	var hostPids []int
	if r := pod.must("ps", "--format", "json", "a1"); json.Unmarshal([]byte(r.stdout), &hostPids) != nil || len(hostPids) != 3 || hostPids[0] != pod.state("pod").Pid {
		t.Fatalf("ps --format json a1: %q, want [pod's sandbox %d, gofer, stub]", r.stdout, pod.state("pod").Pid)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", hostPids[2])); string(b) != "sleep\n" {
		t.Fatalf("ps --format json a1: host process %d is %q, want a1's init's stub, sleep", hostPids[2], b)
	}
	if r := a2.must("exec", "a2", "cat", "/init-pid"); r.stdout != "1\n" {
		t.Fatalf("a2's init saw its pid as %q, want 1", r.stdout)
	}
	if r := a1.must("exec", "a1", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $PPID"); r.stdout != "sleep 600 \n0\n" {
		t.Fatalf("a1's pid 1 and an exec'd process's parent: %q", r.stdout)
	}
	if r := a1.must("exec", "a1", "busybox", "ps"); !strings.Contains(r.stdout, "sleep 600") || strings.Contains(r.stdout, "sleep 599") || strings.Contains(r.stdout, "sleep 601") {
		t.Fatalf("ps in a1 sees other containers' processes:\n%s", r.stdout)
	}
	if r := pod.must("exec", "pod", "busybox", "ps"); !strings.Contains(r.stdout, "sleep 600") || !strings.Contains(r.stdout, "sleep 601") {
		t.Fatalf("ps in the sandbox's container (the parent pid namespace):\n%s", r.stdout)
	}

	// a2's init exits 7: its background process is killed with it (a pid namespace's
	// init's exit kills the namespace), and 7 reaches wait, state and the pid file's
	// process (reaped by the subreaper, as containerd's shim does).
	a2.must("exec", "a2", "sh", "-c", ": > /go")
	if w := a2.runsc("wait", "a2"); w.code != 7 {
		t.Fatalf("wait a2: %+v, want 7", w)
	}
	if s := a2.state("a2"); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != 7 {
		t.Fatalf("state a2: %+v", s)
	}
	if l := sr.next(t, 20*time.Second); l != "exit 7" {
		t.Fatalf("a2's pid-file process: %q, want exit 7", l)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := pod.must("exec", "pod", "busybox", "ps")
		if !strings.Contains(r.stdout, "sleep 601") {
			if !strings.Contains(r.stdout, "sleep 600") || !strings.Contains(r.stdout, "sleep 599") {
				t.Fatalf("ps in the sandbox's container:\n%s", r.stdout)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a2's background process outlived its init:\n%s", r.stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a2.fails("cannot exec in container a2: container is stopped", "exec", "a2", "true")

	// a1's init is pid 1 of its namespace: as with runc, a signal it has no handler for
	// is ignored (SIGTERM to `sleep`), SIGKILL from outside ends it.
	a1.must("kill", "a1", "TERM")
	time.Sleep(200 * time.Millisecond)
	if s := a1.state("a1"); s.Status != "running" {
		t.Fatalf("a1 after SIGTERM to its init (pid 1, no handler): %+v", s)
	}
	a1.must("kill", "a1", "KILL")
	if w := a1.runsc("wait", "a1"); w.code != 137 {
		t.Fatalf("wait a1: %+v, want 137", w)
	}
	if s := a1.state("a1"); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != 137 {
		t.Fatalf("state a1: %+v", s)
	}

	// Deleting app containers keeps the sandbox; their gofers and waiters go.
	g1, w1 := rawState(t, root, "a1")
	a1.must("delete", "a1")
	a2.must("delete", "a2")
	for _, pid := range []int{g1, w1} {
		if hostAlive(pid) {
			t.Fatalf("process %d of a1 is left after delete", pid)
		}
	}
	if s := pod.state("pod"); s.Status != "running" {
		t.Fatalf("sandbox after deleting its app containers: %+v", s)
	}
	// A container deleted before it started.
	a4 := podMember(t, root, "a4", "pod", "exec sleep 603", true)
	a4.must("create", "--bundle", a4.bundle, "a4")
	a4.must("delete", "a4")
	// The sandbox holds no host file of theirs (containerd unmounts a deleted
	// container's rootfs: a descriptor left open would make it busy).
	boot := hostProcs("boot", "--root="+root)
	if len(boot) != 1 {
		t.Fatalf("runsc boot processes: %v", boot)
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", boot[0]))
	for _, fd := range fds {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", boot[0], fd.Name()))
		if strings.HasPrefix(target, a1.bundle) || strings.HasPrefix(target, a2.bundle) || strings.HasPrefix(target, a4.bundle) {
			t.Fatalf("the sandbox still has %s open after its container was deleted", target)
		}
	}
	pod.must("exec", "pod", "busybox", "true")

	// A container created after those, sharing the sandbox's pid namespace (Kubernetes'
	// shareProcessNamespace: the spec names it by path), then the sandbox deleted under it.
	a3 := podMember(t, root, "a3", "pod", "exec sleep 602", true)
	a3.editSpec(func(m map[string]any) {
		nss := m["linux"].(map[string]any)["namespaces"].([]any)
		nss[0] = map[string]any{"type": "pid", "path": "/proc/" + strconv.Itoa(os.Getpid()) + "/ns/pid"}
	})
	a3.must("create", "--bundle", a3.bundle, "a3")
	a3.must("start", "a3")
	a3.must("exec", "a3", "busybox", "true")
	if pids := pod.sandboxPids("a3"); len(pids) != 1 || pids[0] == 1 {
		t.Fatalf("ps a3: %v, want its init alone, not pid 1", pids)
	}
	if r := a3.must("exec", "a3", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"); r.stdout != "sleep 599 " {
		t.Fatalf("pid 1 seen from a3 (sharing the sandbox's namespace): %q", r.stdout)
	}
	g3, w3 := rawState(t, root, "a3")
	g0, _ := rawState(t, root, "pod")
	pod.must("delete", "--force", "pod")
	if s := a3.waitStatus("a3", "stopped"); s.ExitCode == nil || *s.ExitCode != 137 {
		t.Fatalf("a3 after its sandbox was deleted: %+v", s)
	}
	a3.must("delete", "a3")
	deadline = time.Now().Add(10 * time.Second)
	for {
		var left []int
		for _, pid := range []int{g0, g3, w3} {
			if hostAlive(pid) {
				left = append(left, pid)
			}
		}
		left = append(left, hostProcs("--root="+root)...)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left after deleting the pod: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ents, err := os.ReadDir(root); err != nil || len(ents) != 0 {
		t.Fatalf("state left: %v %v", ents, err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, e := range []*env{pod, a1, a2, a3, a4} {
		if strings.Contains(string(mi), e.bundle) {
			t.Fatalf("a mount of %s is left", e.bundle)
		}
	}
}

// TestPodBadSandbox: a container whose sandbox does not exist, or is not a sandbox, is
// refused with one line, and leaves nothing.
func TestPodBadSandbox(t *testing.T) {
	a := podMember(t, "", "app", "nope", "true", true)
	a.fails("its sandbox, container nope, does not exist", "create", "--bundle", a.bundle, "app")
	if _, err := os.Stat(filepath.Join(a.root, "app")); !os.IsNotExist(err) {
		t.Fatalf("state left after a failed create: %v", err)
	}
	if procs := hostProcs("--root=" + a.root); len(procs) != 0 {
		t.Fatalf("processes left after a failed create: %v", procs)
	}
	a.editSpec(func(m map[string]any) {
		m["annotations"] = map[string]any{"io.kubernetes.cri.container-type": "container"}
	})
	a.fails("io.kubernetes.cri.sandbox-id is missing", "create", "--bundle", a.bundle, "app")
	a.editSpec(func(m map[string]any) {
		m["annotations"] = map[string]any{"io.kubernetes.cri.container-type": "podsandbox"}
	})
	a.fails(`is "podsandbox", want "sandbox" or "container"`, "create", "--bundle", a.bundle, "app")
	// A bad executable fails create, and the sandbox goes on.
	pod := podMember(t, a.root, "pod", "pod", "exec sleep 60", true)
	pod.must("create", "--bundle", pod.bundle, "pod")
	pod.must("start", "pod")
	b := podMember(t, a.root, "bad", "pod", "true", true)
	b.setArgs("/bin/nosuch")
	b.fails("nosuch", "create", "--bundle", b.bundle, "bad")
	if _, err := os.Stat(filepath.Join(a.root, "bad")); !os.IsNotExist(err) {
		t.Fatalf("state left after a failed create: %v", err)
	}
	if procs := hostProcs("gofer", b.bundle); len(procs) != 0 {
		t.Fatalf("gofer left after a failed create: %v", procs)
	}
	// A container cannot join a joined container.
	c := podMember(t, a.root, "c", "pod", "exec sleep 60", true)
	c.must("create", "--bundle", c.bundle, "c")
	d := podMember(t, a.root, "d", "c", "true", true)
	d.fails("container c is not a sandbox", "create", "--bundle", d.bundle, "d")
	if s := pod.state("pod"); s.Status != "running" {
		t.Fatalf("sandbox after failed joins: %+v", s)
	}
}

// TestPodTerminal: a joining container with process.terminal gets its console through
// --console-socket (a terminal of its own devpts as its controlling terminal); kill --all
// reaches each of its processes; events report its own processes.
func TestPodTerminal(t *testing.T) {
	pod := podMember(t, "", "tpod", "tpod", "exec sleep 598", true)
	pod.must("create", "--bundle", pod.bundle, "tpod")
	pod.must("start", "tpod")
	a := podMember(t, pod.root, "tty", "tpod", "", true)
	a.linkApplets("tty")
	a.setArgs("sh")
	a.setProcess("terminal", true)
	a.setProcess("env", []any{"PATH=/bin", "PS1=$ ", "TERM=dumb", "WHO=tty"})
	rcv := ptytest.NewReceiver(t)
	a.must("create", "--bundle", a.bundle, "--console-socket", rcv.Path, "tty")
	m := rcv.Master(t)
	var s ptytest.Screen
	go s.Read(m)
	a.must("start", "tty")
	s.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; echo who-$WHO\r")
	if out := s.Expect(t, "who-tty"); !strings.Contains(out, "/dev/pts/0") {
		t.Fatalf("tty in the joined container: %q", out)
	}
	ptytest.Type(t, m, "exit 5\r")
	if w := a.runsc("wait", "tty"); w.code != 5 {
		t.Fatalf("wait: %+v, want 5", w)
	}
	a.must("delete", "tty")

	// kill --all: every process of the container, none of the sandbox's own.
	b := podMember(t, pod.root, "many", "tpod", "sleep 597 & sleep 596 & wait", true)
	b.must("create", "--bundle", b.bundle, "many")
	b.must("start", "many")
	deadline := time.Now().Add(10 * time.Second)
	for len(b.sandboxPids("many")) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("ps many: %v, want 3 processes", b.sandboxPids("many"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev := b.stats("many")
	if ev.Data.Pids.Current != 3 {
		t.Fatalf("events of many: %+v, want 3 pids", ev.Data.Pids)
	}
	b.must("kill", "--all", "many", "KILL")
	if w := b.runsc("wait", "many"); w.code != 137 {
		t.Fatalf("wait many: %+v, want 137", w)
	}
	if pids := pod.sandboxPids("tpod"); len(pids) != 1 || pids[0] != 1 {
		t.Fatalf("ps tpod after kill --all of many: %v", pids)
	}
	b.fails("cannot pause container many", "pause", "many")

	// delete --force of a running joined container: its processes, waiter and gofer go;
	// the sandbox stays.
	c := podMember(t, pod.root, "forced", "tpod", "sleep 595 & exec sleep 594", true)
	c.must("create", "--bundle", c.bundle, "forced")
	c.must("start", "forced")
	gofer, waiter := rawState(t, pod.root, "forced")
	c.must("delete", "--force", "forced")
	if hostAlive(waiter) || hostAlive(gofer) {
		t.Fatalf("waiter %d or gofer %d left after delete --force", waiter, gofer)
	}
	if r := pod.must("ps", "tpod"); !strings.Contains(r.stdout, "sleep 598") || strings.Contains(r.stdout, "sleep 595") {
		t.Fatalf("ps tpod after delete --force of forced:\n%s", r.stdout)
	}
	if r := pod.must("exec", "tpod", "busybox", "ps"); strings.Contains(r.stdout, "sleep 595") || strings.Contains(r.stdout, "sleep 594") {
		t.Fatalf("processes of a deleted container are left:\n%s", r.stdout)
	}
	if s := pod.state("tpod"); s.Status != "running" {
		t.Fatalf("sandbox after delete --force of a joined container: %+v", s)
	}
}

// TestPodSandboxDies: when the sandbox process dies (SIGKILL from the host), a joined
// container's waiter records SIGKILL and exits, and its gofer goes with the sandbox.
func TestPodSandboxDies(t *testing.T) {
	pod := podMember(t, "", "dpod", "dpod", "exec sleep 593", true)
	pod.must("create", "--bundle", pod.bundle, "dpod")
	pod.must("start", "dpod")
	a := podMember(t, pod.root, "orphan", "dpod", "exec sleep 592", true)
	pidFile := filepath.Join(t.TempDir(), "orphan.pid")
	sr := a.createUnderSubreaper("orphan", pidFile)
	a.must("start", "orphan")
	gofer, waiter := rawState(t, pod.root, "orphan")
	boot := pod.state("dpod").Pid
	if err := unix.Kill(boot, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if l := sr.next(t, 20*time.Second); l != "exit 137" {
		t.Fatalf("the waiter after its sandbox died: %q, want exit 137", l)
	}
	if w := a.runsc("wait", "orphan"); w.code != 137 {
		t.Fatalf("wait orphan: %+v, want 137", w)
	}
	if s := a.state("orphan"); s.Status != "stopped" || s.ExitCode == nil || *s.ExitCode != 137 || s.Pid != 0 {
		t.Fatalf("state orphan: %+v", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for hostAlive(gofer) || hostAlive(waiter) {
		if time.Now().After(deadline) {
			t.Fatalf("gofer %d or waiter %d outlived the sandbox", gofer, waiter)
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.must("delete", "orphan")
	pod.must("delete", "dpod")
	if ents, err := os.ReadDir(pod.root); err != nil || len(ents) != 0 {
		t.Fatalf("state left: %v %v", ents, err)
	}
}
