package gofer_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// TestWarmStatAndOpenNeedNoGofer: once a path has been walked and opened, a stat of it and
// a read-only open of it are answered from the dentry and attribute cache and the shared
// donated descriptor, so they still work with the gofer connection gone; a name never
// walked (/file exists on the host) needs the gofer and fails.
func TestWarmStatAndOpenNeedNoGofer(t *testing.T) {
	e := newEnv(t, true)
	cold, err := e.v.StatAt(vfs.RootCreds, e.pop("/dir/a"))
	must(t, err)
	fd, err := e.open("/dir/a", unix.O_RDONLY, 0)
	must(t, err)
	fd.Release()
	e.c.Close()
	warm, err := e.v.StatAt(vfs.RootCreds, e.pop("/dir/a"))
	if err != nil {
		t.Fatalf("warm stat with the gofer gone: %v", err)
	}
	if warm.Ino != cold.Ino || warm.Size != cold.Size || warm.Mode != cold.Mode {
		t.Errorf("warm stat %+v differs from the cold one %+v", warm, cold)
	}
	fd, err = e.open("/dir/a", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("warm read-only open with the gofer gone: %v", err)
	}
	buf := make([]byte, 8)
	if n, err := fd.Read(nil, buf); err != nil || string(buf[:n]) != "a" {
		t.Errorf("warm read: %q, %v", buf[:n], err)
	}
	fd.Release()
	if _, err := e.v.StatAt(vfs.RootCreds, e.pop("/file")); err == nil {
		t.Error("a cold lookup succeeded with the gofer gone: is the test really cutting it off?")
	}
}
