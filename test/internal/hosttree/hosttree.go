// Package hosttree makes the host directories that the end-to-end and OCI tests give to a
// test program twice, once natively and once in the sandbox (through the gofer, as the
// host root or a bind mount), so that both runs start from identical trees.
package hosttree

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Links makes a directory with a file f ("hello") and its hard link g, and a FIFO p with
// its hard link q (what test/c/goferlinks.c expects).
func Links(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(f, filepath.Join(dir, "g")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "p")
	if err := unix.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p, filepath.Join(dir, "q")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Xattrs makes a directory with a file f and a directory d, each with the extended
// attribute user.origin = "host", and a symlink l to f (what test/c/xattrhost.c expects).
// The test is skipped if the host's temporary directory has no user xattrs.
func Xattrs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f, d := filepath.Join(dir, "f"), filepath.Join(dir, "d")
	if err := os.WriteFile(f, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f, d} {
		if err := unix.Setxattr(p, "user.origin", []byte("host"), 0); err != nil {
			t.Skipf("the host's %s has no user xattrs: %v", dir, err)
		}
	}
	return dir
}
