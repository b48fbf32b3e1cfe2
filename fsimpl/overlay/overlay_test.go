package overlay_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	"github.com/stockade-sandbox/stockade/fsimpl/overlay"
	gofersrv "github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/gofertest"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// env is an overlay whose lower layer is a host temp directory served read-only by a real
// gofer server, so that tests can check that the host never changes.
type env struct {
	t    *testing.T
	host string
	v    *vfs.VirtualFilesystem
	ns   *vfs.MountNamespace
}

func newEnv(t *testing.T) *env {
	t.Helper()
	host := t.TempDir()
	write := func(rel, data string) {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(host, rel)), 0755))
		must(t, os.WriteFile(filepath.Join(host, rel), []byte(data), 0640))
	}
	write("file", "lower data")
	write("dir/a", "a")
	write("dir/b", "b")
	write("dir/sub/c", "c")
	write("other/x", "x")
	must(t, os.Symlink("file", filepath.Join(host, "link")))
	c := gofertest.Serve(t, gofersrv.Mount{Name: "/", Path: host, ReadOnly: true})
	_, lower, err := gofer.New(gofer.Options{Client: c, Attach: "/"})
	must(t, err)
	v := vfs.New()
	ns, err := v.NewMountNamespace(overlay.Name, vfs.MountOptions{Private: overlay.Options{Lower: lower}}, 0)
	must(t, err)
	return &env{t: t, host: host, v: v, ns: ns}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) pop(p string) *vfs.PathOperation {
	return &vfs.PathOperation{Root: e.ns.Root(), Start: e.ns.Root(), Path: p, FollowFinal: true}
}

func (e *env) open(p string, flags uint32) (*vfs.FileDescription, error) {
	return e.v.OpenAt(vfs.RootCreds, e.pop(p), flags, 0644)
}

func (e *env) read(p string) (string, error) {
	fd, err := e.open(p, unix.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer fd.Release()
	buf := make([]byte, 4096)
	n, err := fd.Read(nil, buf)
	return string(buf[:n]), err
}

func (e *env) write(p string, flags uint32, data string) {
	e.t.Helper()
	fd, err := e.open(p, unix.O_WRONLY|flags)
	must(e.t, err)
	defer fd.Release()
	_, err = fd.Write(nil, []byte(data))
	must(e.t, err)
}

func (e *env) list(p string) []string {
	e.t.Helper()
	fd, err := e.open(p, unix.O_RDONLY|unix.O_DIRECTORY)
	must(e.t, err)
	defer fd.Release()
	var names []string
	must(e.t, fd.IterDirents(func(d vfs.Dirent, _ int64) bool { names = append(names, d.Name); return true }))
	slices.Sort(names)
	return names
}

func (e *env) stat(p string) (vfs.Stat, error) { return e.v.StatAt(vfs.RootCreds, e.pop(p)) }

func (e *env) hostHas(rel, data string) {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.host, rel))
	if err != nil || string(b) != data {
		e.t.Errorf("host %s = %q, %v; want %q unchanged", rel, b, err, data)
	}
}

func TestWriteCopiesUpAndLeavesLowerAlone(t *testing.T) {
	e := newEnv(t)
	before, err := e.stat("/file")
	must(t, err)
	e.write("/file", unix.O_APPEND, " + upper")
	if got, _ := e.read("/file"); got != "lower data + upper" {
		t.Errorf("overlay /file = %q", got)
	}
	e.hostHas("file", "lower data")
	after, err := e.stat("/file")
	must(t, err)
	if after.Ino != before.Ino || after.Mode != before.Mode || after.UID != before.UID {
		t.Errorf("copy-up changed identity: before ino %d mode %o uid %d, after ino %d mode %o uid %d",
			before.Ino, before.Mode, before.UID, after.Ino, after.Mode, after.UID)
	}
	// chmod copies up metadata only-changes too.
	must(t, e.v.SetStat(vfs.RootCreds, e.get("/dir/a"), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: 0600}))
	if st, _ := e.stat("/dir/a"); st.Mode&07777 != 0600 {
		t.Errorf("mode after chmod = %o", st.Mode&07777)
	}
	if fi, _ := os.Stat(filepath.Join(e.host, "dir/a")); fi.Mode().Perm() != 0640 {
		t.Errorf("host mode changed to %v", fi.Mode())
	}
	if got, _ := e.read("/dir/a"); got != "a" {
		t.Errorf("data after chmod copy-up = %q", got)
	}
	// O_TRUNC copies up and truncates the copy.
	e.write("/dir/b", unix.O_TRUNC, "B")
	if got, _ := e.read("/dir/b"); got != "B" {
		t.Errorf("after O_TRUNC write: %q", got)
	}
	e.hostHas("dir/b", "b")
}

func TestReadOnlyDescriptionSeesWritesAfterCopyUp(t *testing.T) {
	e := newEnv(t)
	ro, err := e.open("/file", unix.O_RDONLY)
	must(t, err)
	defer ro.Release()
	if _, ok := ro.HostFD(); !ok {
		t.Errorf("a lower file opened read-only has no host fd")
	}
	e.write("/file", 0, "LOWER")
	buf := make([]byte, 64)
	n, _ := ro.PRead(nil, buf, 0)
	if string(buf[:n]) != "LOWER data" {
		t.Errorf("read-only description after copy-up reads %q", buf[:n])
	}
}

func TestUnlinkWhitesOutLowerFile(t *testing.T) {
	e := newEnv(t)
	must(t, e.v.UnlinkAt(vfs.RootCreds, e.pop("/dir/a")))
	if _, err := e.stat("/dir/a"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("stat after unlink: %v", err)
	}
	if got, want := e.list("/dir"), []string{".", "..", "b", "sub"}; !slices.Equal(got, want) {
		t.Errorf("readdir after unlink = %v, want %v", got, want)
	}
	e.hostHas("dir/a", "a")
	// Creating the name again shows the new file, not the lower one.
	e.write("/dir/a", unix.O_CREAT, "new a")
	if got, _ := e.read("/dir/a"); got != "new a" {
		t.Errorf("recreated file = %q", got)
	}
	// Unlinking the upper-only replacement whites out the lower name again.
	must(t, e.v.UnlinkAt(vfs.RootCreds, e.pop("/dir/a")))
	if _, err := e.stat("/dir/a"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("lower file came back after unlinking its replacement: %v", err)
	}
}

func TestRmdirThenMkdirIsOpaque(t *testing.T) {
	e := newEnv(t)
	if err := e.v.RmdirAt(vfs.RootCreds, e.pop("/dir")); !errors.Is(err, unix.ENOTEMPTY) {
		t.Fatalf("rmdir of a non-empty lower dir: %v", err)
	}
	for _, p := range []string{"/dir/a", "/dir/b", "/dir/sub/c"} {
		must(t, e.v.UnlinkAt(vfs.RootCreds, e.pop(p)))
	}
	must(t, e.v.RmdirAt(vfs.RootCreds, e.pop("/dir/sub")))
	must(t, e.v.RmdirAt(vfs.RootCreds, e.pop("/dir")))
	if _, err := e.stat("/dir"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("stat after rmdir: %v", err)
	}
	must(t, e.v.MkdirAt(vfs.RootCreds, e.pop("/dir"), 0755))
	if got, want := e.list("/dir"), []string{".", ".."}; !slices.Equal(got, want) {
		t.Errorf("new directory over a removed lower one lists %v, want it empty (opaque)", got)
	}
	if _, err := e.stat("/dir/a"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("lower entry visible through an opaque directory: %v", err)
	}
	e.hostHas("dir/sub/c", "c")
}

func TestReaddirMergesLayers(t *testing.T) {
	e := newEnv(t)
	e.write("/dir/new", unix.O_CREAT, "n")
	e.write("/dir/a", 0, "A") // copied up: listed once
	must(t, e.v.MkdirAt(vfs.RootCreds, e.pop("/newdir"), 0755))
	if got, want := e.list("/dir"), []string{".", "..", "a", "b", "new", "sub"}; !slices.Equal(got, want) {
		t.Errorf("readdir /dir = %v, want %v", got, want)
	}
	if got, want := e.list("/"), []string{".", "..", "dir", "file", "link", "newdir", "other"}; !slices.Equal(got, want) {
		t.Errorf("readdir / = %v, want %v", got, want)
	}
	// The merged directory still shows lower entries of its lower subdirectory.
	if got, _ := e.read("/dir/sub/c"); got != "c" {
		t.Errorf("merged lookup below a copied-up dir: %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.host, "dir/new")); !os.IsNotExist(err) {
		t.Errorf("new file reached the host: %v", err)
	}
}

func TestRenameRules(t *testing.T) {
	e := newEnv(t)
	// A directory with a lower layer cannot be renamed (no redirect_dir).
	if err := e.v.RenameAt(vfs.RootCreds, e.pop("/dir"), e.pop("/dir2"), 0); !errors.Is(err, unix.EXDEV) {
		t.Errorf("rename of a lower directory: %v, want EXDEV", err)
	}
	// A lower file is copied up and moved; its old name is whited out.
	must(t, e.v.RenameAt(vfs.RootCreds, e.pop("/file"), e.pop("/dir/moved"), 0))
	if got, _ := e.read("/dir/moved"); got != "lower data" {
		t.Errorf("moved file = %q", got)
	}
	if _, err := e.stat("/file"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("old name after rename: %v", err)
	}
	e.hostHas("file", "lower data")
	// An upper-only directory can be renamed, even over an emptied lower name, and then
	// does not merge with the lower directory of that name.
	must(t, e.v.MkdirAt(vfs.RootCreds, e.pop("/fresh"), 0755))
	e.write("/fresh/f", unix.O_CREAT, "f")
	must(t, e.v.UnlinkAt(vfs.RootCreds, e.pop("/other/x")))
	must(t, e.v.RmdirAt(vfs.RootCreds, e.pop("/other")))
	must(t, e.v.RenameAt(vfs.RootCreds, e.pop("/fresh"), e.pop("/other"), 0))
	if got, want := e.list("/other"), []string{".", "..", "f"}; !slices.Equal(got, want) {
		t.Errorf("renamed upper directory lists %v, want %v", got, want)
	}
	// A file renamed over a lower file replaces it.
	must(t, e.v.RenameAt(vfs.RootCreds, e.pop("/dir/moved"), e.pop("/dir/b"), 0))
	if got, _ := e.read("/dir/b"); got != "lower data" {
		t.Errorf("replaced file reads %q", got)
	}
	if got, want := e.list("/dir"), []string{".", "..", "a", "b", "sub"}; !slices.Equal(got, want) {
		t.Errorf("readdir after renames = %v, want %v", got, want)
	}
	e.hostHas("dir/b", "b")
}

func TestSymlinkAndLinkInOverlay(t *testing.T) {
	e := newEnv(t)
	if got, _ := e.read("/link"); got != "lower data" {
		t.Errorf("lower symlink reads %q", got)
	}
	must(t, e.v.LinkAt(vfs.RootCreds, e.get("/dir/a"), e.pop("/hard")))
	e.write("/hard", 0, "H")
	if got, _ := e.read("/dir/a"); got != "H" {
		t.Errorf("hard link made in the overlay does not share data: %q", got)
	}
	e.hostHas("dir/a", "a")
	if _, err := os.Stat(filepath.Join(e.host, "hard")); !os.IsNotExist(err) {
		t.Errorf("link reached the host: %v", err)
	}
}

func (e *env) get(p string) vfs.VirtualDentry {
	e.t.Helper()
	vd, err := e.v.GetDentry(vfs.RootCreds, e.pop(p))
	must(e.t, err)
	return vd
}
