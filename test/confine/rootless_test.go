package confine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stockade-sandbox/stockade/test/internal/bundle"
)

// The unprivileged user the rootless tests run runsc as, when the test runs as root
// (nobody on Debian). Run by another user, the tests run runsc as that user.
const rootlessUID, rootlessGID = 65534, 65534

// rootlessEnv is a bundle of static busybox, a copy of runsc and an XDG_RUNTIME_DIR, all
// in a directory the unprivileged user owns.
type rootlessEnv struct {
	t        *testing.T
	uid, gid int
	base     string // owned by the user; removed at the end
	runsc    string // the copy of runsc under base
	bundle   string
	xdg      string // XDG_RUNTIME_DIR: the state root is xdg/runsc (runsc's default)
	noXDG    bool   // run without XDG_RUNTIME_DIR
}

// checkUserNamespaces fails the test, saying why, when this host does not let an
// unprivileged process create a user namespace: rootless mode cannot work there, and a
// skip would hide that.
func checkUserNamespaces(t *testing.T) {
	t.Helper()
	read := func(name string) (int, bool) {
		data, err := os.ReadFile(name)
		if err != nil {
			return 0, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(data)))
		return n, err == nil
	}
	if n, ok := read("/proc/sys/user/max_user_namespaces"); ok && n == 0 {
		t.Fatal("this host allows no user namespaces (sysctl user.max_user_namespaces=0): rootless mode needs them")
	}
	// Debian's and Ubuntu's kernels have switches of their own.
	if n, ok := read("/proc/sys/kernel/unprivileged_userns_clone"); ok && n == 0 {
		t.Fatal("unprivileged user namespaces are disabled (sysctl kernel.unprivileged_userns_clone=0): rootless mode needs them")
	}
	if n, ok := read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); ok && n != 0 {
		t.Fatal("AppArmor restricts unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=1): rootless mode needs them")
	}
	// Anything else in the way (a seccomp profile, an LSM): try, as runsc will.
	argv := []string{"unshare", "--user", "--map-root-user", "true"}
	if os.Geteuid() == 0 {
		argv = append([]string{"setpriv", "--reuid=" + strconv.Itoa(rootlessUID), "--regid=" + strconv.Itoa(rootlessGID), "--clear-groups"}, argv...)
	}
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("an unprivileged user cannot create a user namespace here (%v: %v: %s): rootless mode needs one", argv, err, out)
	}
}

func newRootlessEnv(t *testing.T) *rootlessEnv {
	t.Helper()
	if _, err := os.Stat(runsc); err != nil {
		t.Fatalf("runsc binary %s: %v (run make, or set RUNSC)", runsc, err)
	}
	e := &rootlessEnv{t: t, uid: os.Geteuid(), gid: os.Getegid()}
	if e.uid == 0 {
		if _, err := exec.LookPath("setpriv"); err != nil {
			t.Fatal("setpriv (util-linux) is needed to run runsc as an unprivileged user")
		}
		e.uid, e.gid = rootlessUID, rootlessGID
	}
	checkUserNamespaces(t)
	var busybox string
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			busybox = p
			break
		}
	}
	if busybox == "" {
		t.Fatal("busybox not found: install busybox-static (.ci/run does)")
	}
	// In /tmp, not $TMPDIR, which may be a directory only the test's user can reach.
	base, err := os.MkdirTemp("/tmp", "stockade-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	e.base, e.runsc, e.bundle, e.xdg = base, filepath.Join(base, "runsc"), filepath.Join(base, "bundle"), filepath.Join(base, "xdg")
	bundle.CopyFile(t, runsc, e.runsc)
	bin := filepath.Join(e.bundle, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	bundle.CopyFile(t, busybox, filepath.Join(bin, "busybox"))
	for _, n := range []string{"sh", "echo", "id", "ls", "sleep", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(e.xdg, 0o700); err != nil {
		t.Fatal(err)
	}
	// Everything belongs to the user, as a rootless user's own bundle does.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(base, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, e.uid, e.gid)
	}); err != nil {
		t.Fatal(err)
	}
	if out, code := e.run("spec", "--bundle", e.bundle); code != 0 {
		t.Fatalf("runsc spec: %s", out)
	}
	return e
}

// setArgs makes args the bundle's process.args (no terminal), and applies edit, if any, to
// the rest of the spec.
func (e *rootlessEnv) setArgs(edit func(m map[string]any), args ...string) {
	e.t.Helper()
	setArgs(e.t, e.bundle, edit, args...)
}

// run runs the copy of runsc as the unprivileged user, in the bundle, with XDG_RUNTIME_DIR
// set and no --root: the state root is runsc's rootless default. It returns stdout and
// stderr, and the exit code.
func (e *rootlessEnv) run(args ...string) (string, int) {
	e.t.Helper()
	f, err := os.CreateTemp("", "stockade-rootless-out")
	if err != nil {
		e.t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	argv := append([]string{e.runsc}, args...)
	if os.Geteuid() == 0 {
		argv = append([]string{"setpriv", "--reuid=" + strconv.Itoa(e.uid), "--regid=" + strconv.Itoa(e.gid), "--clear-groups"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = e.bundle
	// TMPDIR is where the sandbox mounts its empty root: one the user can reach.
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+e.xdg, "TMPDIR=/tmp")
	if e.noXDG {
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR=")
	}
	return runToFile(e.t, cmd, f)
}

// createStarted creates and starts container id, deleted (--force) when the test ends.
func (e *rootlessEnv) createStarted(id string) {
	e.t.Helper()
	if out, code := e.run("create", id); code != 0 {
		e.t.Fatalf("runsc create: %s", out)
	}
	e.t.Cleanup(func() { e.run("delete", "--force", id) })
	if out, code := e.run("start", id); code != 0 {
		e.t.Fatalf("runsc start: %s", out)
	}
}

// gone reports whether pid has exited (a zombie counts: it runs nothing).
func gone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && i+2 < len(data) && data[i+2] == 'Z'
}

func readTrim(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(data)), " ")
}

// TestRootlessRun: `runsc run` as an unprivileged user, of a busybox bundle that user owns:
// output and exit code, and the user's files seen as root's inside.
func TestRootlessRun(t *testing.T) {
	e := newRootlessEnv(t)
	e.setArgs(nil, "sh", "-c", "echo out; id -u; ls -ln /bin/busybox; exit 7")
	out, code := e.run("run", "r1")
	if code != 7 {
		t.Fatalf("runsc run: exit %d, want 7; output %q", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "out" || lines[1] != "0" {
		t.Fatalf("runsc run: output %q, want out, 0 (the spec's uid) and the ls line", out)
	}
	// The user's file, owned by the user on the host, is root's inside: the gofer's user
	// namespace maps the user to 0.
	if f := strings.Fields(lines[2]); len(f) < 4 || f[2] != "0" || f[3] != "0" {
		t.Errorf("ls -ln /bin/busybox: %q, want owner 0 0", lines[2])
	}
	// run deletes the container when it ends, as runc's does.
	if ents, _ := os.ReadDir(filepath.Join(e.xdg, "runsc")); len(ents) != 0 {
		t.Errorf("state root %s/runsc still holds %v", e.xdg, ents)
	}
}

// TestRootlessGoferHostProc: where a user namespace may not mount a procfs (the host's
// /proc partly covered, as in a container; forced here with the gofer's debug variable),
// the rootless gofer attaches a clone of the host's /proc instead, and the container runs
// as usual.
func TestRootlessGoferHostProc(t *testing.T) {
	t.Setenv("STOCKADE_DEBUG_GOFER_PROC_BIND", "1")
	e := newRootlessEnv(t)
	e.setArgs(nil, "sleep", "1000")
	const id = "hp"
	e.createStarted(id)
	if out, code := e.run("exec", id, "ls", "/bin"); code != 0 || !strings.Contains(out, "busybox") {
		t.Fatalf("runsc exec ls /bin (served by the gofer): exit %d: %q", code, out)
	}
	gp := gofers(filepath.Join(e.bundle, "rootfs"))
	if len(gp) != 1 {
		t.Fatalf("gofers: %v, want one", gp)
	}
	if got := procPids(t, fmt.Sprintf("/proc/%d/root/proc", gp[0])); len(got) < 2 {
		t.Errorf("gofer's /proc lists %v: want the host's processes (the fallback)", got)
	}
}

// TestRootlessConfined: a created container's sandbox and gofer, seen from outside, run as
// the user in user namespaces of their own that map the user to 0, with seccomp,
// no_new_privs and no capability left (the sandbox); exec, kill and delete work, and
// delete leaves no process or state behind.
func TestRootlessConfined(t *testing.T) {
	e := newRootlessEnv(t)
	e.setArgs(nil, "sleep", "1000")
	const id = "c1"
	e.createStarted(id)
	out, code := e.run("state", id)
	var st struct {
		Pid    int    `json:"pid"`
		Status string `json:"status"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Pid == 0 || st.Status != "running" {
		t.Fatalf("runsc state: exit %d: %s", code, out)
	}
	wantMap := fmt.Sprintf("0 %d 1", e.uid)
	wantGidMap := fmt.Sprintf("0 %d 1", e.gid)

	s := status(t, st.Pid)
	if s["Seccomp"] != "2" || s["NoNewPrivs"] != "1" {
		t.Errorf("sandbox: Seccomp %q NoNewPrivs %q, want 2 and 1", s["Seccomp"], s["NoNewPrivs"])
	}
	if s["CapEff"] != "0000000000000000" || s["CapPrm"] != "0000000000000000" || s["CapBnd"] != "0000000000000000" {
		t.Errorf("sandbox: CapEff %s CapPrm %s CapBnd %s, want none", s["CapEff"], s["CapPrm"], s["CapBnd"])
	}
	if f := strings.Fields(s["Uid"]); len(f) == 0 || f[0] != strconv.Itoa(e.uid) {
		t.Errorf("sandbox: Uid %q, want the user's, %d", s["Uid"], e.uid)
	}
	if m := readTrim(t, fmt.Sprintf("/proc/%d/uid_map", st.Pid)); m != wantMap {
		t.Errorf("sandbox uid_map %q, want %q", m, wantMap)
	}
	if m := readTrim(t, fmt.Sprintf("/proc/%d/gid_map", st.Pid)); m != wantGidMap {
		t.Errorf("sandbox gid_map %q, want %q", m, wantGidMap)
	}
	if sg := readTrim(t, fmt.Sprintf("/proc/%d/setgroups", st.Pid)); sg != "deny" {
		t.Errorf("sandbox setgroups %q, want deny", sg)
	}
	checkOwnNamespaces(t, st.Pid, "user", "mnt", "pid", "ipc", "uts", "net")
	d, err := os.Open(fmt.Sprintf("/proc/%d/root", st.Pid))
	if err != nil {
		t.Fatal(err)
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	if len(names) != 0 {
		t.Errorf("sandbox root holds %v, want an empty directory", names)
	}

	rootfs := filepath.Join(e.bundle, "rootfs")
	gp := gofers(rootfs)
	if len(gp) != 1 {
		t.Fatalf("gofers serving %s: %v, want one", rootfs, gp)
	}
	gs := status(t, gp[0])
	if gs["Seccomp"] != "2" || gs["NoNewPrivs"] != "1" {
		t.Errorf("gofer: Seccomp %q NoNewPrivs %q, want 2 and 1", gs["Seccomp"], gs["NoNewPrivs"])
	}
	if m := readTrim(t, fmt.Sprintf("/proc/%d/uid_map", gp[0])); m != wantMap {
		t.Errorf("gofer uid_map %q, want %q", m, wantMap)
	}
	for _, ns := range []string{"user", "pid", "ipc", "uts", "net"} {
		mine, _ := os.Readlink("/proc/self/ns/" + ns)
		if its, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", gp[0], ns)); its == mine {
			t.Errorf("gofer shares the %s namespace (%s) with the test", ns, its)
		}
	}
	checkGoferRoot(t, gp[0], rootfs)

	out, code = e.run("exec", id, "sh", "-c", "id -u; echo hi; exit 3")
	if code != 3 || out != "0\nhi\n" {
		t.Errorf("runsc exec: exit %d output %q, want 3 and \"0\\nhi\\n\"", code, out)
	}
	killAndWait(t, e.run, id)
	if out, code := e.run("delete", id); code != 0 {
		t.Fatalf("runsc delete: %s", out)
	}
	if !gone(st.Pid) || !gone(gp[0]) {
		t.Errorf("after delete: sandbox %d gone %v, gofer %d gone %v", st.Pid, gone(st.Pid), gp[0], gone(gp[0]))
	}
	if _, err := os.Stat(filepath.Join(e.xdg, "runsc", id)); !os.IsNotExist(err) {
		t.Errorf("after delete: state directory: %v, want none", err)
	}
}

// TestRootlessDo: `runsc --rootless do` as the user runs the program as 0, over the host
// root its gofer serves from a user namespace.
func TestRootlessDo(t *testing.T) {
	e := newRootlessEnv(t)
	bb := filepath.Join(e.bundle, "rootfs", "bin", "busybox")
	out, code := e.run("--rootless", "do", bb, "sh", "-c", "id -u; ls -ln "+bb+"; exit 5")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 5 || len(lines) != 2 || lines[0] != "0" {
		t.Fatalf("runsc --rootless do: exit %d output %q, want 5, 0 and the ls line", code, out)
	}
	if f := strings.Fields(lines[1]); len(f) < 4 || f[2] != "0" || f[3] != "0" {
		t.Errorf("ls -ln: %q, want the user's file owned by 0 0", lines[1])
	}
}

// TestRootlessBadInput: --rootless takes true, false or auto; runc's `--rootless VALUE`
// spelling works; limits that need a cgroup the user cannot make are an error that says so.
func TestRootlessBadInput(t *testing.T) {
	e := newRootlessEnv(t)
	for _, args := range [][]string{{"--rootless=maybe", "list"}, {"--rootless", "maybe", "list"}} {
		out, code := e.run(args...)
		if code == 0 || !strings.Contains(out, `"maybe"`) || !strings.Contains(out, "true, false or auto") {
			t.Errorf("runsc %v: exit %d, output %q; want a failure naming the bad value", args, code, out)
		}
	}
	for _, v := range []string{"true", "auto"} {
		if out, code := e.run("--rootless", v, "list"); code != 0 || !strings.HasPrefix(out, "ID") {
			t.Errorf("runsc --rootless %s list: exit %d, output %q", v, code, out)
		}
	}
	e.noXDG = true
	if out, code := e.run("list"); code == 0 || !strings.Contains(out, "XDG_RUNTIME_DIR is not set and --root was not given") {
		t.Errorf("runsc list without XDG_RUNTIME_DIR: exit %d, output %q; want a failure asking for --root", code, out)
	}
	e.noXDG = false
	e.setArgs(func(m map[string]any) {
		m["linux"].(map[string]any)["resources"] = map[string]any{"memory": map[string]any{"limit": 100 << 20}}
	}, "echo", "hi")
	out, code := e.run("run", "limited")
	if code == 0 || !strings.Contains(out, "rootless: linux.resources sets memory") {
		t.Errorf("runsc run with a memory limit: exit %d, output %q; want a failure explaining the cgroup", code, out)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.xdg, "runsc")); len(ents) != 0 {
		t.Errorf("a failed create left %v in the state root", ents)
	}
}

// TestRootlessFileOwnership: with the rootfs written through (--overlay=none), a file the
// container's root creates belongs to the user on the host and to 0 inside; one a
// container uid the user namespace does not map would own fails with EOVERFLOW, as Linux
// fails it for an unmapped fsuid.
func TestRootlessFileOwnership(t *testing.T) {
	e := newRootlessEnv(t)
	e.setArgs(func(m map[string]any) {
		m["root"].(map[string]any)["readonly"] = false
	}, "sh", "-c", "mkdir -m 777 /d && echo x > /d/mine && ls -ln /d/mine")
	out, code := e.run("--overlay=none", "run", "own")
	if f := strings.Fields(out); code != 0 || len(f) < 4 || f[2] != "0" || f[3] != "0" {
		t.Fatalf("runsc run: exit %d output %q, want /d/mine owned by 0 0 inside", code, out)
	}
	st, err := os.Stat(filepath.Join(e.bundle, "rootfs", "d", "mine"))
	if err != nil {
		t.Fatal(err)
	}
	if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != e.uid || int(sys.Gid) != e.gid {
		t.Errorf("host owner of /d/mine: %d:%d, want the user's %d:%d", sys.Uid, sys.Gid, e.uid, e.gid)
	}
	e.setArgs(func(m map[string]any) {
		m["root"].(map[string]any)["readonly"] = false
		m["process"].(map[string]any)["user"] = map[string]any{"uid": 1000, "gid": 1000}
	}, "sh", "-c", "echo x > /d/theirs")
	out, code = e.run("--overlay=none", "run", "unmapped")
	if code == 0 || !strings.Contains(out, "Value too large") {
		t.Errorf("runsc run as uid 1000: exit %d output %q, want EOVERFLOW creating /d/theirs", code, out)
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs", "d", "theirs")); !os.IsNotExist(err) {
		t.Errorf("/d/theirs: %v, want it not created", err)
	}
}

// TestRootlessAsRoot: root's --rootless=true puts the sandbox and the gofer in user
// namespaces too, mapping root to itself, and the sandbox confines itself the same way.
func TestRootlessAsRoot(t *testing.T) {
	e := newEnv(t) // needs root
	const id = "rootless-root"
	if out, code := e.runsc("--rootless=true", "create", "--bundle", e.bundle, id); code != 0 {
		t.Fatalf("runsc create: %s", out)
	}
	defer e.runsc("delete", "--force", id)
	if out, code := e.runsc("start", id); code != 0 {
		t.Fatalf("runsc start: %s", out)
	}
	out, _ := e.runsc("state", id)
	var st struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Pid == 0 {
		t.Fatalf("runsc state: %s (%v)", out, err)
	}
	gp := gofers(filepath.Join(e.bundle, "rootfs"))
	if len(gp) != 1 {
		t.Fatalf("gofers: %v, want one", gp)
	}
	for what, pid := range map[string]int{"sandbox": st.Pid, "gofer": gp[0]} {
		if m := readTrim(t, fmt.Sprintf("/proc/%d/uid_map", pid)); m != "0 0 1" {
			t.Errorf("%s uid_map %q, want \"0 0 1\"", what, m)
		}
		mine, _ := os.Readlink("/proc/self/ns/user")
		if its, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid)); its == mine {
			t.Errorf("%s shares the test's user namespace %s", what, its)
		}
		if s := status(t, pid); s["Seccomp"] != "2" || s["NoNewPrivs"] != "1" {
			t.Errorf("%s: Seccomp %q NoNewPrivs %q, want 2 and 1", what, s["Seccomp"], s["NoNewPrivs"])
		}
	}
	if s := status(t, st.Pid); s["CapEff"] != "0000000000000000" || s["CapBnd"] != "0000000000000000" {
		t.Errorf("sandbox: CapEff %s CapBnd %s, want none", s["CapEff"], s["CapBnd"])
	}
	if out, code := e.runsc("delete", "--force", id); code != 0 {
		t.Fatalf("runsc delete: %s", out)
	}
	if !gone(st.Pid) || !gone(gp[0]) {
		t.Errorf("after delete: sandbox or gofer still running")
	}
}
