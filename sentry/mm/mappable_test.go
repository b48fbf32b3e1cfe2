package mm

import (
	"errors"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// fakeFile is a Mappable whose pages are memory-file pages, one reference each, as tmpfs
// keeps them.
type fakeFile struct {
	mf *memfile.File

	mu sync.Mutex
	// size in bytes; pages maps page-aligned file offsets to memory-file offsets.
	size   uint64
	pages  map[uint64]uint64
	allocs int
	// full makes allocation fail (a full tmpfs).
	full     bool
	mappings MappingSet
}

var _ Mappable = (*fakeFile)(nil)

// newFakeFile makes a file of size bytes whose pages are released when the test ends,
// before the fixture checks that the memory file is empty.
func newFakeFile(f *fixture, size uint64) *fakeFile {
	ff := &fakeFile{mf: f.mf, size: size, pages: map[uint64]uint64{}}
	f.t.Cleanup(func() { ff.truncate(0) })
	return ff
}

func (ff *fakeFile) MemoryFile() *memfile.File { return ff.mf }

func (ff *fakeFile) Mappings() *MappingSet { return &ff.mappings }

func (ff *fakeFile) Translate(off, length uint64, allocate bool) ([]Translation, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	end := min(off+length, (ff.size+pageSize-1)&^(pageSize-1))
	var out []Translation
	for o := off; o < end; o += pageSize {
		m, ok := ff.pages[o]
		if !ok {
			if !allocate {
				continue
			}
			if ff.full {
				for _, t := range out {
					ff.mf.DecRef(t.MemOff, t.Len)
				}
				return nil, unix.ENOSPC
			}
			var err error
			if m, err = ff.mf.Allocate(pageSize); err != nil {
				return nil, err
			}
			ff.pages[o] = m
			ff.allocs++
		}
		ff.mf.IncRef(m, pageSize)
		out = append(out, Translation{Off: o, Len: pageSize, MemOff: m})
	}
	return out, nil
}

// truncate sets the size, dropping the file's references past it, and zaps the pages
// past it from the mappings, as tmpfs does.
func (ff *fakeFile) truncate(size uint64) {
	ff.mu.Lock()
	for o, m := range ff.pages {
		if o >= size {
			ff.mf.DecRef(m, pageSize)
			delete(ff.pages, o)
		}
	}
	shrunk := size < ff.size
	ff.size = size
	ff.mu.Unlock()
	if shrunk {
		ff.mappings.Invalidate(ff, size)
	}
}

// bytes returns the file's view of [off, off+n) (a hole reads as nil).
func (ff *fakeFile) bytes(off, n uint64) []byte {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	m, ok := ff.pages[off&^(pageSize-1)]
	if !ok {
		return nil
	}
	return ff.mf.Slice(m+off%pageSize, n)
}

func fileOpts(ff *fakeFile, length uintptr, off uint64) MMapOpts {
	return MMapOpts{Length: length, Perms: platform.ReadWrite, Shared: true, Mappable: ff, Offset: off}
}

func TestFileMappingSharesPagesWithFile(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 4*pageSize)
	a := f.mmap(fileOpts(ff, 4*pageSize, 0))
	if ff.allocs != 0 {
		t.Fatalf("mmap allocated %d file pages", ff.allocs)
	}
	f.write(a+pageSize+3, []byte("via mapping"))
	if got := ff.bytes(pageSize+3, 11); string(got) != "via mapping" {
		t.Fatalf("file has %q", got)
	}
	copy(ff.bytes(pageSize+20, 9), "via file!")
	if got := f.read(a+pageSize+20, 9); string(got) != "via file!" {
		t.Fatalf("mapping reads %q", got)
	}
	// A fault maps the file's own page, and only allocates the faulting page.
	if err := f.mm.HandleFault(a + 2*pageSize); err != nil {
		t.Fatalf("fault: %v", err)
	}
	f.check()
	if ff.allocs != 2 {
		t.Errorf("file pages allocated = %d, want 2 (the copy's and the fault's)", ff.allocs)
	}
	for _, o := range []uint64{pageSize, 2 * pageSize} {
		p, ok := f.as.page(a + uintptr(o))
		if !ok || uint64(p.off) != ff.pages[o] || !p.perms.Write {
			t.Errorf("page at file offset %#x: host %+v %v, file page %#x", o, p, ok, ff.pages[o])
		}
	}
	// Mapping and file each hold a reference.
	if rc := f.mf.RefCount(ff.pages[pageSize]); rc != 2 {
		t.Errorf("refcount of a mapped file page = %d, want 2", rc)
	}
	if err := f.mm.MUnmap(a, 4*pageSize); err != nil {
		t.Fatal(err)
	}
	if rc := f.mf.RefCount(ff.pages[pageSize]); rc != 1 {
		t.Errorf("refcount after munmap = %d, want 1", rc)
	}
	if got := ff.bytes(pageSize+3, 11); string(got) != "via mapping" {
		t.Fatalf("file after munmap has %q", got)
	}
}

func TestFileMappingsAtOffsetsSeeEachOther(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 3*pageSize)
	a := f.mmap(fileOpts(ff, 3*pageSize, 0))
	b := f.mmap(fileOpts(ff, pageSize, 2*pageSize))
	f.write(b+7, []byte("from b"))
	if got := f.read(a+2*pageSize+7, 6); string(got) != "from b" {
		t.Fatalf("a reads %q", got)
	}
	if _, err := f.mm.MMap(MMapOpts{Length: pageSize, Perms: platform.ReadWrite, Shared: true, Mappable: ff, Offset: 100}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("unaligned offset: %v, want ENODEV", err)
	}
	if _, err := f.mm.MMap(MMapOpts{Length: pageSize, Perms: platform.ReadWrite, Mappable: ff}); !errors.Is(err, unix.ENODEV) {
		t.Errorf("private mappable: %v, want ENODEV", err)
	}
	other, err := memfile.New("other", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := f.mm.MMap(fileOpts(&fakeFile{mf: other, pages: map[uint64]uint64{}}, pageSize, 0)); !errors.Is(err, unix.ENODEV) {
		t.Errorf("foreign memory file: %v, want ENODEV", err)
	}
}

func TestFileMappingPastEOFIsBusError(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, pageSize+1)
	a := f.mmap(fileOpts(ff, 4*pageSize, 0))
	// The page holding EOF is whole; the next one is past it.
	if err := f.mm.HandleFault(a + pageSize + 100); err != nil {
		t.Fatalf("fault in EOF page: %v", err)
	}
	if err := f.mm.HandleFault(a + 2*pageSize); !errors.Is(err, ErrBusError) {
		t.Fatalf("fault past EOF: %v, want ErrBusError", err)
	}
	if n, err := f.mm.CopyOut(a+2*pageSize-2, []byte("abcd")); n != 2 || !errors.Is(err, unix.EFAULT) {
		t.Fatalf("copy across EOF page: %d, %v; want 2, EFAULT", n, err)
	}
	f.check()
	ff.mu.Lock()
	ff.size = 4 * pageSize
	ff.mu.Unlock()
	if err := f.mm.HandleFault(a + 3*pageSize); err != nil {
		t.Fatalf("fault after the file grew: %v", err)
	}
	ff.mu.Lock()
	ff.full = true
	ff.mu.Unlock()
	if err := f.mm.HandleFault(a + 2*pageSize); !errors.Is(err, ErrBusError) {
		t.Fatalf("fault on a full file: %v, want ErrBusError", err)
	}
	f.check()
}

func TestFileMappingSharedAcrossFork(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 2*pageSize)
	a := f.mmap(fileOpts(ff, 2*pageSize, 0))
	f.write(a, []byte("parent"))
	c := f.fork()
	c.write(a+10, []byte("child"))
	if got := f.read(a+10, 5); string(got) != "child" {
		t.Fatalf("parent reads %q", got)
	}
	// The child faults the second page in; the parent sees the same page.
	if err := c.mm.HandleFault(a + pageSize); err != nil {
		t.Fatal(err)
	}
	c.write(a+pageSize, []byte("late"))
	if got := f.read(a+pageSize, 4); string(got) != "late" {
		t.Fatalf("parent reads %q from a page the child faulted", got)
	}
	if got := ff.bytes(pageSize, 4); string(got) != "late" {
		t.Fatalf("file has %q", got)
	}
	po, ok1 := f.mm.SharedOffset(a + pageSize)
	co, ok2 := c.mm.SharedOffset(a + pageSize)
	if !ok1 || !ok2 || po != co || po != ff.pages[pageSize] {
		t.Errorf("shared offsets %#x %v, %#x %v; file page %#x", po, ok1, co, ok2, ff.pages[pageSize])
	}
	p := f.mmap(anon(pageSize))
	if _, ok := f.mm.SharedOffset(p); ok {
		t.Errorf("private memory has a shared offset")
	}
}

func TestFileMappingTruncateZapsPages(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 3*pageSize)
	a := f.mmap(fileOpts(ff, 3*pageSize, 0))
	c := f.fork() // a second memory manager mapping the file
	f.write(a, []byte("head"))
	f.write(a+pageSize, []byte("gone"))
	c.write(a+2*pageSize, []byte("gone too"))
	page := ff.pages[pageSize]
	ff.truncate(pageSize - 10)
	if rc := f.mf.RefCount(page); rc != 0 {
		t.Fatalf("truncated page still has %d references", rc)
	}
	f.check()
	c.check()
	if _, mapped := f.as.page(a + pageSize); mapped {
		t.Fatalf("page past EOF still mapped in the platform")
	}
	for _, x := range []*fixture{f, c} {
		if err := x.mm.HandleFault(a + pageSize); err != ErrBusError {
			t.Fatalf("fault past EOF after truncate: %v, want ErrBusError", err)
		}
		if err := x.mm.HandleFault(a + 2*pageSize); err != ErrBusError {
			t.Fatalf("fault past EOF after truncate: %v, want ErrBusError", err)
		}
	}
	// The partial last page stays, with its tail as the file left it.
	if got := f.read(a, 4); string(got) != "head" {
		t.Fatalf("first page reads %q after truncate", got)
	}
	// Growing again: the pages are the file's new, zero-filled ones.
	ff.mu.Lock()
	ff.size = 3 * pageSize
	ff.mu.Unlock()
	if got := c.read(a+pageSize, 4); string(got) != "\x00\x00\x00\x00" {
		t.Fatalf("page after regrowth reads %q, want zeros", got)
	}
	f.write(a+2*pageSize, []byte("new"))
	if got := c.read(a+2*pageSize, 3); string(got) != "new" {
		t.Fatalf("regrown page not shared: %q", got)
	}
}

// syncFile is a fakeFile that records SyncMapped calls.
type syncFile struct {
	*fakeFile
	synced []Translation
}

func (s *syncFile) SyncMapped(off, length uint64) error {
	s.synced = append(s.synced, Translation{Off: off, Len: length})
	return nil
}

func TestSyncableMappingsAreSyncedOnMsyncMunmapAndRelease(t *testing.T) {
	f := newFixture(t)
	sf := &syncFile{fakeFile: newFakeFile(f, 4*pageSize)}
	a := f.mmap(MMapOpts{Length: 4 * pageSize, Perms: platform.ReadWrite, Shared: true, Mappable: sf, Offset: 0})
	if err := f.mm.Sync(a+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MUnmap(a+3*pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	f.mm.Release()
	want := []Translation{{Off: pageSize, Len: pageSize}, {Off: 3 * pageSize, Len: pageSize}, {Off: 0, Len: ^uint64(0) &^ (pageSize - 1)}}
	if len(sf.synced) != len(want) {
		t.Fatalf("synced %+v, want %+v", sf.synced, want)
	}
	for i := range want {
		if sf.synced[i] != want[i] {
			t.Fatalf("synced %+v, want %+v", sf.synced, want)
		}
	}
	if err := f.mm.Sync(a, pageSize); err == nil {
		t.Fatalf("msync after release succeeded")
	}
}

func TestFileMappingDenyWrite(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 2*pageSize)
	opts := fileOpts(ff, 2*pageSize, 0)
	opts.Perms, opts.DenyWrite = platform.Read, true
	a := f.mmap(opts)
	if err := f.mm.MProtect(a, 2*pageSize, platform.ReadWrite); !errors.Is(err, unix.EACCES) {
		t.Fatalf("mprotect(PROT_WRITE): %v, want EACCES", err)
	}
	if err := f.mm.MProtect(a, pageSize, platform.AccessType{}); err != nil {
		t.Fatalf("mprotect(PROT_NONE): %v", err)
	}
	if n, err := f.mm.CopyOut(a+pageSize, []byte("x")); n != 0 || !errors.Is(err, unix.EFAULT) {
		t.Fatalf("write to a read-only file mapping: %d, %v", n, err)
	}
	f.check()
}

func TestFileMappingMRemapGrowsIntoFile(t *testing.T) {
	f := newFixture(t)
	ff := newFakeFile(f, 4*pageSize)
	a := f.mmap(fileOpts(ff, pageSize, 0))
	f.write(a, []byte("start"))
	copy(ff.bytesAlloc(t, f, 3*pageSize), "page3")
	b, err := f.mm.MRemap(a, pageSize, 4*pageSize, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.check()
	if got := f.read(b, 5); string(got) != "start" {
		t.Fatalf("moved mapping reads %q", got)
	}
	if got := f.read(b+3*pageSize, 5); string(got) != "page3" {
		t.Fatalf("grown mapping reads %q at the file's fourth page", got)
	}
}

// bytesAlloc allocates the file page at off through Translate and returns it.
func (ff *fakeFile) bytesAlloc(t *testing.T, f *fixture, off uint64) []byte {
	ts, err := ff.Translate(off, pageSize, true)
	if err != nil || len(ts) != 1 {
		t.Fatalf("Translate: %v %v", ts, err)
	}
	f.mf.DecRef(ts[0].MemOff, ts[0].Len)
	return ff.bytes(off, pageSize)
}
