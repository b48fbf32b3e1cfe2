package gofer_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/gofertest"
)

// TestFileAttachPoint serves a regular file as an attach point (a file bind mount): it
// attaches as a file, reads and writes through opens, refuses walks (ENOTDIR); the root
// attach point and anything but a directory or regular file are refused at start.
func TestFileAttachPoint(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	must(t, os.WriteFile(f, []byte("file data"), 0o644))
	if _, err := gofer.NewServer([]gofer.Mount{{Name: "/", Path: f}}); err == nil {
		t.Errorf("a file as the root attach point was accepted")
	}
	if _, err := gofer.NewServer([]gofer.Mount{{Name: "/", Path: dir}, {Name: "null", Path: "/dev/null"}}); err == nil {
		t.Errorf("a device as an attach point was accepted")
	}
	c := gofertest.Serve(t, gofer.Mount{Name: "/", Path: dir}, gofer.Mount{Name: f, Path: f})
	in, _, err := c.Attach(f)
	must(t, err)
	if in.Stat.Mode&unix.S_IFMT != unix.S_IFREG || in.Stat.Size != 9 {
		t.Fatalf("attached %o, size %d", in.Stat.Mode, in.Stat.Size)
	}
	_, err = c.Walk(in.Handle, []string{"x"})
	wantErrno(t, "walk from a file attach point", err, unix.ENOTDIR)
	fd, err := c.Open(in.Handle, unix.O_RDWR)
	must(t, err)
	defer unix.Close(fd)
	if _, err := unix.Pwrite(fd, []byte("FILE"), 0); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(f); string(data) != "FILE data" {
		t.Errorf("host file: %q", data)
	}
}
