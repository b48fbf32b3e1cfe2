package gofer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/gofer/gofertest"
	"github.com/stockade-sandbox/stockade/gofer/proto"
)

func TestMain(m *testing.M) {
	unix.Umask(0) // as runsc gofer does: modes are the client's
	os.Exit(m.Run())
}

type env struct {
	t     *testing.T
	root  string // host path of the "/" attach point (read-write)
	roDir string // host path of the "ro" attach point
	c     *client.Client
	rootH client.Handle
}

// newEnv serves a temp root ("/") and a read-only mount ("ro") on a real socketpair.
func newEnv(t *testing.T) *env {
	t.Helper()
	base := t.TempDir()
	e := &env{t: t, root: filepath.Join(base, "root"), roDir: filepath.Join(base, "ro")}
	must(t, os.Mkdir(e.root, 0755))
	must(t, os.Mkdir(e.roDir, 0755))
	must(t, os.WriteFile(filepath.Join(e.roDir, "file"), []byte("ro data"), 0644))
	must(t, os.Mkdir(filepath.Join(e.roDir, "sub"), 0755))
	e.c = gofertest.Serve(t, gofer.Mount{Name: "/", Path: e.root}, gofer.Mount{Name: "ro", Path: e.roDir, ReadOnly: true})
	root, ro, err := e.c.Attach("/")
	must(t, err)
	if ro {
		t.Fatalf("root attached read-only")
	}
	e.rootH = root.Handle
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrno(t *testing.T, what string, err error, want unix.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func (e *env) write(rel, data string) {
	e.t.Helper()
	p := filepath.Join(e.root, rel)
	must(e.t, os.MkdirAll(filepath.Dir(p), 0755))
	must(e.t, os.WriteFile(p, []byte(data), 0644))
}

// walk walks a slash-separated path from the root and wants it all found.
func (e *env) walk(path string) client.Inode {
	e.t.Helper()
	ins, err := e.c.Walk(e.rootH, strings.Split(path, "/"))
	if err != nil || len(ins) != len(strings.Split(path, "/")) {
		e.t.Fatalf("walk %s: %d inodes, %v", path, len(ins), err)
	}
	return ins[len(ins)-1]
}

func readFD(t *testing.T, fd int) string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Pread(fd, buf, 0)
	must(t, err)
	return string(buf[:n])
}

func TestAttach(t *testing.T) {
	e := newEnv(t)
	ro, isRO, err := e.c.Attach("ro")
	must(t, err)
	if !isRO || ro.Stat.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("ro attach: %v %o", isRO, ro.Stat.Mode)
	}
	_, _, err = e.c.Attach("nope")
	wantErrno(t, "unknown attach point", err, unix.ENOENT)
}

func TestWalk(t *testing.T) {
	e := newEnv(t)
	e.write("a/b/c", "hello")
	ins, err := e.c.Walk(e.rootH, []string{"a", "b", "c"})
	must(t, err)
	var st unix.Stat_t
	must(t, unix.Lstat(filepath.Join(e.root, "a/b/c"), &st))
	if len(ins) != 3 || ins[2].Stat.Ino != st.Ino || ins[2].Stat.Size != 5 || ins[0].Stat.Mode&unix.S_IFMT != unix.S_IFDIR {
		t.Errorf("walk a/b/c: %+v", ins)
	}
	ins, err = e.c.Walk(e.rootH, []string{"a", "missing", "c"})
	wantErrno(t, "walk a/missing/c", err, unix.ENOENT)
	if len(ins) != 1 {
		t.Errorf("walk a/missing/c got %d components, want 1", len(ins))
	}
	ins, err = e.c.Walk(e.rootH, []string{"a", "b", "c", "d"})
	wantErrno(t, "walk through a file", err, unix.ENOTDIR)
	if len(ins) != 3 {
		t.Errorf("walk a/b/c/d got %d components, want 3", len(ins))
	}
	_, err = e.c.Walk(ins[2].Handle, []string{"x"})
	wantErrno(t, "walk from a file handle", err, unix.ENOTDIR)
	_, err = e.c.Walk(12345, []string{"a"})
	wantErrno(t, "walk from a bad handle", err, unix.EBADF)
}

func TestHostileNames(t *testing.T) {
	e := newEnv(t)
	e.write("dir/file", "x")
	file := e.walk("dir/file")
	long := strings.Repeat("n", 255)
	cases := []struct {
		name string
		want unix.Errno
	}{
		{"..", unix.EINVAL}, {".", unix.EINVAL}, {"", unix.EINVAL}, {"a/b", unix.EINVAL},
		{"/", unix.EINVAL}, {"/etc", unix.EINVAL}, {"a\x00b", unix.EINVAL},
		{long + "n", unix.ENAMETOOLONG}, {strings.Repeat("x", 4000), unix.ENAMETOOLONG},
	}
	for _, tc := range cases {
		what := func(op string) string { return op + " " + strings.ToValidUTF8(tc.name[:min(len(tc.name), 10)], "?") }
		_, err := e.c.Walk(e.rootH, []string{"dir", tc.name})
		wantErrno(t, what("walk"), err, tc.want)
		_, fd, err := e.c.Create(e.rootH, tc.name, unix.O_RDWR, 0644, client.NoID, client.NoID)
		wantErrno(t, what("create"), err, tc.want)
		if fd >= 0 {
			unix.Close(fd)
		}
		_, err = e.c.Mkdir(e.rootH, tc.name, 0755, client.NoID, client.NoID)
		wantErrno(t, what("mkdir"), err, tc.want)
		_, err = e.c.Mknod(e.rootH, tc.name, unix.S_IFIFO|0644, client.NoID, client.NoID)
		wantErrno(t, what("mknod"), err, tc.want)
		_, err = e.c.Symlink(e.rootH, tc.name, "t", client.NoID, client.NoID)
		wantErrno(t, what("symlink"), err, tc.want)
		_, err = e.c.Link(e.rootH, tc.name, file.Handle)
		wantErrno(t, what("link"), err, tc.want)
		wantErrno(t, what("unlink"), e.c.Unlink(e.rootH, tc.name, 0), tc.want)
		wantErrno(t, what("rename from"), e.c.Rename(e.rootH, tc.name, e.rootH, "x", 0), tc.want)
		wantErrno(t, what("rename to"), e.c.Rename(e.rootH, "dir", e.rootH, tc.name, 0), tc.want)
	}
	// Nothing escaped into the parent of the root.
	ents, _ := os.ReadDir(filepath.Dir(e.root))
	if len(ents) != 2 {
		t.Errorf("parent of the root now holds %d entries", len(ents))
	}
	// A 255-byte name is fine; garbage bytes without NUL or slash are just a name.
	for _, name := range []string{long, "\xff\xfe\x01 \t\n*?", "...", ".hidden", "-"} {
		in, err := e.c.Mkdir(e.rootH, name, 0700, client.NoID, client.NoID)
		must(t, err)
		if _, err := os.Stat(filepath.Join(e.root, name)); err != nil {
			t.Errorf("mkdir %q: %v", name, err)
		}
		ins, err := e.c.Walk(e.rootH, []string{name})
		if err != nil || ins[0].Stat.Ino != in.Stat.Ino {
			t.Errorf("walk %q: %v", name, err)
		}
	}
}

func TestDeepWalk(t *testing.T) {
	e := newEnv(t)
	// "a/a/.../a", 4095 bytes: 2048 components, more than one walk request holds.
	const depth = 2048
	fd, err := unix.Open(e.root, unix.O_PATH|unix.O_DIRECTORY, 0)
	must(t, err)
	for i := 0; i < depth; i++ {
		must(t, unix.Mkdirat(fd, "a", 0755))
		next, err := unix.Openat(fd, "a", unix.O_PATH|unix.O_DIRECTORY, 0)
		must(t, err)
		unix.Close(fd)
		fd = next
	}
	must(t, unix.Mknodat(fd, "leaf", unix.S_IFREG|0644, 0))
	var leaf unix.Stat_t
	must(t, unix.Fstatat(fd, "leaf", &leaf, 0))
	unix.Close(fd)
	names := slices.Repeat([]string{"a"}, depth)
	if p := strings.Join(names, "/"); len(p) != 4095 {
		t.Fatalf("path length %d", len(p))
	}
	ins, err := e.c.Walk(e.rootH, append(names, "leaf"))
	must(t, err)
	if len(ins) != depth+1 || ins[depth].Stat.Ino != leaf.Ino {
		t.Fatalf("deep walk: %d inodes", len(ins))
	}
	hs := make([]client.Handle, len(ins))
	for i, in := range ins {
		hs[i] = in.Handle
	}
	must(t, e.c.CloseHandles(hs...))
	// A longer path than one request allows, stopping part way.
	ins, err = e.c.Walk(e.rootH, append(names[:proto.MaxWalk+10], "missing"))
	wantErrno(t, "deep walk to a missing name", err, unix.ENOENT)
	if len(ins) != proto.MaxWalk+10 {
		t.Errorf("deep walk stopped after %d", len(ins))
	}
}

func TestSymlinksAreNeverFollowed(t *testing.T) {
	e := newEnv(t)
	must(t, os.Symlink("/etc/shadow", filepath.Join(e.root, "shadow")))
	must(t, os.Symlink("/etc", filepath.Join(e.root, "etc")))
	must(t, os.Symlink("../../..", filepath.Join(e.root, "up")))

	ins, err := e.c.Walk(e.rootH, []string{"shadow"})
	must(t, err)
	sl := ins[0]
	if sl.Stat.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Fatalf("shadow: mode %o, want a symlink", sl.Stat.Mode)
	}
	if target, err := e.c.Readlink(sl.Handle); err != nil || target != "/etc/shadow" {
		t.Errorf("readlink: %q %v", target, err)
	}
	fd, err := e.c.Open(sl.Handle, unix.O_RDONLY)
	wantErrno(t, "open a symlink", err, unix.ELOOP)
	if fd >= 0 {
		t.Errorf("open of a symlink donated %s", readFD(t, fd))
	}
	// Walking through a symlink stops at it, with no error: the client resolves it.
	for _, path := range [][]string{{"etc", "shadow"}, {"etc", "passwd"}, {"up", "etc", "shadow"}} {
		ins, err := e.c.Walk(e.rootH, path)
		if err != nil || len(ins) != 1 || ins[0].Stat.Mode&unix.S_IFMT != unix.S_IFLNK {
			t.Errorf("walk %v: %d inodes, %v", path, len(ins), err)
		}
	}
	_, err = e.c.SetAttr(sl.Handle, client.SetAttr{Mode: ptr(uint32(0777))})
	wantErrno(t, "chmod a symlink", err, unix.EOPNOTSUPP)
	_, err = e.c.GetXattr(sl.Handle, "user.x")
	wantErrno(t, "getxattr on a symlink", err, unix.EPERM)
	// Changing the symlink's times or owner changes the symlink, not /etc/shadow.
	var before unix.Stat_t
	must(t, unix.Stat("/etc", &before))
	etc := e.walk("etc")
	_, err = e.c.SetAttr(etc.Handle, client.SetAttr{Mtime: &client.Timespec{Sec: 1000}})
	must(t, err)
	var after, link unix.Stat_t
	must(t, unix.Stat("/etc", &after))
	must(t, unix.Lstat(filepath.Join(e.root, "etc"), &link))
	if after.Mtim != before.Mtim || link.Mtim.Sec != 1000 {
		t.Errorf("utimes on a symlink: host /etc mtime %v -> %v, link %v", before.Mtim, after.Mtim, link.Mtim)
	}
}

func ptr[T any](v T) *T { return &v }

func TestOpenDonatesTheRightFile(t *testing.T) {
	e := newEnv(t)
	e.write("f", "contents")
	f := e.walk("f")
	fd, err := e.c.Open(f.Handle, unix.O_RDWR)
	must(t, err)
	defer unix.Close(fd)
	if got := readFD(t, fd); got != "contents" {
		t.Errorf("read %q", got)
	}
	var st unix.Stat_t
	must(t, unix.Fstat(fd, &st))
	if st.Ino != f.Stat.Ino || st.Dev != f.Stat.Dev {
		t.Errorf("donated fd is inode %d, want %d", st.Ino, f.Stat.Ino)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("donated fd is not close-on-exec")
	}
	_, err = unix.Pwrite(fd, []byte("CON"), 0)
	must(t, err)
	if b, _ := os.ReadFile(filepath.Join(e.root, "f")); string(b) != "CONtents" {
		t.Errorf("write through donated fd: host sees %q", b)
	}
	// After a rename on the host the handle still names the same file.
	must(t, os.Rename(filepath.Join(e.root, "f"), filepath.Join(e.root, "g")))
	fd2, err := e.c.Open(f.Handle, unix.O_RDONLY|unix.O_TRUNC|unix.O_WRONLY)
	must(t, err)
	unix.Close(fd2)
	if b, _ := os.ReadFile(filepath.Join(e.root, "g")); len(b) != 0 {
		t.Errorf("O_TRUNC through a renamed handle left %q", b)
	}
	dir, err := e.c.Open(e.rootH, unix.O_RDONLY|unix.O_DIRECTORY)
	must(t, err)
	unix.Close(dir)
	_, err = e.c.Open(e.rootH, unix.O_WRONLY)
	wantErrno(t, "open a directory for writing", err, unix.EISDIR)
	_, err = e.c.Open(f.Handle, unix.O_RDONLY|unix.O_DIRECTORY)
	wantErrno(t, "O_DIRECTORY on a file", err, unix.ENOTDIR)
	_, err = e.c.Open(f.Handle, unix.O_PATH)
	wantErrno(t, "O_PATH", err, unix.EINVAL)
	_, err = e.c.Open(f.Handle, unix.O_TMPFILE|unix.O_RDWR)
	wantErrno(t, "O_TMPFILE", err, unix.EINVAL)
	_, err = e.c.Open(f.Handle, 3)
	wantErrno(t, "access mode 3", err, unix.EINVAL)
	_, err = e.c.Open(999, unix.O_RDONLY)
	wantErrno(t, "bad handle", err, unix.EBADF)
}

func TestSpecialFilesAreNotOpened(t *testing.T) {
	e := newEnv(t)
	must(t, unix.Mkfifo(filepath.Join(e.root, "fifo"), 0644))
	_, err := e.c.Open(e.walk("fifo").Handle, unix.O_RDONLY)
	wantErrno(t, "open a fifo", err, unix.ENXIO)
	if err := unix.Mknod(filepath.Join(e.root, "null"), unix.S_IFCHR|0666, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a device node here: %v", err)
	}
	null := e.walk("null")
	if null.Stat.Mode&unix.S_IFMT != unix.S_IFCHR || null.Stat.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("device stat: %+v", null.Stat)
	}
	for _, fl := range []int{unix.O_RDONLY, unix.O_WRONLY, unix.O_RDWR | unix.O_NONBLOCK} {
		fd, err := e.c.Open(null.Handle, fl)
		wantErrno(t, "open a device", err, unix.EPERM)
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	_, err = e.c.SetAttr(null.Handle, client.SetAttr{Size: ptr(uint64(0))})
	wantErrno(t, "truncate a device", err, unix.EINVAL)
}

func TestCreate(t *testing.T) {
	e := newEnv(t)
	in, fd, err := e.c.Create(e.rootH, "new", unix.O_RDWR|unix.O_APPEND, 0640, 1234, 5678)
	must(t, err)
	_, err = unix.Write(fd, []byte("abc"))
	must(t, err)
	unix.Close(fd)
	var st unix.Stat_t
	must(t, unix.Lstat(filepath.Join(e.root, "new"), &st))
	if st.Mode != unix.S_IFREG|0640 || st.Size != 3 || st.Ino != in.Stat.Ino {
		t.Errorf("created: mode %o size %d", st.Mode, st.Size)
	}
	if os.Geteuid() == 0 && (st.Uid != 1234 || st.Gid != 5678 || in.Stat.UID != 1234) {
		t.Errorf("owner %d:%d, want 1234:5678", st.Uid, st.Gid)
	}
	_, _, err = e.c.Create(e.rootH, "new", unix.O_RDWR, 0644, client.NoID, client.NoID)
	wantErrno(t, "create over an existing file", err, unix.EEXIST)
	_, _, err = e.c.Create(in.Handle, "x", unix.O_RDWR, 0644, client.NoID, client.NoID)
	wantErrno(t, "create in a file", err, unix.ENOTDIR)
	// A dangling symlink is not followed to create its target.
	must(t, os.Symlink("/tmp/stockade-gofer-escape", filepath.Join(e.root, "dangling")))
	_, _, err = e.c.Create(e.rootH, "dangling", unix.O_RDWR, 0644, client.NoID, client.NoID)
	wantErrno(t, "create through a dangling symlink", err, unix.EEXIST)
	if _, err := os.Lstat("/tmp/stockade-gofer-escape"); err == nil {
		t.Errorf("create followed a symlink out of the root")
	}
}

func TestMkdirMknodSymlinkLink(t *testing.T) {
	e := newEnv(t)
	d, err := e.c.Mkdir(e.rootH, "d", 0711, 7, 8)
	must(t, err)
	if d.Stat.Mode != unix.S_IFDIR|0711 || (os.Geteuid() == 0 && d.Stat.UID != 7) {
		t.Errorf("mkdir: %o uid %d", d.Stat.Mode, d.Stat.UID)
	}
	_, err = e.c.Mkdir(e.rootH, "d", 0711, client.NoID, client.NoID)
	wantErrno(t, "mkdir existing", err, unix.EEXIST)
	for _, mode := range []uint32{unix.S_IFIFO | 0600, unix.S_IFSOCK | 0600, unix.S_IFREG | 0600, 0600} {
		name := "n" + string(rune('0'+mode>>12))
		in, err := e.c.Mknod(d.Handle, name, mode, client.NoID, client.NoID)
		must(t, err)
		want := mode
		if mode&unix.S_IFMT == 0 {
			want |= unix.S_IFREG
		}
		if in.Stat.Mode != want {
			t.Errorf("mknod %o: made %o", mode, in.Stat.Mode)
		}
	}
	_, err = e.c.Mknod(d.Handle, "chr", unix.S_IFCHR|0600, client.NoID, client.NoID)
	wantErrno(t, "mknod char device", err, unix.EPERM)
	_, err = e.c.Mknod(d.Handle, "blk", unix.S_IFBLK|0600, client.NoID, client.NoID)
	wantErrno(t, "mknod block device", err, unix.EPERM)
	_, err = e.c.Mknod(d.Handle, "dir", unix.S_IFDIR|0600, client.NoID, client.NoID)
	wantErrno(t, "mknod directory", err, unix.EINVAL)
	if _, err := os.Lstat(filepath.Join(e.root, "d/chr")); err == nil {
		t.Errorf("a device node was created")
	}

	sl, err := e.c.Symlink(d.Handle, "sl", "../../target", 9, 10)
	must(t, err)
	if sl.Stat.Mode&unix.S_IFMT != unix.S_IFLNK || (os.Geteuid() == 0 && sl.Stat.UID != 9) {
		t.Errorf("symlink: %o uid %d", sl.Stat.Mode, sl.Stat.UID)
	}
	if tg, _ := os.Readlink(filepath.Join(e.root, "d/sl")); tg != "../../target" {
		t.Errorf("symlink target %q", tg)
	}
	_, err = e.c.Symlink(d.Handle, "e", "", client.NoID, client.NoID)
	wantErrno(t, "empty symlink target", err, unix.ENOENT)
	_, err = e.c.Symlink(d.Handle, "e", strings.Repeat("t", 4096), client.NoID, client.NoID)
	wantErrno(t, "long symlink target", err, unix.ENAMETOOLONG)

	e.write("f", "x")
	f := e.walk("f")
	l, err := e.c.Link(d.Handle, "hard", f.Handle)
	must(t, err)
	if l.Stat.Ino != f.Stat.Ino || l.Stat.Nlink != 2 {
		t.Errorf("link: ino %d nlink %d", l.Stat.Ino, l.Stat.Nlink)
	}
	lsl, err := e.c.Link(d.Handle, "hardsl", sl.Handle)
	must(t, err)
	if lsl.Stat.Ino != sl.Stat.Ino {
		t.Errorf("link to a symlink linked something else")
	}
	_, err = e.c.Link(e.rootH, "dirlink", d.Handle)
	wantErrno(t, "link a directory", err, unix.EPERM)
	ro, _, err := e.c.Attach("ro")
	must(t, err)
	_, err = e.c.Link(e.rootH, "x", ro.Handle)
	wantErrno(t, "link across attach points", err, unix.EXDEV)
}

func TestUnlink(t *testing.T) {
	e := newEnv(t)
	e.write("d/f", "x")
	must(t, os.Mkdir(filepath.Join(e.root, "empty"), 0755))
	wantErrno(t, "unlink a dir", e.c.Unlink(e.rootH, "empty", 0), unix.EISDIR)
	wantErrno(t, "rmdir a file", e.c.Unlink(e.walk("d").Handle, "f", unix.AT_REMOVEDIR), unix.ENOTDIR)
	wantErrno(t, "rmdir non-empty", e.c.Unlink(e.rootH, "d", unix.AT_REMOVEDIR), unix.ENOTEMPTY)
	wantErrno(t, "bad flags", e.c.Unlink(e.rootH, "d", 1), unix.EINVAL)
	wantErrno(t, "missing", e.c.Unlink(e.rootH, "nope", 0), unix.ENOENT)
	must(t, e.c.Unlink(e.walk("d").Handle, "f", 0))
	must(t, e.c.Unlink(e.rootH, "d", unix.AT_REMOVEDIR))
	must(t, e.c.Unlink(e.rootH, "empty", unix.AT_REMOVEDIR))
	if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	e.write("a/f", "F")
	e.write("b/g", "G")
	a, b := e.walk("a"), e.walk("b")
	f := e.walk("a/f")
	must(t, e.c.Rename(a.Handle, "f", b.Handle, "f2", 0))
	if st, err := e.c.Stat(f.Handle); err != nil || st.Ino != f.Stat.Ino {
		t.Errorf("handle after rename: %v", err)
	}
	wantErrno(t, "noreplace", e.c.Rename(b.Handle, "f2", b.Handle, "g", unix.RENAME_NOREPLACE), unix.EEXIST)
	must(t, e.c.Rename(b.Handle, "f2", b.Handle, "g", unix.RENAME_EXCHANGE))
	if x, _ := os.ReadFile(filepath.Join(e.root, "b/g")); string(x) != "F" {
		t.Errorf("exchange: g holds %q", x)
	}
	wantErrno(t, "exchange with missing", e.c.Rename(b.Handle, "g", b.Handle, "zz", unix.RENAME_EXCHANGE), unix.ENOENT)
	wantErrno(t, "both flags", e.c.Rename(b.Handle, "g", b.Handle, "f2", unix.RENAME_EXCHANGE|unix.RENAME_NOREPLACE), unix.EINVAL)
	wantErrno(t, "whiteout", e.c.Rename(b.Handle, "g", b.Handle, "w", unix.RENAME_WHITEOUT), unix.EINVAL)
	// A directory renamed into its own child.
	must(t, os.MkdirAll(filepath.Join(e.root, "p/c"), 0755))
	p, c := e.walk("p"), e.walk("p/c")
	wantErrno(t, "dir into own child", e.c.Rename(e.rootH, "p", c.Handle, "p", 0), unix.EINVAL)
	wantErrno(t, "dir into itself", e.c.Rename(e.rootH, "p", p.Handle, "p", 0), unix.EINVAL)
	wantErrno(t, "missing", e.c.Rename(e.rootH, "nope", e.rootH, "x", 0), unix.ENOENT)
	ro, _, err := e.c.Attach("ro")
	must(t, err)
	wantErrno(t, "across attach points", e.c.Rename(e.rootH, "p", ro.Handle, "p", 0), unix.EROFS)
}

func TestGetdents(t *testing.T) {
	e := newEnv(t)
	want := map[string]uint8{}
	for i := 0; i < 600; i++ {
		name := strings.Repeat("x", 100+i%130) + string(rune('a'+i%26)) + strings.Repeat("0", i/26)
		e.write("d/"+name, "")
		want[name] = unix.DT_REG
	}
	must(t, os.Mkdir(filepath.Join(e.root, "d/sub"), 0755))
	want["sub"] = unix.DT_DIR
	must(t, os.Symlink("x", filepath.Join(e.root, "d/sl")))
	want["sl"] = unix.DT_LNK
	d := e.walk("d")
	got := map[string]uint8{}
	var off uint64
	calls := 0
	for {
		ents, err := e.c.Getdents(d.Handle, off, 2048)
		must(t, err)
		if len(ents) == 0 {
			break
		}
		calls++
		for _, de := range ents {
			if _, dup := got[de.Name]; dup {
				t.Fatalf("%q twice", de.Name)
			}
			got[de.Name] = de.Type
			var st unix.Stat_t
			must(t, unix.Lstat(filepath.Join(e.root, "d", de.Name), &st))
			if st.Ino != de.Ino {
				t.Errorf("%s: ino %d, want %d", de.Name, de.Ino, st.Ino)
			}
		}
		off = ents[len(ents)-1].Off
	}
	if len(got) != len(want) {
		t.Errorf("got %d entries, want %d", len(got), len(want))
	}
	for n, ty := range want {
		if got[n] != ty {
			t.Errorf("%s: type %d, want %d", n, got[n], ty)
		}
	}
	if calls < 10 {
		t.Errorf("only %d batches at 2 KiB each", calls)
	}
	// From the start again, all at once.
	ents, err := e.c.Getdents(d.Handle, 0, 0)
	must(t, err)
	if len(ents) != len(want) {
		t.Errorf("one batch: %d entries", len(ents))
	}
	_, err = e.c.Getdents(d.Handle, 0, 16)
	wantErrno(t, "tiny buffer", err, unix.EINVAL)
	e.write("file", "")
	_, err = e.c.Getdents(e.walk("file").Handle, 0, 0)
	wantErrno(t, "getdents of a file", err, unix.ENOTDIR)
	ents, err = e.c.Getdents(e.walk("d/sub").Handle, 0, 0)
	if err != nil || len(ents) != 0 {
		t.Errorf("empty dir: %v %v", ents, err)
	}
}

func TestStatAndSetAttr(t *testing.T) {
	e := newEnv(t)
	e.write("f", "0123456789")
	f := e.walk("f")
	st, err := e.c.Stat(f.Handle)
	must(t, err)
	var host unix.Stat_t
	must(t, unix.Lstat(filepath.Join(e.root, "f"), &host))
	if st.Ino != host.Ino || st.Dev != host.Dev || st.Size != 10 || st.Nlink != 1 || st.Mode != host.Mode ||
		st.Blocks != uint64(host.Blocks) || st.Mtime.Sec != host.Mtim.Sec || st.Mtime.Nsec != uint32(host.Mtim.Nsec) {
		t.Errorf("stat %+v vs host %+v", st, host)
	}
	st, err = e.c.SetAttr(f.Handle, client.SetAttr{
		Mode: ptr(uint32(04751)), Size: ptr(uint64(3)),
		Atime: &client.Timespec{Sec: 100, Nsec: 5}, Mtime: &client.Timespec{Sec: 200, Nsec: 6},
	})
	must(t, err)
	if st.Mode != unix.S_IFREG|04751 || st.Size != 3 || st.Atime != (client.Timespec{Sec: 100, Nsec: 5}) || st.Mtime != (client.Timespec{Sec: 200, Nsec: 6}) {
		t.Errorf("after setattr: %+v", st)
	}
	if os.Geteuid() == 0 {
		st, err = e.c.SetAttr(f.Handle, client.SetAttr{UID: ptr(uint32(42))})
		must(t, err)
		if st.UID != 42 || st.GID != host.Gid {
			t.Errorf("chown uid: %d:%d", st.UID, st.GID)
		}
		st, err = e.c.SetAttr(f.Handle, client.SetAttr{GID: ptr(uint32(43))})
		must(t, err)
		if st.UID != 42 || st.GID != 43 {
			t.Errorf("chown gid: %d:%d", st.UID, st.GID)
		}
	}
	st, err = e.c.SetAttr(f.Handle, client.SetAttr{Atime: &client.Timespec{Nsec: unix.UTIME_NOW}, Mtime: &client.Timespec{Nsec: unix.UTIME_OMIT}})
	must(t, err)
	if st.Atime.Sec < 1_000_000_000 || st.Mtime != (client.Timespec{Sec: 200, Nsec: 6}) {
		t.Errorf("UTIME_NOW/OMIT: atime %v mtime %v", st.Atime, st.Mtime)
	}
	_, err = e.c.SetAttr(f.Handle, client.SetAttr{Mtime: &client.Timespec{Nsec: 1e9}})
	wantErrno(t, "bad nsec", err, unix.EINVAL)
	_, err = e.c.SetAttr(e.rootH, client.SetAttr{Size: ptr(uint64(0))})
	wantErrno(t, "truncate a directory", err, unix.EISDIR)
	_, err = e.c.SetAttr(f.Handle, client.SetAttr{Size: ptr(uint64(1 << 63))})
	wantErrno(t, "huge size", err, unix.EINVAL)
	_, err = e.c.Stat(0)
	wantErrno(t, "stat handle 0", err, unix.EBADF)
}

func TestStatFS(t *testing.T) {
	e := newEnv(t)
	fs, err := e.c.StatFS(e.rootH)
	must(t, err)
	var host unix.Statfs_t
	must(t, unix.Statfs(e.root, &host))
	if fs.Type != uint64(host.Type) || fs.Bsize != uint64(host.Bsize) || fs.Namelen != uint64(host.Namelen) {
		t.Errorf("statfs %+v vs host %+v", fs, host)
	}
}

func TestXattrs(t *testing.T) {
	e := newEnv(t)
	e.write("f", "")
	if err := unix.Setxattr(filepath.Join(e.root, "f"), "user.probe", []byte("1"), 0); err != nil {
		t.Skipf("host filesystem has no user xattrs: %v", err)
	}
	f := e.walk("f")
	must(t, e.c.SetXattr(f.Handle, "user.a", []byte("value-a"), 0))
	must(t, e.c.SetXattr(e.rootH, "user.dir", []byte{}, unix.XATTR_CREATE))
	v, err := e.c.GetXattr(f.Handle, "user.a")
	if err != nil || string(v) != "value-a" {
		t.Errorf("getxattr: %q %v", v, err)
	}
	names, err := e.c.ListXattr(f.Handle)
	must(t, err)
	slices.Sort(names)
	if !slices.Equal(names, []string{"user.a", "user.probe"}) {
		t.Errorf("listxattr: %q", names)
	}
	wantErrno(t, "XATTR_CREATE existing", e.c.SetXattr(f.Handle, "user.a", nil, unix.XATTR_CREATE), unix.EEXIST)
	wantErrno(t, "XATTR_REPLACE missing", e.c.SetXattr(f.Handle, "user.zz", nil, unix.XATTR_REPLACE), unix.ENODATA)
	wantErrno(t, "trusted namespace", e.c.SetXattr(f.Handle, "trusted.x", nil, 0), unix.EOPNOTSUPP)
	wantErrno(t, "security namespace", e.c.SetXattr(f.Handle, "security.capability", []byte{1}, 0), unix.EOPNOTSUPP)
	_, err = e.c.GetXattr(f.Handle, "security.selinux")
	wantErrno(t, "get security namespace", err, unix.EOPNOTSUPP)
	wantErrno(t, "long name", e.c.SetXattr(f.Handle, "user."+strings.Repeat("n", 251), nil, 0), unix.ERANGE)
	wantErrno(t, "bad flags", e.c.SetXattr(f.Handle, "user.a", nil, 4), unix.EINVAL)
	must(t, e.c.RemoveXattr(f.Handle, "user.a"))
	_, err = e.c.GetXattr(f.Handle, "user.a")
	wantErrno(t, "get removed", err, unix.ENODATA)
	wantErrno(t, "remove missing", e.c.RemoveXattr(f.Handle, "user.a"), unix.ENODATA)
}

func TestReadOnlyMount(t *testing.T) {
	e := newEnv(t)
	ro, _, err := e.c.Attach("ro")
	must(t, err)
	ins, err := e.c.Walk(ro.Handle, []string{"file"})
	must(t, err)
	file := ins[0]
	fd, err := e.c.Open(file.Handle, unix.O_RDONLY)
	must(t, err)
	if got := readFD(t, fd); got != "ro data" {
		t.Errorf("read %q", got)
	}
	unix.Close(fd)
	rofs := func(what string, err error) { t.Helper(); wantErrno(t, what, err, unix.EROFS) }
	for _, fl := range []int{unix.O_WRONLY, unix.O_RDWR, unix.O_RDONLY | unix.O_TRUNC} {
		_, err := e.c.Open(file.Handle, fl)
		rofs("open for writing", err)
	}
	_, _, err = e.c.Create(ro.Handle, "new", unix.O_RDWR, 0644, client.NoID, client.NoID)
	rofs("create", err)
	_, err = e.c.Mkdir(ro.Handle, "new", 0755, client.NoID, client.NoID)
	rofs("mkdir", err)
	_, err = e.c.Mknod(ro.Handle, "new", unix.S_IFIFO|0644, client.NoID, client.NoID)
	rofs("mknod", err)
	_, err = e.c.Symlink(ro.Handle, "new", "x", client.NoID, client.NoID)
	rofs("symlink", err)
	_, err = e.c.Link(ro.Handle, "new", file.Handle)
	rofs("link", err)
	rofs("unlink", e.c.Unlink(ro.Handle, "file", 0))
	rofs("rmdir", e.c.Unlink(ro.Handle, "sub", unix.AT_REMOVEDIR))
	rofs("rename", e.c.Rename(ro.Handle, "file", ro.Handle, "file2", 0))
	_, err = e.c.SetAttr(file.Handle, client.SetAttr{Mode: ptr(uint32(0777))})
	rofs("chmod", err)
	_, err = e.c.SetAttr(file.Handle, client.SetAttr{Size: ptr(uint64(0))})
	rofs("truncate", err)
	_, err = e.c.SetAttr(file.Handle, client.SetAttr{Mtime: &client.Timespec{Nsec: unix.UTIME_NOW}})
	rofs("utimes", err)
	rofs("setxattr", e.c.SetXattr(file.Handle, "user.a", nil, 0))
	rofs("removexattr", e.c.RemoveXattr(file.Handle, "user.a"))
	if b, _ := os.ReadFile(filepath.Join(e.roDir, "file")); string(b) != "ro data" {
		t.Errorf("read-only file changed to %q", b)
	}
	if ents, _ := os.ReadDir(e.roDir); len(ents) != 2 {
		t.Errorf("read-only dir holds %d entries", len(ents))
	}
	// Reads still work.
	if _, err := e.c.Stat(file.Handle); err != nil {
		t.Errorf("stat: %v", err)
	}
	if ents, err := e.c.Getdents(ro.Handle, 0, 0); err != nil || len(ents) != 2 {
		t.Errorf("getdents: %v %v", ents, err)
	}
}

func TestCloseHandles(t *testing.T) {
	e := newEnv(t)
	e.write("f", "")
	f := e.walk("f")
	must(t, e.c.CloseHandles(f.Handle))
	_, err := e.c.Stat(f.Handle)
	wantErrno(t, "stat a closed handle", err, unix.EBADF)
	wantErrno(t, "close twice", e.c.CloseHandles(f.Handle), unix.EBADF)
	g := e.walk("f")
	wantErrno(t, "close a bad and a good one", e.c.CloseHandles(777, g.Handle), unix.EBADF)
	_, err = e.c.Stat(g.Handle)
	wantErrno(t, "the good one was closed", err, unix.EBADF)
}

func TestConcurrentCalls(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 8; i++ {
		e.write("d/f"+string(rune('0'+i)), strings.Repeat(string(rune('a'+i)), i+1))
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				k := (g + i) % 8
				ins, err := e.c.Walk(e.rootH, []string{"d", "f" + string(rune('0'+k))})
				if err != nil {
					t.Error(err)
					return
				}
				fd, err := e.c.Open(ins[1].Handle, unix.O_RDONLY)
				if err != nil {
					t.Error(err)
					return
				}
				if got, want := readFD(t, fd), strings.Repeat(string(rune('a'+k)), k+1); got != want {
					t.Errorf("read %q, want %q", got, want)
				}
				unix.Close(fd)
				if err := e.c.CloseHandles(ins[0].Handle, ins[1].Handle); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// rawConn is a protocol connection to a fresh server, for sending malformed frames.
func rawConn(t *testing.T) (fd int, serveErr chan error) {
	t.Helper()
	srv, err := gofer.NewServer([]gofer.Mount{{Name: "/", Path: t.TempDir()}})
	must(t, err)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	serveErr = make(chan error, 1)
	go func() { serveErr <- srv.Serve(fds[0]); srv.Close() }()
	t.Cleanup(func() { unix.Close(fds[1]) })
	return fds[1], serveErr
}

func frame(t *testing.T, tag uint32, m proto.Message) []byte {
	t.Helper()
	b, err := proto.EncodeFrame(tag, m, 0)
	must(t, err)
	return b
}

func TestMalformedMessagesCloseTheConnection(t *testing.T) {
	hello := func(t *testing.T) []byte { return frame(t, 1, &proto.VersionReq{Magic: proto.Magic, Version: 1}) }
	stat := func(t *testing.T) []byte { return frame(t, 2, &proto.StatReq{Handle: 1}) }
	cases := map[string]func(t *testing.T) [][]byte{
		"no handshake": func(t *testing.T) [][]byte { return [][]byte{stat(t)} },
		"bad magic": func(t *testing.T) [][]byte {
			return [][]byte{frame(t, 1, &proto.VersionReq{Magic: 1, Version: 1})}
		},
		"version 0": func(t *testing.T) [][]byte { return [][]byte{frame(t, 1, &proto.VersionReq{Magic: proto.Magic})} },
		"garbage":   func(t *testing.T) [][]byte { return [][]byte{hello(t), []byte("GET / HTTP/1.1\r\n\r\n")} },
		"size lies": func(t *testing.T) [][]byte {
			b := stat(t)
			b[0] += 4
			return [][]byte{hello(t), b}
		},
		"truncated payload": func(t *testing.T) [][]byte {
			b := stat(t)
			b = b[:len(b)-2]
			b[0] -= 2
			return [][]byte{hello(t), b}
		},
		"unknown op": func(t *testing.T) [][]byte {
			b := stat(t)
			b[8] = 0x99
			return [][]byte{hello(t), b}
		},
		"response from client": func(t *testing.T) [][]byte {
			return [][]byte{hello(t), frame(t, 3, proto.NewEmptyResp(proto.OpClose))}
		},
		"second handshake": func(t *testing.T) [][]byte { return [][]byte{hello(t), hello(t)} },
		"oversized": func(t *testing.T) [][]byte {
			b := make([]byte, proto.MaxMessage+100)
			copy(b, stat(t))
			return [][]byte{hello(t), b}
		},
		"huge walk count": func(t *testing.T) [][]byte {
			b := frame(t, 2, &proto.WalkReq{Dir: 1})
			b[len(b)-1] = 0x7f
			return [][]byte{hello(t), b}
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			fd, serveErr := rawConn(t)
			for _, b := range build(t) {
				unix.Sendmsg(fd, b, nil, nil, unix.MSG_NOSIGNAL)
			}
			err := <-serveErr
			var pe *proto.ProtocolError
			if !errors.As(err, &pe) {
				t.Errorf("Serve returned %v, want a protocol error", err)
			}
			// The server hung up: reads end (after at most a version or error reply).
			buf := make([]byte, proto.MaxMessage)
			for i := 0; ; i++ {
				n, _, _, _, err := unix.Recvmsg(fd, buf, nil, 0)
				if n == 0 || err != nil {
					break
				}
				if i > 2 {
					t.Fatalf("server still talking")
				}
			}
		})
	}
}

// On a seqpacket socket an empty packet reads like a hang-up, and is treated as one.
func TestEmptyFrameEndsTheSession(t *testing.T) {
	fd, serveErr := rawConn(t)
	must(t, unix.Sendmsg(fd, frame(t, 1, &proto.VersionReq{Magic: proto.Magic, Version: 1}), nil, nil, 0))
	must(t, unix.Sendmsg(fd, nil, nil, nil, 0))
	if err := <-serveErr; err != nil {
		t.Errorf("Serve returned %v", err)
	}
}

func TestFramesWithDescriptorsAreRejected(t *testing.T) {
	fd, serveErr := rawConn(t)
	must(t, unix.Sendmsg(fd, frame(t, 1, &proto.VersionReq{Magic: proto.Magic, Version: 1}), nil, nil, 0))
	devnull, err := unix.Open("/dev/null", unix.O_RDONLY, 0)
	must(t, err)
	defer unix.Close(devnull)
	must(t, unix.Sendmsg(fd, frame(t, 2, &proto.StatReq{Handle: 1}), unix.UnixRights(devnull), nil, 0))
	var pe *proto.ProtocolError
	if err := <-serveErr; !errors.As(err, &pe) {
		t.Errorf("Serve returned %v, want a protocol error", err)
	}
}

func TestClientRejectsStreamSockets(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	must(t, err)
	defer unix.Close(fds[0])
	if _, err := client.Dial(fds[1]); err == nil {
		t.Errorf("Dial accepted a stream socket")
	}
}

func TestBrokenConnectionFailsCalls(t *testing.T) {
	e := newEnv(t)
	must(t, e.c.Close())
	_, err := e.c.Stat(e.rootH)
	if !errors.Is(err, client.ErrClosed) {
		t.Errorf("call after Close: %v", err)
	}
}

func TestNoDescriptorLeaks(t *testing.T) {
	count := func() int { ents, _ := os.ReadDir("/proc/self/fd"); return len(ents) }
	t.Run("session", func(t *testing.T) {
		before := count()
		t.Run("inner", func(t *testing.T) {
			e := newEnv(t)
			e.write("d/f", "x")
			for i := 0; i < 20; i++ {
				f := e.walk("d/f")
				fd, err := e.c.Open(f.Handle, unix.O_RDONLY)
				must(t, err)
				unix.Close(fd)
				_, err = e.c.Getdents(e.walk("d").Handle, 0, 0)
				must(t, err)
			}
		})
		if after := count(); after != before {
			t.Errorf("%d descriptors before a session, %d after", before, after)
		}
	})
}

func TestDataRoundTripLarge(t *testing.T) {
	e := newEnv(t)
	in, fd, err := e.c.Create(e.rootH, "big", unix.O_RDWR, 0600, client.NoID, client.NoID)
	must(t, err)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	_, err = unix.Pwrite(fd, data, 0)
	must(t, err)
	unix.Close(fd)
	st, err := e.c.Stat(in.Handle)
	must(t, err)
	if st.Size != uint64(len(data)) {
		t.Errorf("size %d", st.Size)
	}
}
