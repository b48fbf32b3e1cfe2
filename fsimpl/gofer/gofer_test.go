package gofer_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	gofersrv "github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/gofer/gofertest"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

func TestMain(m *testing.M) {
	unix.Umask(0) // as runsc gofer does: modes are the sentry's
	os.Exit(m.Run())
}

// env is a VFS whose root is a gofer filesystem over a temp directory served by a real
// gofer server on a socketpair.
type env struct {
	t    *testing.T
	host string
	v    *vfs.VirtualFilesystem
	ns   *vfs.MountNamespace
	c    *client.Client
}

func newEnv(t *testing.T, readOnly bool) *env {
	t.Helper()
	host := t.TempDir()
	must(t, os.WriteFile(filepath.Join(host, "file"), []byte("hello gofer"), 0644))
	must(t, os.Mkdir(filepath.Join(host, "dir"), 0755))
	must(t, os.WriteFile(filepath.Join(host, "dir", "a"), []byte("a"), 0644))
	must(t, os.Symlink("dir/a", filepath.Join(host, "link")))
	c := gofertest.Serve(t, gofersrv.Mount{Name: "/", Path: host, ReadOnly: readOnly})
	v := vfs.New()
	var flags uint32
	if readOnly {
		flags = unix.MS_RDONLY
	}
	ns, err := v.NewMountNamespace(gofer.Name, vfs.MountOptions{Private: gofer.Options{Client: c, Attach: "/"}}, flags)
	must(t, err)
	return &env{t: t, host: host, v: v, ns: ns, c: c}
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

func (e *env) open(p string, flags, mode uint32) (*vfs.FileDescription, error) {
	return e.v.OpenAt(vfs.RootCreds, e.pop(p), flags, mode)
}

func (e *env) readAll(p string) string {
	e.t.Helper()
	fd, err := e.open(p, unix.O_RDONLY, 0)
	must(e.t, err)
	defer fd.Release()
	buf := make([]byte, 4096)
	n, err := fd.Read(nil, buf)
	must(e.t, err)
	return string(buf[:n])
}

func (e *env) list(p string) []string {
	e.t.Helper()
	fd, err := e.open(p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	must(e.t, err)
	defer fd.Release()
	var names []string
	must(e.t, fd.IterDirents(func(d vfs.Dirent, _ int64) bool { names = append(names, d.Name); return true }))
	slices.Sort(names)
	return names
}

func TestReadsHostFilesThroughTheGofer(t *testing.T) {
	e := newEnv(t, true)
	if got := e.readAll("/file"); got != "hello gofer" {
		t.Errorf("read /file = %q", got)
	}
	if got := e.readAll("/link"); got != "a" {
		t.Errorf("read through symlink = %q", got)
	}
	target, err := e.v.ReadlinkAt(vfs.RootCreds, e.pop("/link"))
	if err != nil || target != "dir/a" {
		t.Errorf("readlink = %q, %v", target, err)
	}
	st, err := e.v.StatAt(vfs.RootCreds, e.pop("/file"))
	must(t, err)
	var hs unix.Stat_t
	must(t, unix.Stat(filepath.Join(e.host, "file"), &hs))
	if st.Ino != hs.Ino || st.Size != uint64(hs.Size) || st.Mode != hs.Mode {
		t.Errorf("stat = ino %d size %d mode %o, host ino %d size %d mode %o", st.Ino, st.Size, st.Mode, hs.Ino, hs.Size, hs.Mode)
	}
	if got, want := e.list("/"), []string{".", "..", "dir", "file", "link"}; !slices.Equal(got, want) {
		t.Errorf("readdir / = %v, want %v", got, want)
	}
	if _, err := e.v.StatFS(e.ns.Root()); err != nil {
		t.Errorf("statfs: %v", err)
	}
}

func TestOpenFileExposesItsHostFD(t *testing.T) {
	e := newEnv(t, true)
	fd, err := e.open("/file", unix.O_RDONLY, 0)
	must(t, err)
	defer fd.Release()
	hfd, ok := fd.HostFD()
	if !ok {
		t.Fatal("gofer file has no host fd")
	}
	var hs, want unix.Stat_t
	must(t, unix.Fstat(hfd, &hs))
	must(t, unix.Stat(filepath.Join(e.host, "file"), &want))
	if hs.Ino != want.Ino {
		t.Errorf("host fd is inode %d, want %d", hs.Ino, want.Ino)
	}
	// pread through the VFS goes to that descriptor.
	buf := make([]byte, 5)
	n, err := fd.PRead(nil, buf, 6)
	if err != nil || string(buf[:n]) != "gofer" {
		t.Errorf("pread = %q, %v", buf[:n], err)
	}
}

func TestReadOnlyAttachRefusesChanges(t *testing.T) {
	e := newEnv(t, true)
	for name, err := range map[string]error{
		"open for write": func() error { _, err := e.open("/file", unix.O_WRONLY, 0); return err }(),
		"create":         func() error { _, err := e.open("/new", unix.O_CREAT|unix.O_WRONLY, 0644); return err }(),
		"mkdir":          e.v.MkdirAt(vfs.RootCreds, e.pop("/d2"), 0755),
		"unlink":         e.v.UnlinkAt(vfs.RootCreds, e.pop("/file")),
	} {
		if !errors.Is(err, unix.EROFS) {
			t.Errorf("%s: got %v, want EROFS", name, err)
		}
	}
	// Even through the filesystem's own inode (no MS_RDONLY check by the VFS).
	root := e.ns.Root().Dentry.Inode().(*gofer.Dir)
	if _, err := root.Mknod("x", vfs.CreateArgs{Mode: unix.S_IFREG | 0644}); err != unix.EROFS {
		t.Errorf("Mknod on a read-only attach: %v, want EROFS", err)
	}
}

func TestChangesReachTheHost(t *testing.T) {
	e := newEnv(t, false)
	fd, err := e.open("/new", unix.O_CREAT|unix.O_RDWR, 0640)
	must(t, err)
	if _, err := fd.Write(nil, []byte("written in the sandbox")); err != nil {
		t.Fatal(err)
	}
	st, err := fd.StatX()
	must(t, err)
	if st.Size != 22 {
		t.Errorf("size after write = %d, want 22 (attribute cache not invalidated?)", st.Size)
	}
	fd.Release()
	if b, err := os.ReadFile(filepath.Join(e.host, "new")); err != nil || string(b) != "written in the sandbox" {
		t.Errorf("host sees %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(e.host, "new")); err != nil || fi.Mode().Perm() != 0640 {
		t.Errorf("host mode %v, %v", fi.Mode(), err)
	}
	// Append mode writes at the end.
	fd, err = e.open("/new", unix.O_WRONLY|unix.O_APPEND, 0)
	must(t, err)
	fd.Write(nil, []byte("!"))
	fd.Release()
	if got := e.readAll("/new"); got != "written in the sandbox!" {
		t.Errorf("after append: %q", got)
	}

	must(t, e.v.MkdirAt(vfs.RootCreds, e.pop("/sub"), 0700))
	must(t, e.v.RenameAt(vfs.RootCreds, e.pop("/new"), e.pop("/sub/moved"), 0))
	must(t, e.v.LinkAt(vfs.RootCreds, mustGet(t, e, "/sub/moved"), e.pop("/hard")))
	must(t, e.v.SymlinkAt(vfs.RootCreds, e.pop("/sym"), "sub/moved"))
	must(t, e.v.UnlinkAt(vfs.RootCreds, e.pop("/dir/a")))
	must(t, e.v.RmdirAt(vfs.RootCreds, e.pop("/dir")))
	must(t, e.v.SetStat(vfs.RootCreds, mustGet(t, e, "/hard"), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: 0604}))

	var hs unix.Stat_t
	must(t, unix.Stat(filepath.Join(e.host, "sub", "moved"), &hs))
	if hs.Nlink != 2 || hs.Mode&07777 != 0604 {
		t.Errorf("host sub/moved: nlink %d mode %o, want 2 and 0604", hs.Nlink, hs.Mode&07777)
	}
	if tgt, err := os.Readlink(filepath.Join(e.host, "sym")); err != nil || tgt != "sub/moved" {
		t.Errorf("host symlink: %q %v", tgt, err)
	}
	if _, err := os.Stat(filepath.Join(e.host, "dir")); !os.IsNotExist(err) {
		t.Errorf("host dir still exists: %v", err)
	}
	// The sandbox's view agrees (cached entries updated by the local changes).
	if got, want := e.list("/"), []string{".", "..", "file", "hard", "link", "sub", "sym"}; !slices.Equal(got, want) {
		t.Errorf("readdir / = %v, want %v", got, want)
	}
	st, err = e.v.StatAt(vfs.RootCreds, e.pop("/sub/moved"))
	must(t, err)
	if st.Nlink != 2 {
		t.Errorf("nlink seen in the sandbox = %d, want 2", st.Nlink)
	}
	// Truncation goes through setattr.
	must(t, e.v.Truncate(vfs.RootCreds, mustGet(t, e, "/hard"), 3))
	if b, _ := os.ReadFile(filepath.Join(e.host, "hard")); string(b) != "wri" {
		t.Errorf("after truncate the host has %q", b)
	}
}

func TestNegativeEntryIsForgottenOnCreate(t *testing.T) {
	e := newEnv(t, false)
	if _, err := e.v.StatAt(vfs.RootCreds, e.pop("/later")); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("stat of a missing file: %v", err)
	}
	// A second miss is answered from the negative cache; creating the name must drop it.
	e.v.StatAt(vfs.RootCreds, e.pop("/later"))
	fd, err := e.open("/later", unix.O_CREAT|unix.O_WRONLY, 0644)
	must(t, err)
	fd.Release()
	if _, err := e.v.StatAt(vfs.RootCreds, e.pop("/later")); err != nil {
		t.Errorf("stat after create: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.host, "later")); err != nil {
		t.Errorf("host: %v", err)
	}
}

func mustGet(t *testing.T, e *env, p string) vfs.VirtualDentry {
	t.Helper()
	pop := e.pop(p)
	pop.FollowFinal = false
	vd, err := e.v.GetDentry(vfs.RootCreds, pop)
	must(t, err)
	return vd
}

// TestWarmReadOnlyOpenReusesTheHostFD: plain read-only opens share one donated descriptor
// per file, kept after close, so a warm open costs no gofer round trip; each description
// keeps its own offset. A writable open gets a descriptor of its own.
func TestWarmReadOnlyOpenReusesTheHostFD(t *testing.T) {
	e := newEnv(t, false)
	a, err := e.open("/file", unix.O_RDONLY, 0)
	must(t, err)
	afd, _ := a.HostFD()
	buf := make([]byte, 5)
	if _, err := a.Read(nil, buf); err != nil {
		t.Fatal(err)
	}
	a.Release()
	b, err := e.open("/file", unix.O_RDONLY, 0)
	must(t, err)
	defer b.Release()
	if bfd, _ := b.HostFD(); bfd != afd {
		t.Fatalf("second read-only open got host fd %d, want the shared %d", bfd, afd)
	}
	if n, err := b.Read(nil, buf); err != nil || n != 5 || string(buf) != string(must2(os.ReadFile(filepath.Join(e.host, "file")))[:5]) {
		t.Fatalf("second description read %q, %v: its offset must start at 0", buf[:n], err)
	}
	w, err := e.open("/file", unix.O_WRONLY, 0)
	must(t, err)
	defer w.Release()
	if wfd, _ := w.HostFD(); wfd == afd {
		t.Fatal("a writable open shares the read-only descriptor")
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestReleaseHostFilesClosesIdleDescriptors: ReleaseHostFiles closes the shared read-only
// descriptor of a file no description uses, keeps one in use, and a later open gets a new
// one.
func TestReleaseHostFilesClosesIdleDescriptors(t *testing.T) {
	e := newEnv(t, true)
	fs := e.ns.Root().Mount.Filesystem().Impl().(*gofer.Filesystem)
	hostOpen := func(fd int) bool {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		return err == nil
	}
	a, err := e.open("/file", unix.O_RDONLY, 0)
	must(t, err)
	afd, _ := a.HostFD()
	fs.ReleaseHostFiles()
	if !hostOpen(afd) {
		t.Fatal("ReleaseHostFiles closed the descriptor of an open file")
	}
	a.Release()
	fs.ReleaseHostFiles()
	if hostOpen(afd) {
		t.Fatal("ReleaseHostFiles kept the descriptor of a file no one has open")
	}
	if got := e.readAll("/file"); got != "hello gofer" {
		t.Fatalf("read after ReleaseHostFiles: %q", got)
	}
}
