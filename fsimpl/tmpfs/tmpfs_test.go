package tmpfs

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
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

// newMemFS makes a tmpfs whose data is in a fresh memory file.
func newMemFS(t *testing.T, data string) (*Filesystem, *memfile.File) {
	t.Helper()
	mf, err := memfile.New("tmpfs-test", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	fs, _, err := New(vfs.MountOptions{Data: data, Creds: vfs.RootCreds, Private: mf})
	if err != nil {
		t.Fatal(err)
	}
	return fs, mf
}

func TestMemoryFileBackedData(t *testing.T) {
	fs, mf := newMemFS(t, "")
	r := fs.NewRegular(vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	impl, _ := r.Open(unix.O_RDWR)
	m := impl.(mm.MappableProvider).Mappable()
	if m == nil || m.MemoryFile() != mf {
		t.Fatalf("Mappable() = %v", m)
	}
	if _, _, err := r.WriteAt([]byte("hello"), pageSize+1, false); err != nil {
		t.Fatal(err)
	}
	if got := mf.Allocated(); got != pageSize {
		t.Fatalf("memory file holds %d bytes, want one page", got)
	}
	// Translate hands out the same page, with a reference of its own; holes are skipped
	// unless allocation is asked for; nothing past EOF is returned.
	ts, err := m.Translate(0, 4*pageSize, false)
	if err != nil || len(ts) != 1 || ts[0].Off != pageSize || ts[0].Len != pageSize {
		t.Fatalf("Translate = %+v, %v", ts, err)
	}
	if got := string(mf.Slice(ts[0].MemOff+1, 5)); got != "hello" {
		t.Fatalf("translated page holds %q", got)
	}
	copy(mf.Slice(ts[0].MemOff+3, 3), "map")
	buf := make([]byte, 3)
	if n, _ := r.ReadAt(buf, pageSize+3); n != 3 || string(buf) != "map" {
		t.Fatalf("read sees %q", buf[:n])
	}
	ts2, err := m.Translate(0, 4*pageSize, true)
	if err != nil || len(ts2) != 2 || ts2[0].Off != 0 || ts2[1].Off != pageSize || ts2[1].MemOff != ts[0].MemOff {
		t.Fatalf("allocating Translate = %+v, %v (want the new first page and the existing second)", ts2, err)
	}
	for _, x := range ts2 {
		mf.DecRef(x.MemOff, x.Len)
	}
	// Truncating leaves the page to the mapping's reference.
	r.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 0})
	if rc := mf.RefCount(ts[0].MemOff); rc != 1 {
		t.Fatalf("truncated page has refcount %d, want 1", rc)
	}
	mf.DecRef(ts[0].MemOff, ts[0].Len)
	if got := mf.Allocated(); got != 0 {
		t.Fatalf("after truncate and unmap the memory file holds %d bytes", got)
	}
	if st, _ := fs.StatFS(); st.Bfree != st.Blocks {
		t.Errorf("statfs: %d of %d blocks free", st.Bfree, st.Blocks)
	}
}

func TestMemoryFileTranslateFull(t *testing.T) {
	fs, _ := newMemFS(t, "size=4k")
	r := fs.NewRegular(vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
	r.SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 2 * pageSize})
	if _, err := r.Translate(0, 2*pageSize, true); err != unix.ENOSPC {
		t.Fatalf("Translate past the size limit: %v, want ENOSPC", err)
	}
}

func TestMemoryFilePagesFreedWhenFileUnreachable(t *testing.T) {
	fs, mf := newMemFS(t, "")
	func() {
		r := fs.NewRegular(vfs.CreateArgs{Mode: unix.S_IFREG | 0644})
		r.WriteAt(make([]byte, 3*pageSize), 0, false)
	}()
	for i := 0; i < 100 && mf.Allocated() != 0; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := mf.Allocated(); got != 0 {
		t.Fatalf("an unreachable file's pages are still allocated: %d bytes", got)
	}
	if st, _ := fs.StatFS(); st.Bfree != st.Blocks {
		t.Errorf("statfs: %d of %d blocks free", st.Bfree, st.Blocks)
	}
}
