package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/test/internal/hosttree"
)

// Differential cases of the VFS gaps (issue 3): record locks released by every kind of
// close, extended attributes, hard links and FIFOs through the gofer, mount(2) and
// umount2(2), and hostile paths.
func init() {
	differentialCases = append(differentialCases,
		// Record locks dropped by close of another fd, close_range, execve's
		// close-on-exec closes, exit and SIGKILL (test/c/lockclose.c).
		differentialCase{name: "lock-close", prog: "lockclose"},
		// Extended attributes on a tmpfs mounted by the program and on /tmp
		// (test/c/xattr.c).
		differentialCase{name: "xattr", prog: "xattr"},
		// Hostile paths: .. past the root, symlinks to /etc/shadow, NAME_MAX+1 and PATH_MAX,
		// garbage names, a directory renamed into its child (test/c/badpaths.c; the same
		// program runs in OCI containers in test/oci/vfs_test.go).
		differentialCase{name: "hostile-paths", prog: "badpaths"},
		// File bind mounts, MS_MOVE, MS_BIND|MS_REC, umount2's EBUSY, MNT_DETACH,
		// MNT_EXPIRE, UMOUNT_NOFOLLOW (test/c/mountmore.c).
		differentialCase{name: "mount-more", prog: "mountmore"},
		// Mount propagation (MS_UNBINDABLE), the mqueue filesystem and character device
		// nodes made by mknod (test/c/mountprop.c).
		differentialCase{name: "mount-propagation", prog: "mountprop"},
	)
}

// TestXattrOverlayCopyUp reads and changes the extended attributes of host files under
// runsc do (the host root through the gofer, under the in-memory overlay): the output must
// match a native run on an identical directory, and the host files must keep their
// attributes (copy-up carries them to memory; nothing reaches the host).
func TestXattrOverlayCopyUp(t *testing.T) {
	prog := program(t, "xattrhost")
	nativeDir, sandDir := hosttree.Xattrs(t), hosttree.Xattrs(t)
	native := runNative(t, prog, nativeDir)
	if native.status != 0 {
		t.Fatalf("native run: %s\n%s", native.how, native.stderr)
	}
	sandboxed := runSandboxed(t, prog, sandDir)
	if msg := compare(native, sandboxed); msg != "" {
		t.Fatalf("runsc do xattrhost differs from the host run\n%s", msg)
	}
	for _, p := range []string{"f", "d"} {
		path := filepath.Join(sandDir, p)
		buf := make([]byte, 64)
		n, err := unix.Getxattr(path, "user.origin", buf)
		if err != nil || string(buf[:n]) != "host" {
			t.Errorf("host %s: user.origin = %q, %v; want \"host\"", p, buf[:max(n, 0)], err)
		}
		if _, err := unix.Getxattr(path, "user.new", buf); err != unix.ENODATA {
			t.Errorf("host %s: user.new: %v; want ENODATA (the sandbox's change reached the host)", p, err)
		}
	}
}

// TestGoferHardLinksAndFifos runs test/c/goferlinks.c on host files under runsc do (the
// host root through the gofer, read-only, under the overlay): both names of a host file
// are one inode and a host FIFO's two ends meet through either name. The host run must
// give the same output.
func TestGoferHardLinksAndFifos(t *testing.T) {
	prog := program(t, "goferlinks")
	native := runNative(t, prog, hosttree.Links(t), "ro")
	if native.status != 0 {
		t.Fatalf("native run: %s\n%s", native.how, native.stderr)
	}
	sandboxed := runSandboxed(t, prog, hosttree.Links(t), "ro")
	if msg := compare(native, sandboxed); msg != "" {
		t.Fatalf("runsc do goferlinks differs from the host run\n%s", msg)
	}
}

// bigTree makes dirs×files empty-ish files (one byte each) on the host.
func bigTree(t *testing.T, dirs, files int) string {
	t.Helper()
	root := t.TempDir()
	for i := 0; i < dirs; i++ {
		d := filepath.Join(root, fmt.Sprintf("d%02d", i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < files; j++ {
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%04d", j)), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// evictWorkDir makes the directory test/c/walk.c checks: f and its hard link g, r1, and an
// empty directory m.
func evictWorkDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	for _, err := range []error{
		os.WriteFile(f, []byte("held"), 0o644),
		os.Link(f, filepath.Join(dir, "g")),
		os.WriteFile(filepath.Join(dir, "r1"), nil, 0o644),
		os.Mkdir(filepath.Join(dir, "m"), 0o755),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fdCount returns how many descriptors process pid has open (-1 if it is gone).
func fdCount(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestDentryEviction walks 72,000 host files under runsc do, opening each: the sandbox
// must evict cached names (and the gofer handles and host descriptors behind them) to keep
// going past the gofer's 65,536 handles, while an open file, the working directory, a
// mount, a hard link and a renamed file stay right. The sentry (the runsc do process)
// must keep a bounded number of descriptors open throughout. The output must match the
// host run's.
func TestDentryEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 72,000 files")
	}
	prog := program(t, "walk")
	runsc := requireRunsc(t)
	tree := bigTree(t, 72, 1000)
	native := runNative(t, prog, tree, evictWorkDir(t))
	if native.status != 0 {
		t.Fatalf("native run: %s\n%s\n%s", native.how, native.stdout, native.stderr)
	}
	work := evictWorkDir(t)
	cmd := exec.Command(runsc, "do", prog, tree, work)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	peak := 0
	timeout := time.After(3 * time.Minute)
poll:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runsc do walk: %v", err)
			}
			break poll
		case <-timeout:
			cmd.Process.Kill()
			<-done
			t.Fatal("runsc do walk: timed out")
		case <-time.After(200 * time.Millisecond):
			peak = max(peak, fdCount(cmd.Process.Pid))
		}
	}
	if stdout.String() != native.stdout {
		t.Fatalf("runsc do walk differs from the host run (- native, + runsc):\n%s\nstderr:\n%s",
			lineDiff(native.stdout, stdout.String()), tail(stderr.String(), 20))
	}
	// The bound: the LRU's 4096 unused names plus a collection's slack of 4096 inodes, far
	// below the 72,000 files read.
	t.Logf("peak sentry descriptors: %d", peak)
	if peak > 12000 {
		t.Errorf("the sentry had %d descriptors open during the walk: not bounded", peak)
	}
}
