package oci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/test/internal/bundle"
	"github.com/stockade-sandbox/stockade/test/internal/hosttree"
)

var (
	cProgsMu sync.Mutex
	// cProgs caches the test/c programs built for these tests. Guarded by cProgsMu.
	cProgs = map[string]string{}
)

// cProg builds test/c/name.c (static) once and returns the binary's path.
func cProg(t *testing.T, name string) string {
	t.Helper()
	cProgsMu.Lock()
	defer cProgsMu.Unlock()
	if p, ok := cProgs[name]; ok {
		return p
	}
	out := filepath.Join(filepath.Dir(progBin), name)
	if b, err := exec.Command("gcc", "-static", "-O1", "-pthread", "-o", out, filepath.Join("..", "c", name+".c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s.c: %v: %s", name, err, b)
	}
	cProgs[name] = out
	return out
}

// runNative runs a program on the host and returns its stdout.
func runNative(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := exec.Command(prog, args...).Output()
	if err != nil {
		t.Fatalf("native %s %v: %v", filepath.Base(prog), args, err)
	}
	return string(out)
}

// TestGoferBindMountLinksAndFifos runs test/c/goferlinks.c in a container on a writable
// bind mount served by the gofer (no overlay there): hard links are one inode (a write
// through one name is read through the other, link counts follow link and unlink), and
// FIFOs, existing or made with mkfifo, are served by the sentry through either name. The
// output must match a native run on an identical directory.
func TestGoferBindMountLinksAndFifos(t *testing.T) {
	prog := cProg(t, "goferlinks")
	want := runNative(t, prog, hosttree.Links(t), "rw")
	e := newEnv(t, "/bin/goferlinks", "/data", "rw")
	bundle.CopyFile(t, prog, filepath.Join(e.bundle, "rootfs", "bin", "goferlinks"))
	e.addMount("/data", "bind", hosttree.Links(t), "rbind", "rw")
	r := e.runsc("run", "links")
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
}

// TestHostilePathsInContainer runs test/c/badpaths.c in a container whose rootfs has its
// own /etc/shadow, with the default in-memory overlay and with the gofer's root served
// directly (--overlay=none, writable): every case must give the host run's result, and
// the symlinks to /etc/shadow must reach the rootfs's file, never the host's.
func TestHostilePathsInContainer(t *testing.T) {
	prog := cProg(t, "badpaths")
	want := runNative(t, prog)
	for _, overlay := range []string{"root:memory", "none"} {
		t.Run(overlay, func(t *testing.T) {
			e := newEnv(t, "/bin/badpaths", "show")
			rootfs := filepath.Join(e.bundle, "rootfs")
			bundle.CopyFile(t, prog, filepath.Join(rootfs, "bin", "badpaths"))
			for _, d := range []string{"tmp", "etc", "dev", "proc", "sys"} {
				if err := os.MkdirAll(filepath.Join(rootfs, d), 0o1777); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(rootfs, "etc", "shadow"), []byte("container-shadow:*:1::::::\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = false })
			r := e.runsc("--overlay="+overlay, "run", "paths")
			got, shadow, _ := strings.Cut(r.stdout, "\nshadow: ")
			line, rest, _ := strings.Cut(shadow, "\n")
			got += "\n" + rest
			if r.code != 0 || got != want {
				t.Fatalf("run: exit %d\nstdout:\n%s\nwant (native, without the shadow line):\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
			}
			if line != "container-shadow:*:1::::::" {
				t.Fatalf("the /etc/shadow symlink reached %q, not the rootfs's file", line)
			}
		})
	}
}

// TestGoferBindMountXattrs runs test/c/xattrhost.c on a writable bind mount served by the
// gofer: the extended attribute calls go to the host file (the output matches a native
// run, and the host file has the container's changes afterwards).
func TestGoferBindMountXattrs(t *testing.T) {
	prog := cProg(t, "xattrhost")
	want := runNative(t, prog, hosttree.Xattrs(t))
	e := newEnv(t, "/bin/xattrhost", "/data")
	bundle.CopyFile(t, prog, filepath.Join(e.bundle, "rootfs", "bin", "xattrhost"))
	dir := hosttree.Xattrs(t)
	e.addMount("/data", "bind", dir, "rbind", "rw")
	r := e.runsc("run", "xattrs")
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
	buf := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(dir, "f"), "user.new", buf)
	if err != nil || string(buf[:n]) != "sandbox" {
		t.Errorf("host f: user.new = %q, %v; want \"sandbox\"", buf[:max(n, 0)], err)
	}
	if _, err := unix.Getxattr(filepath.Join(dir, "f"), "user.origin", buf); err != unix.ENODATA {
		t.Errorf("host f: user.origin: %v, want ENODATA (removed in the container)", err)
	}
}

// TestFileBindMounts binds host files into a busybox container: over a file of the rootfs,
// at a path the rootfs lacks (created, as runc does), and read-only. The container sees the
// host files, its write through the writable one reaches the host, and the read-only one
// refuses writes.
func TestFileBindMounts(t *testing.T) {
	dir := t.TempDir()
	rw, ro := filepath.Join(dir, "rw.txt"), filepath.Join(dir, "ro.txt")
	if err := os.WriteFile(rw, []byte("host rw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ro, []byte("host ro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newBusyboxEnv(t, `cat /etc/greeting /etc/new/rw.txt /etc/ro.txt; echo appended >> /etc/new/rw.txt && echo append ok
echo nope 2>/dev/null > /etc/ro.txt || echo ro refused
cat /etc/ro.txt /etc/new/rw.txt`)
	e.addMount("/etc/greeting", "bind", ro, "bind", "ro")
	e.addMount("/etc/new/rw.txt", "bind", rw, "bind", "rw")
	e.addMount("/etc/ro.txt", "bind", ro, "bind", "ro")
	r := e.runsc("run", "files")
	want := "host ro\nhost rw\nhost ro\nappend ok\nro refused\nhost ro\nhost rw\nappended\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
	if data, _ := os.ReadFile(rw); string(data) != "host rw\nappended\n" {
		t.Errorf("host rw.txt: %q", data)
	}
	if data, _ := os.ReadFile(ro); string(data) != "host ro\n" {
		t.Errorf("host ro.txt: %q", data)
	}
}

// TestFileBindMountOnDirectory refuses a file bind mount over a directory of the rootfs,
// at create, with one line on stderr.
func TestFileBindMountOnDirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newBusyboxEnv(t, "true")
	e.addMount("/etc", "bind", f, "bind", "ro")
	e.fails("is a directory", "create", "filedir")
}
