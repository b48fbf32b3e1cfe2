package mm

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// fakeAS is a platform.AddressSpace that records, page by page, what is mapped where.
type fakeAS struct {
	mu       sync.Mutex
	pages    map[uintptr]fakePage
	mapCalls int
	unmaps   int
	released bool
	// mapFail makes MapFile fail.
	mapFail error
}

type fakePage struct {
	off   int64
	perms platform.AccessType
}

var _ platform.AddressSpace = (*fakeAS)(nil)

func newFakeAS() *fakeAS { return &fakeAS{pages: map[uintptr]fakePage{}} }

func (f *fakeAS) MapFile(addr uintptr, fd int, offset int64, length uintptr, perms platform.AccessType) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.released {
		panic("MapFile after Release")
	}
	if addr%pageSize != 0 || offset%pageSize != 0 || length%pageSize != 0 || length == 0 {
		panic(fmt.Sprintf("unaligned MapFile(%#x, %#x, %#x)", addr, offset, length))
	}
	if f.mapFail != nil {
		return f.mapFail
	}
	f.mapCalls++
	for a := uintptr(0); a < length; a += pageSize {
		f.pages[addr+a] = fakePage{off: offset + int64(a), perms: perms}
	}
	return nil
}

func (f *fakeAS) Unmap(addr, length uintptr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.released {
		panic("Unmap after Release")
	}
	f.unmaps++
	for a := uintptr(0); a < length; a += pageSize {
		delete(f.pages, addr+a)
	}
	return nil
}

func (f *fakeAS) Release() {
	f.mu.Lock()
	f.released = true
	f.pages = nil
	f.mu.Unlock()
}

func (f *fakeAS) calls() (maps, unmaps int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mapCalls, f.unmaps
}

func (f *fakeAS) page(addr uintptr) (fakePage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pages[addr]
	return p, ok
}

const (
	testMin  = 0x10000
	testBase = 0x7f0000000000
	testMax  = 0x7ffffffff000
	mib      = 1 << 20
)

type fixture struct {
	t  *testing.T
	mf *memfile.File
	as *fakeAS
	mm *MemoryManager
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mf, err := memfile.New("test", 1<<30)
	if err != nil {
		t.Fatalf("memfile.New: %v", err)
	}
	as := newFakeAS()
	f := &fixture{t: t, mf: mf, as: as, mm: New(as, mf, Layout{MinAddr: testMin, MaxAddr: testMax, MmapBase: testBase})}
	t.Cleanup(func() {
		f.check()
		f.mm.Release()
		if n := mf.Allocated(); n != 0 {
			t.Errorf("after Release, memfile.Allocated() = %d, want 0", n)
		}
		mf.Close()
	})
	return f
}

// mmap maps anonymous memory or fails the test.
func (f *fixture) mmap(opts MMapOpts) uintptr {
	f.t.Helper()
	addr, err := f.mm.MMap(opts)
	if err != nil {
		f.t.Fatalf("MMap(%+v): %v", opts, err)
	}
	f.check()
	return addr
}

func (f *fixture) write(addr uintptr, b []byte) {
	f.t.Helper()
	if n, err := f.mm.CopyOut(addr, b); err != nil || n != len(b) {
		f.t.Fatalf("CopyOut(%#x, %d bytes) = %d, %v", addr, len(b), n, err)
	}
}

func (f *fixture) read(addr uintptr, n int) []byte {
	f.t.Helper()
	b := make([]byte, n)
	if got, err := f.mm.CopyIn(addr, b); err != nil || got != n {
		f.t.Fatalf("CopyIn(%#x, %d bytes) = %d, %v", addr, n, got, err)
	}
	return b
}

func (f *fixture) vmas() []VMAInfo { return f.mm.VMAs() }

// check verifies the memory manager's invariants against the fake address space.
func (f *fixture) check() {
	f.t.Helper()
	mm := f.mm
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	for i, v := range mm.vmas {
		if v.start >= v.end || !aligned(v.start) || !aligned(v.end) {
			f.t.Fatalf("bad vma %d: %+v", i, v)
		}
		if i > 0 && mm.vmas[i-1].end > v.start {
			f.t.Fatalf("vmas %d and %d overlap or are unsorted: %+v %+v", i-1, i, mm.vmas[i-1], v)
		}
		if i > 0 && mm.vmas[i-1].mergeableWith(&mm.vmas[i]) {
			f.t.Fatalf("vmas %d and %d should have been merged: %+v %+v", i-1, i, mm.vmas[i-1], v)
		}
	}
	mappedPages := 0
	for i, p := range mm.pmas {
		if p.start >= p.end || !aligned(p.start) || !aligned(p.end) {
			f.t.Fatalf("bad pma %d: %+v", i, p)
		}
		if i > 0 && mm.pmas[i-1].end > p.start {
			f.t.Fatalf("pmas %d and %d overlap: %+v %+v", i-1, i, mm.pmas[i-1], p)
		}
		for a := p.start; a < p.end; a += pageSize {
			vi := mm.vmaAtLocked(a)
			if vi < 0 {
				f.t.Fatalf("pma %+v covers %#x outside any vma", p, a)
			}
			if rc := f.mf.RefCount(p.off + uint64(a-p.start)); rc < 1 {
				f.t.Fatalf("pma %+v page %#x has refcount %d", p, a, rc)
			}
			fp, ok := f.as.page(a)
			if p.mapped {
				mappedPages++
				if !ok || fp.off != int64(p.off+uint64(a-p.start)) || fp.perms != p.perms {
					f.t.Fatalf("pma %+v page %#x: host has %+v (present %v)", p, a, fp, ok)
				}
				if !subset(p.perms, mm.vmas[vi].perms) {
					f.t.Fatalf("pma %+v mapped with more than vma perms %v", p, mm.vmas[vi].perms)
				}
			}
		}
	}
	f.as.mu.Lock()
	n := len(f.as.pages)
	f.as.mu.Unlock()
	if n != mappedPages {
		f.t.Fatalf("host maps %d pages, pmas say %d are mapped", n, mappedPages)
	}
}
