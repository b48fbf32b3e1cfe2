package loader

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// fakeMemory is a Memory for tests: a sorted list of mappings, and sparse page contents
// allocated on first write, so that huge (fuzzed) mappings cost nothing.
type fakeMemory struct {
	layout mm.Layout
	vmas   []fakeVMA // sorted, disjoint
	pages  map[uintptr]*[linux.PageSize]byte
	brk    uintptr
	brkSet int

	mmaps, protects, copyOuts int
}

type fakeVMA struct {
	start, end uintptr
	perms      platform.AccessType
	name       string
}

var _ Memory = (*fakeMemory)(nil)

// testLayout is the x86-64 user address space of a 47-bit host.
var testLayout = mm.Layout{MinAddr: 0x10000, MaxAddr: 0x7ffffffff000, MmapBase: 0x7f0000000000}

func newFakeMemory() *fakeMemory {
	return &fakeMemory{layout: testLayout, pages: map[uintptr]*[linux.PageSize]byte{}}
}

func (f *fakeMemory) Layout() mm.Layout { return f.layout }

func (f *fakeMemory) SetBrkStart(addr uintptr) { f.brk = addr; f.brkSet++ }

func (f *fakeMemory) MMap(o mm.MMapOpts) (uintptr, error) {
	f.mmaps++
	if !o.Fixed || o.Shared || o.Addr%linux.PageSize != 0 || o.Length == 0 {
		return 0, fmt.Errorf("fake MMap: unexpected opts %+v: %w", o, unix.EINVAL)
	}
	end, ok := linux.PageRoundUp(o.Addr + o.Length)
	if !ok || end < o.Addr || o.Addr < f.layout.MinAddr || end > f.layout.MaxAddr {
		return 0, fmt.Errorf("fake MMap: %#x+%#x out of range: %w", o.Addr, o.Length, unix.ENOMEM)
	}
	f.unmap(o.Addr, end)
	f.vmas = append(f.vmas, fakeVMA{o.Addr, end, o.Perms, o.Name})
	sort.Slice(f.vmas, func(i, j int) bool { return f.vmas[i].start < f.vmas[j].start })
	return o.Addr, nil
}

// split makes addr a VMA boundary if it lies inside one.
func (f *fakeMemory) split(addr uintptr) {
	for i, v := range f.vmas {
		if v.start < addr && addr < v.end {
			a, b := v, v
			a.end, b.start = addr, addr
			f.vmas = append(f.vmas[:i], append([]fakeVMA{a, b}, f.vmas[i+1:]...)...)
			return
		}
	}
}

func (f *fakeMemory) unmap(start, end uintptr) {
	f.split(start)
	f.split(end)
	var keep []fakeVMA
	for _, v := range f.vmas {
		if v.end <= start || v.start >= end {
			keep = append(keep, v)
		}
	}
	f.vmas = keep
	for p := range f.pages {
		if p >= start && p < end {
			delete(f.pages, p)
		}
	}
}

func (f *fakeMemory) MProtect(addr, length uintptr, perms platform.AccessType) error {
	f.protects++
	end := addr + length
	if addr%linux.PageSize != 0 || length%linux.PageSize != 0 || end < addr {
		return unix.EINVAL
	}
	for a := addr; a < end; {
		v := f.vmaAt(a)
		if v == nil {
			return unix.ENOMEM
		}
		a = v.end
	}
	f.split(addr)
	f.split(end)
	for i := range f.vmas {
		if f.vmas[i].start >= addr && f.vmas[i].end <= end {
			f.vmas[i].perms = perms
		}
	}
	return nil
}

func (f *fakeMemory) vmaAt(addr uintptr) *fakeVMA {
	i := sort.Search(len(f.vmas), func(i int) bool { return f.vmas[i].end > addr })
	if i < len(f.vmas) && f.vmas[i].start <= addr {
		return &f.vmas[i]
	}
	return nil
}

// CopyOut writes like the sentry's copy to user memory: only to writable mappings.
func (f *fakeMemory) CopyOut(addr uintptr, src []byte) (int, error) {
	f.copyOuts++
	done := 0
	for done < len(src) {
		a := addr + uintptr(done)
		v := f.vmaAt(a)
		if v == nil || !v.perms.Write {
			return done, unix.EFAULT
		}
		page := a &^ (linux.PageSize - 1)
		p := f.pages[page]
		if p == nil {
			p = new([linux.PageSize]byte)
			f.pages[page] = p
		}
		done += copy(p[a-page:], src[done:])
	}
	return done, nil
}

// read returns n bytes at addr; it panics on unmapped memory (a test bug or a loader bug).
func (f *fakeMemory) read(addr uintptr, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; {
		a := addr + uintptr(i)
		if f.vmaAt(a) == nil {
			panic(fmt.Sprintf("read of unmapped %#x", a))
		}
		page := a &^ (linux.PageSize - 1)
		var c int
		if p := f.pages[page]; p != nil {
			c = copy(out[i:], p[a-page:])
		} else {
			c = min(n-i, int(page+linux.PageSize-a))
		}
		i += c
	}
	return out
}

func (f *fakeMemory) permsAt(addr uintptr) (platform.AccessType, bool) {
	v := f.vmaAt(addr)
	if v == nil {
		return platform.AccessType{}, false
	}
	return v.perms, true
}
