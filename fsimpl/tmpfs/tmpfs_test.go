package tmpfs

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

func newFS(t *testing.T, data string) (*Filesystem, *Dir) {
	t.Helper()
	fs, root, err := New(vfs.MountOptions{Data: data, Creds: vfs.RootCreds})
	if err != nil {
		t.Fatal(err)
	}
	return fs, root
}

func TestRegularFileHolesReadAsZeros(t *testing.T) {
	fs, _ := newFS(t, "")
	r := fs.NewRegular(vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	if _, _, err := r.WriteAt([]byte("end"), 3*pageSize+10, false); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3*pageSize+13)
	n, _ := r.ReadAt(buf, 0)
	if n != len(buf) || !bytes.Equal(buf[n-3:], []byte("end")) || bytes.Count(buf[:n-3], []byte{0}) != n-3 {
		t.Errorf("read %d bytes, tail %q", n, buf[n-3:])
	}
	st, _ := r.Stat()
	if st.Blocks != pageSize/512 {
		t.Errorf("sparse file uses %d blocks, want one page", st.Blocks)
	}
	// Truncating into the page zeroes its tail, so growing again reads zeros.
	r.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 3*pageSize + 11})
	r.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 3*pageSize + 13})
	n, _ = r.ReadAt(buf[:3], 3*pageSize+10)
	if n != 3 || !bytes.Equal(buf[:3], []byte{'e', 0, 0}) {
		t.Errorf("after shrink and grow: %q", buf[:n])
	}
}

func TestSizeLimitGivesENOSPC(t *testing.T) {
	fs, _ := newFS(t, "size=8k")
	r := fs.NewRegular(vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	n, _, err := r.WriteAt(make([]byte, 3*pageSize), 0, false)
	if n != 2*pageSize || err != nil {
		t.Errorf("short write: %d %v", n, err)
	}
	if _, _, err := r.WriteAt([]byte("x"), 2*pageSize, false); err != unix.ENOSPC {
		t.Errorf("full: %v", err)
	}
}

func TestDirectoryLinkCounts(t *testing.T) {
	_, root := newFS(t, "")
	sub, err := root.Mknod("sub", vfs.CreateArgs{Mode: unix.S_IFDIR | 0755})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := root.Stat(); st.Nlink != 3 {
		t.Errorf("root nlink %d, want 3", st.Nlink)
	}
	f, _ := sub.(*Dir).Mknod("f", vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	if err := root.Rmdir("sub", sub); err != unix.ENOTEMPTY {
		t.Errorf("rmdir non-empty: %v", err)
	}
	if err := root.Link("hard", f); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Stat(); st.Nlink != 2 {
		t.Errorf("nlink %d after link", st.Nlink)
	}
	sub.(*Dir).Unlink("f", f)
	if err := root.Rmdir("sub", sub); err != nil {
		t.Fatal(err)
	}
	if st, _ := root.Stat(); st.Nlink != 2 {
		t.Errorf("root nlink %d after rmdir, want 2", st.Nlink)
	}
	if st, _ := f.Stat(); st.Nlink != 1 {
		t.Errorf("nlink %d after unlink", st.Nlink)
	}
}

func TestFifoOpensAsPipeAndSocketIsENXIO(t *testing.T) {
	_, root := newFS(t, "")
	ff, _ := root.Mknod("p", vfs.CreateArgs{Mode: unix.S_IFIFO | 0644})
	if _, err := ff.Open(unix.O_WRONLY | unix.O_NONBLOCK); err != unix.ENXIO {
		t.Errorf("fifo open for writing without readers: %v, want ENXIO", err)
	}
	r, err := ff.Open(unix.O_RDONLY | unix.O_NONBLOCK)
	if err != nil {
		t.Fatalf("fifo open for reading: %v", err)
	}
	defer r.Release()
	s, _ := root.Mknod("s", vfs.CreateArgs{Mode: unix.S_IFSOCK | 0644})
	if _, err := s.Open(unix.O_RDONLY); err != unix.ENXIO {
		t.Errorf("socket open: %v", err)
	}
}
