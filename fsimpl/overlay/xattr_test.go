package overlay_test

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/overlay"
	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// TestXattrCopyUpAndPrivateNames builds an overlay over a tmpfs lower layer whose file
// carries user.a, trusted.t and the overlay-private trusted.overlay.opaque: the private name
// is neither listed nor readable nor settable through the overlay; a set copies the file up
// with its other attributes; the lower file never changes.
func TestXattrCopyUpAndPrivateNames(t *testing.T) {
	_, lroot, err := tmpfs.New(vfs.MountOptions{Creds: vfs.RootCreds})
	must(t, err)
	lf, err := lroot.Mknod("f", vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	must(t, err)
	lx := lf.(vfs.XattrInode)
	must(t, lx.SetXattr("user.a", []byte("1"), 0))
	must(t, lx.SetXattr("trusted.t", []byte("2"), 0))
	must(t, lx.SetXattr("trusted.overlay.opaque", []byte("y"), 0))
	_, root, err := overlay.New(lroot, "")
	must(t, err)
	ino, err := root.Lookup("f")
	must(t, err)
	x := ino.(vfs.XattrInode)
	names, err := x.ListXattr()
	must(t, err)
	slices.Sort(names)
	if !slices.Equal(names, []string{"trusted.t", "user.a"}) {
		t.Errorf("list: %q", names)
	}
	if _, err := x.GetXattr("trusted.overlay.opaque"); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("get private: %v, want EOPNOTSUPP", err)
	}
	if err := x.SetXattr("trusted.overlay.redirect", []byte("z"), 0); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("set private: %v, want EOPNOTSUPP", err)
	}
	if err := x.RemoveXattr("user.missing"); !errors.Is(err, unix.ENODATA) {
		t.Errorf("remove missing: %v, want ENODATA", err)
	}
	must(t, x.SetXattr("user.b", []byte("3"), unix.XATTR_CREATE))
	for name, want := range map[string]string{"user.a": "1", "trusted.t": "2", "user.b": "3"} {
		v, err := x.GetXattr(name)
		if err != nil || string(v) != want {
			t.Errorf("after copy-up, %s = %q, %v; want %q", name, v, err, want)
		}
	}
	if _, err := lx.GetXattr("user.b"); !errors.Is(err, unix.ENODATA) {
		t.Errorf("the lower file got user.b: %v", err)
	}
	must(t, x.RemoveXattr("user.a"))
	if v, err := lx.GetXattr("user.a"); err != nil || string(v) != "1" {
		t.Errorf("the lower file lost user.a: %q, %v", v, err)
	}
}
