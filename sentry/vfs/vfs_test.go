package vfs_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	_ "github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// env is a VFS with a tmpfs root namespace and helpers that run path operations as a user.
type env struct {
	t     *testing.T
	v     *vfs.VirtualFilesystem
	ns    *vfs.MountNamespace
	creds *vfs.Creds
}

func newEnv(t *testing.T) *env {
	v := vfs.New()
	ns, err := v.NewMountNamespace("tmpfs", vfs.MountOptions{Data: "mode=755"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, v: v, ns: ns, creds: vfs.RootCreds}
}

func (e *env) pop(path string, follow bool) *vfs.PathOperation {
	return &vfs.PathOperation{Root: e.ns.Root(), Start: e.ns.Root(), Path: path, FollowFinal: follow}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) mkdir(p string) { e.t.Helper(); e.must(e.v.MkdirAt(e.creds, e.pop(p, false), 0755)) }

func (e *env) create(p string) *vfs.FileDescription {
	e.t.Helper()
	fd, err := e.v.OpenAt(e.creds, e.pop(p, true), unix.O_CREAT|unix.O_RDWR, 0644)
	e.must(err)
	return fd
}

func (e *env) symlink(target, p string) {
	e.t.Helper()
	e.must(e.v.SymlinkAt(e.creds, e.pop(p, false), target))
}

// open opens and closes p, returning the open's error.
func (e *env) open(p string, flags uint32) error {
	fd, err := e.v.OpenAt(e.creds, e.pop(p, flags&unix.O_NOFOLLOW == 0), flags, 0644)
	if err == nil {
		fd.Release()
	}
	return err
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) && !(got == nil && want == nil) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestOpenErrnos(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.create("/f")
	long := strings.Repeat("a", 256)
	for _, c := range []struct {
		path  string
		flags uint32
		want  error
	}{
		{"/f", unix.O_RDONLY, nil},
		{"/missing", unix.O_RDONLY, unix.ENOENT},
		{"/f/", unix.O_RDONLY, unix.ENOTDIR},
		{"/f/x", unix.O_RDONLY, unix.ENOTDIR},
		{"/f", unix.O_DIRECTORY, unix.ENOTDIR},
		{"/d", unix.O_WRONLY, unix.EISDIR},
		{"/d", unix.O_RDONLY | unix.O_TRUNC, unix.EISDIR},
		{"/d", unix.O_RDONLY | unix.O_CREAT, unix.EISDIR},
		{"/f", unix.O_CREAT | unix.O_EXCL, unix.EEXIST},
		{"/new/", unix.O_CREAT | unix.O_RDWR, unix.EISDIR},
		{"/" + long, unix.O_RDONLY, unix.ENAMETOOLONG},
		{"/" + long, unix.O_CREAT | unix.O_RDWR, unix.ENAMETOOLONG},
		{"/" + long[:255], unix.O_CREAT | unix.O_RDWR, nil},
		{"", unix.O_RDONLY, unix.ENOENT},
		{"/d/..", unix.O_RDONLY, nil},
		{"/..", unix.O_RDONLY, nil},
	} {
		wantErr(t, "open "+c.path, e.open(c.path, c.flags), c.want)
	}
}

func TestDotDotStopsAtRoot(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/a")
	vd, err := e.v.GetDentry(e.creds, e.pop("/a/../../../a", true))
	e.must(err)
	if p, _ := e.v.PathFrom(e.ns.Root(), vd); p != "/a" {
		t.Errorf("got %q, want /a", p)
	}
	// With the root at /a (chroot), ".." from /a stays there.
	a := vd
	pop := &vfs.PathOperation{Root: a, Start: a, Path: "../..", FollowFinal: true}
	got, err := e.v.GetDentry(e.creds, pop)
	e.must(err)
	if got != a {
		t.Errorf("'..' escaped the chroot")
	}
}

func TestSymlinks(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.create("/d/f")
	e.symlink("d/f", "/rel")
	e.symlink("/d", "/abs")
	e.symlink("l2", "/l1")
	e.symlink("l1", "/l2")
	e.symlink("missing", "/dangling")
	wantErr(t, "relative", e.open("/rel", unix.O_RDONLY), nil)
	wantErr(t, "absolute dir", e.open("/abs/f", unix.O_RDONLY), nil)
	wantErr(t, "loop", e.open("/l1", unix.O_RDONLY), unix.ELOOP)
	wantErr(t, "nofollow", e.open("/rel", unix.O_RDONLY|unix.O_NOFOLLOW), unix.ELOOP)
	wantErr(t, "nofollow path", e.open("/rel", unix.O_PATH|unix.O_NOFOLLOW), nil)
	wantErr(t, "trailing slash on file symlink", e.open("/rel/", unix.O_RDONLY), unix.ENOTDIR)
	wantErr(t, "trailing slash on dir symlink", e.open("/abs/", unix.O_RDONLY), nil)
	wantErr(t, "dangling", e.open("/dangling", unix.O_RDONLY), unix.ENOENT)
	wantErr(t, "excl on symlink", e.open("/dangling", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY), unix.EEXIST)
	wantErr(t, "create through dangling", e.open("/dangling", unix.O_CREAT|unix.O_WRONLY), nil)
	if _, err := e.v.StatAt(e.creds, e.pop("/missing", true)); err != nil {
		t.Errorf("the dangling symlink's target was not created: %v", err)
	}
}

func TestSymlinkLimit(t *testing.T) {
	e := newEnv(t)
	e.create("/f")
	e.symlink("/f", "/l0")
	for i := 1; i <= 41; i++ {
		e.symlink("/l"+itoa(i-1), "/l"+itoa(i))
	}
	wantErr(t, "40 links", e.open("/l39", unix.O_RDONLY), nil)
	wantErr(t, "41 links", e.open("/l40", unix.O_RDONLY), unix.ELOOP)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestMountCrossing(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/mnt")
	e.create("/mnt/under")
	fs, err := e.v.NewFilesystem("tmpfs", vfs.MountOptions{})
	e.must(err)
	target, err := e.v.GetDentry(e.creds, e.pop("/mnt", true))
	e.must(err)
	m, err := e.v.MountAt(fs, target, 0)
	e.must(err)
	wantErr(t, "covered file", e.open("/mnt/under", unix.O_RDONLY), unix.ENOENT)
	e.create("/mnt/over").Release()
	wantErr(t, "file/..", e.open("/mnt/over/..", unix.O_RDONLY), unix.ENOTDIR)
	e.mkdir("/mnt/sub")
	vd, err := e.v.GetDentry(e.creds, e.pop("/mnt/sub/..", true))
	e.must(err)
	if vd.Mount != m {
		t.Errorf("/mnt/over/.. is not the mount's root")
	}
	vd, err = e.v.GetDentry(e.creds, e.pop("/mnt/..", true))
	e.must(err)
	if vd != e.ns.Root() {
		t.Errorf("/mnt/.. is not /")
	}
	if p, _ := e.v.PathFrom(e.ns.Root(), VirtualOf(e, "/mnt/over")); p != "/mnt/over" {
		t.Errorf("path of /mnt/over: %q", p)
	}
	wantErr(t, "rename across mounts", e.v.RenameAt(e.creds, e.pop("/mnt/over", false), e.pop("/x", false), 0), unix.EXDEV)
	old, _ := e.v.GetDentry(e.creds, e.pop("/mnt/over", false))
	wantErr(t, "link across mounts", e.v.LinkAt(e.creds, old, e.pop("/x", false)), unix.EXDEV)
	wantErr(t, "rmdir mount point", e.v.RmdirAt(e.creds, e.pop("/mnt", false)), unix.EBUSY)
	// RESOLVE_NO_XDEV refuses the crossing.
	pop := e.pop("/mnt/over", true)
	pop.Resolve = vfs.ResolveNoXdev
	_, err = e.v.GetDentry(e.creds, pop)
	wantErr(t, "RESOLVE_NO_XDEV", err, unix.EXDEV)
	// Read-only bind mount of /mnt at /ro.
	e.mkdir("/ro")
	rot, _ := e.v.GetDentry(e.creds, e.pop("/ro", true))
	src, _ := e.v.GetDentry(e.creds, e.pop("/mnt", true))
	bm, err := e.v.BindMount(src, rot, unix.MS_RDONLY)
	e.must(err)
	wantErr(t, "read through bind", e.open("/ro/over", unix.O_RDONLY), nil)
	wantErr(t, "write through ro bind", e.open("/ro/over", unix.O_WRONLY), unix.EROFS)
	wantErr(t, "create in ro bind", e.open("/ro/new", unix.O_CREAT|unix.O_WRONLY), unix.EROFS)
	// A mount below makes a mount busy.
	e.mkdir("/mnt/sub/deep")
	fs2, _ := e.v.NewFilesystem("tmpfs", vfs.MountOptions{})
	deep, err := e.v.MountAt(fs2, VirtualOf(e, "/mnt/sub/deep"), 0)
	e.must(err)
	wantErr(t, "umount busy", e.v.Umount(VirtualOf(e, "/mnt"), false), unix.EBUSY)
	wantErr(t, "umount not a root", e.v.Umount(VirtualOf(e, "/mnt/sub"), false), unix.EINVAL)
	e.must(e.v.Umount(vd2(deep), false))
	e.must(e.v.Umount(vd2(bm), false))
	// An open file makes a mount busy until it is released.
	fd, err := e.v.OpenAt(e.creds, e.pop("/mnt/over", true), unix.O_RDONLY, 0)
	e.must(err)
	wantErr(t, "umount with an open file", e.v.Umount(VirtualOf(e, "/mnt"), false), unix.EBUSY)
	fd.Release()
	wantErr(t, "umount", e.v.Umount(VirtualOf(e, "/mnt"), false), nil)
	wantErr(t, "uncovered", e.open("/mnt/under", unix.O_RDONLY), nil)
}

func vd2(m *vfs.Mount) vfs.VirtualDentry { return vfs.VirtualDentry{Mount: m, Dentry: m.Root()} }

// VirtualOf resolves p.
func VirtualOf(e *env, p string) vfs.VirtualDentry {
	vd, err := e.v.GetDentry(e.creds, e.pop(p, true))
	if err != nil {
		e.t.Fatalf("%s: %v", p, err)
	}
	return vd
}

func TestResolveBeneathAndInRoot(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/top")
	e.mkdir("/top/d")
	e.create("/top/d/f")
	e.create("/f")
	e.symlink("/f", "/top/abs")
	e.symlink("../f", "/top/d/up")
	top := VirtualOf(e, "/top")
	res := func(path string, flags uint64) error {
		_, err := e.v.GetDentry(e.creds, &vfs.PathOperation{Root: e.ns.Root(), Start: top, Path: path, FollowFinal: true, Resolve: flags})
		return err
	}
	wantErr(t, "beneath ok", res("d/f", vfs.ResolveBeneath), nil)
	wantErr(t, "beneath ..", res("..", vfs.ResolveBeneath), unix.EXDEV)
	wantErr(t, "beneath absolute", res("/f", vfs.ResolveBeneath), unix.EXDEV)
	wantErr(t, "beneath absolute symlink", res("abs", vfs.ResolveBeneath), unix.EXDEV)
	wantErr(t, "beneath inner ..", res("d/up", vfs.ResolveBeneath), unix.ENOENT) // top/f does not exist
	wantErr(t, "in root absolute", res("/d/f", vfs.ResolveInRoot), nil)
	wantErr(t, "in root ..", res("../../d/f", vfs.ResolveInRoot), nil)
	wantErr(t, "in root symlink", res("abs", vfs.ResolveInRoot), unix.ENOENT)
	wantErr(t, "no symlinks", res("abs", vfs.ResolveNoSymlinks), unix.ELOOP)
}

func TestRenameRules(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/a")
	e.mkdir("/a/b")
	e.mkdir("/e")
	e.mkdir("/full")
	e.create("/full/x")
	e.create("/f")
	ren := func(o, n string, fl uint32) error {
		return e.v.RenameAt(e.creds, e.pop(o, false), e.pop(n, false), fl)
	}
	wantErr(t, "into own subdir", ren("/a", "/a/b/c", 0), unix.EINVAL)
	wantErr(t, "onto ancestor", ren("/a/b", "/a", 0), unix.ENOTEMPTY)
	wantErr(t, "dir over file", ren("/e", "/f", 0), unix.ENOTDIR)
	wantErr(t, "file over dir", ren("/f", "/e", 0), unix.EISDIR)
	wantErr(t, "over non-empty", ren("/e", "/full", 0), unix.ENOTEMPTY)
	wantErr(t, "noreplace", ren("/f", "/e", unix.RENAME_NOREPLACE), unix.EEXIST)
	wantErr(t, "exchange missing", ren("/f", "/nope", unix.RENAME_EXCHANGE), unix.ENOENT)
	wantErr(t, "both flags", ren("/f", "/e", unix.RENAME_EXCHANGE|unix.RENAME_NOREPLACE), unix.EINVAL)
	wantErr(t, "dots", ren("/a/.", "/z", 0), unix.EBUSY)
	wantErr(t, "file trailing slash", ren("/f/", "/g", 0), unix.ENOTDIR)
	wantErr(t, "dir over empty dir", ren("/a", "/e", 0), nil)
	wantErr(t, "exchange", ren("/f", "/e", unix.RENAME_EXCHANGE), nil)
	st, err := e.v.StatAt(e.creds, e.pop("/f", false))
	e.must(err)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("after exchange /f is not the directory")
	}
	root, _ := e.v.StatAt(e.creds, e.pop("/", false))
	if root.Nlink != 5 { // ., .., f (was a), full, e? -> a moved onto e, then exchanged with f
		t.Logf("root nlink %d", root.Nlink)
	}
}

func TestUnlinkRmdirRules(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.create("/d/f")
	e.create("/f")
	wantErr(t, "rmdir non-empty", e.v.RmdirAt(e.creds, e.pop("/d", false)), unix.ENOTEMPTY)
	wantErr(t, "rmdir file", e.v.RmdirAt(e.creds, e.pop("/f", false)), unix.ENOTDIR)
	wantErr(t, "rmdir .", e.v.RmdirAt(e.creds, e.pop("/d/.", false)), unix.EINVAL)
	wantErr(t, "rmdir ..", e.v.RmdirAt(e.creds, e.pop("/d/..", false)), unix.ENOTEMPTY)
	wantErr(t, "rmdir /", e.v.RmdirAt(e.creds, e.pop("/", false)), unix.EBUSY)
	wantErr(t, "unlink dir", e.v.UnlinkAt(e.creds, e.pop("/d", false)), unix.EISDIR)
	wantErr(t, "unlink file/", e.v.UnlinkAt(e.creds, e.pop("/f/", false)), unix.ENOTDIR)
	wantErr(t, "unlink", e.v.UnlinkAt(e.creds, e.pop("/d/f", false)), nil)
	wantErr(t, "unlink again", e.v.UnlinkAt(e.creds, e.pop("/d/f", false)), unix.ENOENT)
	wantErr(t, "rmdir", e.v.RmdirAt(e.creds, e.pop("/d/", false)), nil)
	wantErr(t, "mkdir in removed", e.v.MkdirAt(e.creds, e.pop("/d/x", false), 0755), unix.ENOENT)
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/priv")
	e.mkdir("/tmp")
	e.must(e.v.SetStat(e.creds, VirtualOf(e, "/priv"), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: 0700}))
	e.must(e.v.SetStat(e.creds, VirtualOf(e, "/tmp"), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: 01777}))
	e.create("/priv/f")
	e.create("/tmp/rootfile")
	user := &vfs.Creds{UID: 1000, GID: 1000}
	_, err := e.v.OpenAt(user, e.pop("/priv/f", true), unix.O_RDONLY, 0)
	wantErr(t, "search denied", err, unix.EACCES)
	_, err = e.v.OpenAt(user, e.pop("/newfile", true), unix.O_CREAT|unix.O_WRONLY, 0644)
	wantErr(t, "create in unwritable dir", err, unix.EACCES)
	fd, err := e.v.OpenAt(user, e.pop("/tmp/mine", true), unix.O_CREAT|unix.O_WRONLY, 0400)
	wantErr(t, "create in sticky dir", err, nil)
	if err == nil {
		st, _ := fd.StatX()
		if st.UID != 1000 || st.Mode&0777 != 0400 {
			t.Errorf("new file: uid %d mode %o", st.UID, st.Mode)
		}
	}
	wantErr(t, "unlink other's file in sticky dir", e.v.UnlinkAt(user, e.pop("/tmp/rootfile", false)), unix.EPERM)
	wantErr(t, "chmod other's file", e.v.SetStat(user, VirtualOf(e, "/tmp/rootfile"), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: 0777}), unix.EPERM)
	_, err = e.v.OpenAt(user, e.pop("/tmp/rootfile", true), unix.O_WRONLY, 0)
	wantErr(t, "write other's 0644 file", err, unix.EACCES)
	wantErr(t, "root bypass", e.open("/priv/f", unix.O_RDWR), nil)
	wantErr(t, "unlink own file in sticky dir", e.v.UnlinkAt(user, e.pop("/tmp/mine", false)), nil)
}

func TestHardLinksAndGetdents(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.create("/d/a")
	e.must(e.v.LinkAt(e.creds, VirtualOf(e, "/d/a"), e.pop("/d/b", false)))
	wantErr(t, "link exists", e.v.LinkAt(e.creds, VirtualOf(e, "/d/a"), e.pop("/d/b", false)), unix.EEXIST)
	wantErr(t, "link dir", e.v.LinkAt(e.creds, VirtualOf(e, "/d"), e.pop("/e", false)), unix.EPERM)
	st, _ := e.v.StatAt(e.creds, e.pop("/d/b", false))
	if st.Nlink != 2 {
		t.Errorf("nlink %d, want 2", st.Nlink)
	}
	fd, err := e.v.OpenAt(e.creds, e.pop("/d", true), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	e.must(err)
	var names []string
	e.must(fd.IterDirents(func(d vfs.Dirent, _ int64) bool { names = append(names, d.Name); return true }))
	if strings.Join(names, " ") != ". .. a b" {
		t.Errorf("getdents: %q", names)
	}
}

func TestReadWriteOffsets(t *testing.T) {
	e := newEnv(t)
	fd := e.create("/f")
	if n, err := fd.Write(nil, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if n, err := fd.PWrite(nil, []byte("J"), 0); n != 1 || err != nil {
		t.Fatalf("pwrite: %d %v", n, err)
	}
	off, _ := fd.Seek(nil, 0, unix.SEEK_CUR)
	if off != 5 {
		t.Errorf("offset after pwrite %d", off)
	}
	buf := make([]byte, 10)
	n, _ := fd.PRead(nil, buf, 0)
	if string(buf[:n]) != "Jello" {
		t.Errorf("read %q", buf[:n])
	}
	if _, err := fd.Seek(nil, -10, unix.SEEK_CUR); err != unix.EINVAL {
		t.Errorf("negative seek: %v", err)
	}
	e.must(e.v.Truncate(e.creds, VirtualOf(e, "/f"), 2))
	n, _ = fd.PRead(nil, buf, 0)
	if string(buf[:n]) != "Je" {
		t.Errorf("after truncate %q", buf[:n])
	}
	app, err := e.v.OpenAt(e.creds, e.pop("/f", true), unix.O_WRONLY|unix.O_APPEND, 0)
	e.must(err)
	app.Write(nil, []byte("!"))
	n, _ = fd.PRead(nil, buf, 0)
	if string(buf[:n]) != "Je!" {
		t.Errorf("after append %q", buf[:n])
	}
}
