package gofer_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	gofersrv "github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/gofer/gofertest"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// newCachedEnv is newEnv (writable) with a memory file, so that files map MAP_SHARED.
func newCachedEnv(t *testing.T) (*env, *memfile.File) {
	t.Helper()
	host := t.TempDir()
	c := gofertest.Serve(t, gofersrv.Mount{Name: "/", Path: host})
	mf, err := memfile.New("test", 1<<30)
	must(t, err)
	v := vfs.New()
	ns, err := v.NewMountNamespace(gofer.Name, vfs.MountOptions{Private: gofer.Options{Client: c, Attach: "/", MemFile: mf}}, 0)
	must(t, err)
	return &env{t: t, host: host, v: v, ns: ns}, mf
}

func TestPageCacheIsCoherentAndWritesBack(t *testing.T) {
	e, mf := newCachedEnv(t)
	data := make([]byte, 2*4096+100)
	for i := range data {
		data[i] = 'a' + byte(i/4096)
	}
	must(t, os.WriteFile(filepath.Join(e.host, "f"), data, 0o644))
	fd, err := e.open("/f", unix.O_RDWR, 0)
	must(t, err)
	defer fd.Release()
	m := fd.Impl().(mm.MappableProvider).Mappable()
	if m == nil || m.MemoryFile() != mf {
		t.Fatalf("no mappable with the memory file: %v", m)
	}
	// Pages come from the host file; past EOF there are none.
	ts, err := m.Translate(0, 4*4096, true)
	must(t, err)
	if len(ts) != 1 || ts[0].Len != 3*4096 {
		t.Fatalf("translations %+v, want one run of 3 pages", ts)
	}
	page := mf.Slice(ts[0].MemOff, ts[0].Len)
	if page[0] != 'a' || page[4096] != 'b' || page[2*4096+99] != 'c' || page[2*4096+100] != 0 {
		t.Fatalf("cached pages do not hold the file")
	}
	// A store in the cache is what read(2) sees, and reaches the host once synced.
	copy(page[10:], "stored")
	buf := make([]byte, 6)
	if n, err := fd.PRead(nil, buf, 10); n != 6 || string(buf) != "stored" {
		t.Fatalf("read after store: %q, %v", buf[:n], err)
	}
	if host, _ := os.ReadFile(filepath.Join(e.host, "f")); string(host[10:16]) == "stored" {
		t.Fatalf("store reached the host before write-back")
	}
	must(t, m.(mm.MappableSyncer).SyncMapped(0, 4096))
	if host, _ := os.ReadFile(filepath.Join(e.host, "f")); string(host[10:16]) != "stored" || len(host) != len(data) {
		t.Fatalf("host file after write-back: %q (%d bytes)", host[10:16], len(host))
	}
	// write(2) reaches the cached page.
	if n, err := fd.PWrite(nil, []byte("written"), 4096+5); n != 7 || err != nil {
		t.Fatalf("pwrite: %d, %v", n, err)
	}
	if string(page[4096+5:4096+12]) != "written" {
		t.Fatalf("cached page after write(2): %q", page[4096+5:4096+12])
	}
	// Truncation drops the pages past the end; the host file shrinks and is not extended
	// again by a write-back.
	must(t, fd.Dentry().Inode().SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: 4096 + 8}))
	for _, tr := range ts {
		mf.DecRef(tr.MemOff, tr.Len)
	}
	ts, err = m.Translate(0, 4*4096, true)
	must(t, err)
	if len(ts) != 1 || ts[0].Len != 2*4096 {
		t.Fatalf("translations after truncate %+v, want 2 pages", ts)
	}
	for _, tr := range ts {
		mf.DecRef(tr.MemOff, tr.Len)
	}
	if tail := mf.Slice(ts[0].MemOff+4096+8, 4); string(tail) != "\x00\x00\x00\x00" {
		t.Fatalf("tail past EOF not zeroed: %q", tail)
	}
	must(t, fd.Sync())
	if st, _ := os.Stat(filepath.Join(e.host, "f")); st.Size() != 4096+8 {
		t.Fatalf("host size after truncate and fsync: %d", st.Size())
	}
}
