package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bbApplets are the busybox applets the busybox bundles link, as `busybox --install -s`
// would.
var bbApplets = []string{"sh", "ls", "cat", "echo", "id", "hostname", "sleep"}

// newBusyboxEnv is newEnv with a busybox rootfs: /bin/busybox, applet symlinks, and
// /etc/greeting. process.args is sh -c script.
func newBusyboxEnv(t *testing.T, script string) *env {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Fatal("no /bin/busybox: apt-get install -y busybox-static (.ci/run installs it)")
	}
	e := newEnv(t, "sh", "-c", script)
	e.linkApplets(bbApplets...)
	// The mount points of runsc spec's mounts exist in the image, as in real images (a
	// read-only root with --overlay=none cannot get new ones).
	for _, d := range []string{"etc", "dev", "proc", "sys"} {
		if err := os.MkdirAll(filepath.Join(e.bundle, "rootfs", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.bundle, "rootfs", "etc", "greeting"), []byte("hello from the rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// linkApplets makes each of names a busybox applet in the rootfs's /bin (a symlink to
// busybox).
func (e *env) linkApplets(names ...string) {
	e.t.Helper()
	for _, a := range names {
		if err := os.Symlink("busybox", filepath.Join(e.bundle, "rootfs", "bin", a)); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) setProcess(key string, v any) {
	e.editSpec(func(m map[string]any) { m["process"].(map[string]any)[key] = v })
}

func (e *env) addMount(dst, typ, src string, opts ...string) {
	e.editSpec(func(m map[string]any) {
		o := make([]any, len(opts))
		for i, s := range opts {
			o[i] = s
		}
		m["mounts"] = append(m["mounts"].([]any), map[string]any{"destination": dst, "type": typ, "source": src, "options": o})
	})
}

func (e *env) rootfsFile(name string) string {
	data, err := os.ReadFile(filepath.Join(e.bundle, "rootfs", name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// TestRootfsBusybox: the container sees its bundle's rootfs, through the gofer.
func TestRootfsBusybox(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, "echo hi; ls /; cat /etc/greeting; hostname")
	r := e.must("run", "bb")
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "hi" || !strings.HasSuffix(r.stdout, "hello from the rootfs\nrunsc\n") {
		t.Fatalf("stdout %q", r.stdout)
	}
	for _, want := range []string{"bin", "dev", "etc"} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("ls / has no %s: %q", want, r.stdout)
		}
	}
	// The exit code is the shell's.
	e.setArgs("sh", "-c", "cat /nonexistent 2>/dev/null; exit 42")
	if r := e.runsc("run", "bb2"); r.code != 42 {
		t.Fatalf("exit code %d, want 42 (%q)", r.code, r.stderr)
	}
	// A program found on PATH in the rootfs, relative to cwd, and missing.
	e.setArgs("./bin/echo", "relative")
	if r := e.must("run", "bb3"); r.stdout != "relative\n" {
		t.Fatalf("relative path: %q", r.stdout)
	}
}

// TestRootfsOverlay: root.readonly is honoured in both modes (EROFS); otherwise writes go
// to memory by default, and with --overlay=none they reach the bundle's rootfs.
func TestRootfsOverlay(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, "echo changed > /etc/greeting && cat /etc/greeting && echo new > /etc/new && cat /etc/new")
	// The overlay with root.readonly (runsc spec's default, docker run --read-only): EROFS.
	if r := e.runsc("run", "ovro"); r.code == 0 || !strings.Contains(r.stderr, "can't create /etc/greeting: Read-only file system") {
		t.Fatalf("write to a read-only root under the overlay succeeded: %+v", r)
	}
	e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = false })
	if r := e.must("run", "ov"); r.stdout != "changed\nnew\n" {
		t.Fatalf("overlay: stdout %q", r.stdout)
	}
	if got := e.rootfsFile("etc/greeting"); got != "hello from the rootfs\n" {
		t.Fatalf("the overlay wrote through to the rootfs: %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs", "etc", "new")); !os.IsNotExist(err) {
		t.Fatalf("a file created in the overlay is on the host: %v", err)
	}
	// --overlay=none with root.readonly: EROFS.
	e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = true })
	if r := e.runsc("--overlay=none", "run", "ro"); r.code == 0 || !strings.Contains(r.stderr, "can't create /etc/greeting: Read-only file system") {
		t.Fatalf("write to a read-only root succeeded: %+v", r)
	}
	e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = false })
	if r := e.must("--overlay=none", "run", "none"); r.stdout != "changed\nnew\n" {
		t.Fatalf("--overlay=none: stdout %q", r.stdout)
	}
	if got := e.rootfsFile("etc/greeting"); got != "changed\n" {
		t.Fatalf("--overlay=none: rootfs file %q", got)
	}
	if got := e.rootfsFile("etc/new"); got != "new\n" {
		t.Fatalf("--overlay=none: new rootfs file %q", got)
	}
}

// TestRootfsMounts: bind mounts (rw reaches the host, ro is EROFS) and tmpfs.
func TestRootfsMounts(t *testing.T) {
	t.Parallel()
	rw, ro := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ro, "f"), []byte("read-only data\n"), 0o644)
	e := newBusyboxEnv(t, "echo written > /data/out && cat /data/out && cat /ro/f && echo t > /deep/tmp/x && cat /deep/tmp/x && ls -ld /deep/tmp")
	e.addMount("/data", "bind", rw, "rbind", "rw")
	e.addMount("/ro", "none", ro, "bind", "ro")
	e.addMount("/deep/tmp", "tmpfs", "tmpfs", "size=1m", "mode=1777", "nosuid")
	r := e.must("run", "m")
	if !strings.HasPrefix(r.stdout, "written\nread-only data\nt\ndrwxrwxrwt") {
		t.Fatalf("stdout %q", r.stdout)
	}
	if data, err := os.ReadFile(filepath.Join(rw, "out")); err != nil || string(data) != "written\n" {
		t.Fatalf("rw bind mount: host file %q (%v)", data, err)
	}
	e.setArgs("sh", "-c", "echo x > /ro/f")
	if r := e.runsc("run", "m2"); r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("write to a ro bind mount: %+v", r)
	}
	if data, _ := os.ReadFile(filepath.Join(ro, "f")); string(data) != "read-only data\n" {
		t.Fatalf("ro bind mount changed: %q", data)
	}
	// tmpfs size= is enforced.
	e.setArgs("sh", "-c", "cat /bin/busybox > /deep/tmp/big")
	if r := e.runsc("run", "m3"); r.code == 0 {
		t.Fatalf("2 MB written to a 1 MB tmpfs: %+v", r)
	}
	// A missing bind source is refused at create.
	e.addMount("/gone", "bind", filepath.Join(rw, "nope"), "bind")
	e.fails(`bind source "`+filepath.Join(rw, "nope")+`": no such file or directory`, "create", "m4")
}

// TestRootfsProcessSpec: cwd (created if missing), uid/gid, additionalGids, umask and
// rlimits from the spec; hostname and domainname.
func TestRootfsProcessSpec(t *testing.T) {
	t.Parallel()
	e := newBusyboxEnv(t, "pwd; id -u; id -g; umask; echo x > f; ls -n f; id -G; ulimit -n")
	e.setProcess("cwd", "/work/dir")
	e.setProcess("user", map[string]any{"uid": 1000, "gid": 1001, "umask": 0o27, "additionalGids": []any{5, 7}})
	e.setProcess("rlimits", []any{map[string]any{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 400}})
	e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = false })
	// The cwd must be writable by uid 1000: make it in the rootfs.
	os.MkdirAll(filepath.Join(e.bundle, "rootfs", "work", "dir"), 0o777)
	os.Chmod(filepath.Join(e.bundle, "rootfs", "work", "dir"), 0o777)
	r := e.must("run", "p")
	f := strings.Fields(r.stdout)
	if len(f) < 8 || f[0] != "/work/dir" || f[1] != "1000" || f[2] != "1001" || f[3] != "0027" ||
		f[4] != "-rw-r-----" || f[6] != "1000" || f[7] != "1001" ||
		!strings.HasSuffix(r.stdout, "\n1001 5 7\n321\n") {
		t.Fatalf("stdout %q", r.stdout)
	}
	// A cwd missing from the rootfs is created (in the overlay).
	e.setProcess("cwd", "/not/there")
	e.setProcess("user", map[string]any{"uid": 0, "gid": 0})
	e.setArgs("sh", "-c", "pwd")
	if r := e.must("run", "p2"); r.stdout != "/not/there\n" {
		t.Fatalf("missing cwd: %q", r.stdout)
	}
	e.editSpec(func(m map[string]any) { m["hostname"], m["domainname"] = "box", "example.org" })
	e.setArgs("sh", "-c", "hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname")
	if r := e.must("run", "p3"); r.stdout != "box\nbox\nexample.org\n" {
		t.Fatalf("hostname and domainname: %q", r.stdout)
	}
	// linux.sysctl: kernel.domainname is modelled (over the domainname field, as runc
	// writes sysctls last); containerd's CRI default net.* ones are accepted, not modelled.
	e.editSpec(func(m map[string]any) {
		m["linux"].(map[string]any)["sysctl"] = map[string]any{"kernel.domainname": "sysctl.example",
			"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}
	})
	e.setArgs("sh", "-c", "cat /proc/sys/kernel/domainname; uname -n")
	logFile := filepath.Join(t.TempDir(), "log")
	if r := e.must("--log", logFile, "--debug", "run", "p4"); r.stdout != "sysctl.example\nbox\n" {
		t.Fatalf("linux.sysctl kernel.domainname: %q", r.stdout)
	}
	if data, _ := os.ReadFile(logFile); !strings.Contains(string(data), "linux.sysctl net.ipv4.ip_unprivileged_port_start, net.ipv4.ping_group_range accepted and not applied") {
		t.Fatalf("no debug line for the net.* sysctls in the runtime log: %q", data)
	}
}

// TestGoferDeleted: the gofer's pid is recorded, and delete --force leaves no gofer.
func TestGoferDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "prog", "s", "60")
	e.must("create", "g")
	e.must("start", "g")
	data, err := os.ReadFile(filepath.Join(e.root, "g", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		GoferPid int `json:"goferPid"`
	}
	if err := json.Unmarshal(data, &st); err != nil || st.GoferPid <= 0 {
		t.Fatalf("state.json has no gofer pid: %s", data)
	}
	if !procAlive(st.GoferPid) {
		t.Fatalf("gofer %d is not running", st.GoferPid)
	}
	e.must("delete", "--force", "g")
	deadline := time.Now().Add(5 * time.Second)
	for procAlive(st.GoferPid) {
		if time.Now().After(deadline) {
			t.Fatalf("gofer %d left after delete --force", st.GoferPid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procAlive reports whether pid runs (not a zombie) and is a gofer (argv[0] runsc-gofer).
func procAlive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X" && strings.HasPrefix(string(cmdline), "runsc-gofer\x00")
}

// TestKillInitEndsEveryProcess: killing the container's init from outside ends every
// process in the sandbox, and leaves no sandbox, stub or gofer process on the host.
func TestKillInitEndsEveryProcess(t *testing.T) {
	e := newBusyboxEnv(t, "sleep 100 & sleep 100 & sleep 100 & wait")
	e.must("create", "ki")
	e.must("start", "ki")
	pid := e.state("ki").Pid
	// The sandbox, its master stub and one stub per process: wait until the sleeps run.
	deadline := time.Now().Add(5 * time.Second)
	for len(sessionProcs(pid)) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("sandbox processes never appeared: %v", sessionProcs(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.must("kill", "ki", "KILL")
	if w := e.runsc("wait", "ki"); w.code != 137 {
		t.Fatalf("wait after kill KILL: %+v", w)
	}
	deadline = time.Now().Add(5 * time.Second)
	for len(sessionProcs(pid)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processes left after init was killed: %v", sessionProcs(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.must("delete", "ki")
}
