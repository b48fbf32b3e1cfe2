package mm

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

func anon(length uintptr) MMapOpts {
	return MMapOpts{Length: length, Perms: platform.ReadWrite}
}

func fixedAt(addr, length uintptr, perms platform.AccessType) MMapOpts {
	return MMapOpts{Addr: addr, Length: length, Perms: perms, Fixed: true}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func TestMMapWithoutHintGoesTopDownBelowMmapBase(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(3 * pageSize))
	if a != testBase-3*pageSize {
		t.Fatalf("first mmap at %#x, want %#x", a, testBase-3*pageSize)
	}
	b := f.mmap(anon(100)) // rounded up to a page
	if b != a-pageSize {
		t.Fatalf("second mmap at %#x, want %#x", b, a-pageSize)
	}
	vs := f.vmas()
	if len(vs) != 1 || vs[0].Start != b || vs[0].End != a+3*pageSize {
		t.Fatalf("adjacent compatible mappings should merge, got %+v", vs)
	}
}

func TestMMapHonoursFreeHintAndIgnoresTakenOne(t *testing.T) {
	f := newFixture(t)
	hint := uintptr(0x40000000)
	o := anon(pageSize)
	o.Addr = hint + 123 // an unaligned hint is rounded down
	if a := f.mmap(o); a != hint {
		t.Fatalf("hinted mmap at %#x, want %#x", a, hint)
	}
	o.Addr = hint
	if a := f.mmap(o); a == hint {
		t.Fatalf("hint over an existing mapping was used")
	}
}

func TestMMapFixedReplacesExistingMapping(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 4*pageSize, platform.ReadWrite))
	f.write(base+pageSize, []byte("old data"))
	f.mmap(fixedAt(base+pageSize, pageSize, platform.ReadWrite))
	if got := f.read(base+pageSize, 8); !bytes.Equal(got, make([]byte, 8)) {
		t.Fatalf("MAP_FIXED over data reads %q, want zeros", got)
	}
}

func TestMMapNoReplaceFailsWithEEXISTOnOverlap(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	_, err := f.mm.MMap(MMapOpts{Addr: base + pageSize, Length: 2 * pageSize, Perms: platform.ReadWrite, NoReplace: true})
	wantErr(t, "NoReplace over mapping", err, unix.EEXIST)
	if a, err := f.mm.MMap(MMapOpts{Addr: base + 2*pageSize, Length: pageSize, Perms: platform.Read, NoReplace: true}); err != nil || a != base+2*pageSize {
		t.Fatalf("NoReplace next to mapping = %#x, %v", a, err)
	}
}

func TestMMapErrnos(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		opts MMapOpts
		want error
	}{
		{"zero length", MMapOpts{Length: 0}, unix.EINVAL},
		{"length overflows", MMapOpts{Length: ^uintptr(0) - 10}, unix.ENOMEM},
		{"fixed unaligned", fixedAt(0x40000001, pageSize, platform.Read), unix.EINVAL},
		{"fixed above MaxAddr", fixedAt(testMax, pageSize, platform.Read), unix.ENOMEM},
		{"fixed below MinAddr", fixedAt(0, pageSize, platform.Read), unix.EPERM},
		{"too large", anon(testMax), unix.ENOMEM},
	} {
		_, err := f.mm.MMap(tc.opts)
		wantErr(t, tc.name, err, tc.want)
	}
}

func TestMMapFallsBackToBottomUpWhenNothingBelowBase(t *testing.T) {
	f := newFixture(t)
	f.mmap(fixedAt(testMin, testBase-testMin, platform.NoAccess))
	a := f.mmap(anon(pageSize))
	if a < testBase {
		t.Fatalf("mmap at %#x inside the full region", a)
	}
}

func TestMUnmapSplitsMapping(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 3*pageSize, platform.ReadWrite))
	f.write(base, []byte("a"))
	f.write(base+2*pageSize, []byte("c"))
	if err := f.mm.MUnmap(base+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	f.check()
	vs := f.vmas()
	if len(vs) != 2 || vs[0].End != base+pageSize || vs[1].Start != base+2*pageSize {
		t.Fatalf("after munmap of the middle page: %+v", vs)
	}
	if got := f.read(base+2*pageSize, 1); got[0] != 'c' {
		t.Fatalf("data after the hole lost: %q", got)
	}
	if _, err := f.mm.CopyIn(base+pageSize, make([]byte, 1)); err != unix.EFAULT {
		t.Fatalf("CopyIn from unmapped page: %v, want EFAULT", err)
	}
	// Unmapping a hole is fine.
	if err := f.mm.MUnmap(base+pageSize, pageSize); err != nil {
		t.Fatalf("munmap of a hole: %v", err)
	}
}

func TestMUnmapErrnos(t *testing.T) {
	f := newFixture(t)
	wantErr(t, "unaligned", f.mm.MUnmap(0x40000001, pageSize), unix.EINVAL)
	wantErr(t, "zero length", f.mm.MUnmap(0x40000000, 0), unix.EINVAL)
	wantErr(t, "above MaxAddr", f.mm.MUnmap(testMax, 2*pageSize), unix.EINVAL)
	wantErr(t, "wraps", f.mm.MUnmap(0x40000000, ^uintptr(0)-pageSize), unix.EINVAL)
}

func TestMUnmapUnmapsFromPlatformOnlyWhenMapped(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(4 * pageSize))
	if err := f.mm.MUnmap(a, 4*pageSize); err != nil {
		t.Fatal(err)
	}
	if _, unmaps := f.as.calls(); unmaps != 0 {
		t.Fatalf("munmap of never-faulted memory made %d Unmap calls", unmaps)
	}
	a = f.mmap(anon(4 * pageSize))
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MUnmap(a, 4*pageSize); err != nil {
		t.Fatal(err)
	}
	if _, unmaps := f.as.calls(); unmaps != 1 {
		t.Fatalf("munmap of faulted memory made %d Unmap calls, want 1", unmaps)
	}
	if n := f.mf.Allocated(); n != 0 {
		t.Fatalf("after munmap, %d bytes still allocated", n)
	}
	f.check()
}

func TestMProtectSplitsAndMerges(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 3*pageSize, platform.ReadWrite))
	if err := f.mm.MProtect(base+pageSize, pageSize, platform.Read); err != nil {
		t.Fatal(err)
	}
	f.check()
	vs := f.vmas()
	if len(vs) != 3 || vs[1].Perms != platform.Read || vs[1].Start != base+pageSize {
		t.Fatalf("after mprotect of the middle page: %+v", vs)
	}
	if _, err := f.mm.CopyOut(base+pageSize, []byte("x")); err != unix.EFAULT {
		t.Fatalf("CopyOut to read-only page: %v, want EFAULT", err)
	}
	if err := f.mm.MProtect(base+pageSize, pageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	f.check()
	if vs := f.vmas(); len(vs) != 1 {
		t.Fatalf("restoring permissions should merge back: %+v", vs)
	}
}

func TestMProtectHoleIsENOMEMButAppliesBeforeIt(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	f.mmap(fixedAt(base+2*pageSize, pageSize, platform.ReadWrite))
	wantErr(t, "mprotect over hole", f.mm.MProtect(base, 3*pageSize, platform.Read), unix.ENOMEM)
	vs := f.vmas()
	if vs[0].Perms != platform.Read || vs[1].Perms != platform.ReadWrite {
		t.Fatalf("Linux changes mappings before the hole only: %+v", vs)
	}
	wantErr(t, "mprotect starting in hole", f.mm.MProtect(base+pageSize, 2*pageSize, platform.Read), unix.ENOMEM)
	if vs := f.vmas(); vs[1].Perms != platform.ReadWrite {
		t.Fatalf("mprotect starting in a hole changed something: %+v", vs)
	}
	wantErr(t, "unaligned", f.mm.MProtect(base+1, pageSize, platform.Read), unix.EINVAL)
	if err := f.mm.MProtect(base+pageSize, 0, platform.Read); err != nil {
		t.Fatalf("zero-length mprotect: %v", err)
	}
	f.check()
}

func TestMProtectRemovingRightsUnmapsAndFaultRemaps(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(4 * pageSize))
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MProtect(a, 4*pageSize, platform.Read); err != nil {
		t.Fatal(err)
	}
	f.check()
	if _, ok := f.as.page(a); ok {
		t.Fatalf("page still mapped on the host after dropping write")
	}
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatalf("read fault after mprotect: %v", err)
	}
	if p, _ := f.as.page(a); p.perms != platform.Read {
		t.Fatalf("remapped with %v, want r--", p.perms)
	}
	// Adding rights keeps the mapping; the next fault upgrades it.
	_, unmapsBefore := f.as.calls()
	if err := f.mm.MProtect(a, 4*pageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	if _, unmaps := f.as.calls(); unmaps != unmapsBefore {
		t.Fatalf("mprotect adding rights unmapped")
	}
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatalf("write fault after upgrade: %v", err)
	}
	if p, _ := f.as.page(a); p.perms != platform.ReadWrite {
		t.Fatalf("upgraded to %v, want rw-", p.perms)
	}
	f.check()
}

func TestHandleFaultErrors(t *testing.T) {
	f := newFixture(t)
	wantErr(t, "fault with no mapping", f.mm.HandleFault(0x40000000), unix.EFAULT)
	none := f.mmap(MMapOpts{Length: pageSize, Perms: platform.NoAccess})
	wantErr(t, "fault on PROT_NONE", f.mm.HandleFault(none), unix.EACCES)
	ro := f.mmap(MMapOpts{Length: pageSize, Perms: platform.Read})
	if err := f.mm.HandleFault(ro + 8); err != nil {
		t.Fatalf("first fault on read-only memory: %v", err)
	}
	// Mapped with all its rights already: the access itself was forbidden (a write).
	wantErr(t, "second fault on read-only", f.mm.HandleFault(ro+8), unix.EACCES)
	// With the host's SEGV_MAPERR the same situation is a race: retry.
	if err := f.mm.HandleFaultCode(ro+8, segvMapErr); err != nil {
		t.Fatalf("MAPERR fault on mapped page: %v", err)
	}
	wantErr(t, "ACCERR fault on read-only", f.mm.HandleFaultCode(ro+8, segvAccErr), unix.EACCES)
	f.check()
}

func TestFaultAroundMapsTwoMiBWindowInOneCall(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(8 * mib))
	if a%(2*mib) != 0 {
		a2 := (a + 2*mib - 1) &^ (2*mib - 1) // test within an aligned window
		a = a2
	}
	if err := f.mm.HandleFault(a + 5*pageSize); err != nil {
		t.Fatal(err)
	}
	maps, _ := f.as.calls()
	if maps != 1 {
		t.Fatalf("fault made %d MapFile calls, want 1", maps)
	}
	for off := uintptr(0); off < 2*mib; off += pageSize {
		if _, ok := f.as.page(a + off); !ok {
			t.Fatalf("page %#x of the window not mapped", a+off)
		}
	}
	if _, ok := f.as.page(a + 2*mib); ok {
		t.Fatalf("fault mapped beyond its window")
	}
	// A sequential toucher faults once per window.
	for off := uintptr(0); off < 2*mib; off += pageSize {
		if _, ok := f.as.page(a + off); !ok {
			if err := f.mm.HandleFault(a + off); err != nil {
				t.Fatal(err)
			}
		}
	}
	if maps, _ := f.as.calls(); maps != 1 {
		t.Fatalf("touching the rest of the window made %d MapFile calls", maps-1)
	}
	f.check()
}

func TestFaultAroundFillsAroundCopiedPagesWithFewCalls(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(MMapOpts{Addr: 0x40000000, Length: 2 * mib, Perms: platform.ReadWrite, Fixed: true})
	// The sentry writes a page first (populated, not mapped), then the app faults elsewhere.
	f.write(a+100*pageSize, []byte("hello"))
	if maps, _ := f.as.calls(); maps != 0 {
		t.Fatalf("CopyOut made %d MapFile calls", maps)
	}
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatal(err)
	}
	if maps, _ := f.as.calls(); maps != 1 {
		t.Fatalf("fault made %d MapFile calls, want 1", maps)
	}
	if got := f.read(a+100*pageSize, 5); string(got) != "hello" {
		t.Fatalf("data lost: %q", got)
	}
	f.check()
}

func TestFaultAroundIsClippedToTheMapping(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 4*pageSize, platform.ReadWrite))
	f.mmap(fixedAt(base+4*pageSize, 4*pageSize, platform.Read))
	if err := f.mm.HandleFault(base); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.as.page(base + 4*pageSize); ok {
		t.Fatalf("fault mapped into the next mapping")
	}
	if n := f.mf.Allocated(); n != 4*pageSize {
		t.Fatalf("allocated %d bytes, want %d", n, 4*pageSize)
	}
	f.check()
}

func TestMRemapGrowsInPlace(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	f.write(base, []byte("keep"))
	got, err := f.mm.MRemap(base, pageSize, 3*pageSize, 0, 0)
	if err != nil || got != base {
		t.Fatalf("MRemap grow = %#x, %v", got, err)
	}
	f.check()
	if vs := f.vmas(); len(vs) != 1 || vs[0].End != base+3*pageSize {
		t.Fatalf("after grow: %+v", vs)
	}
	if b := f.read(base, 4); string(b) != "keep" {
		t.Fatalf("data after grow: %q", b)
	}
	f.write(base+2*pageSize, []byte("x"))
}

func TestMRemapMovePreservesDataWithoutCopying(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	f.mmap(fixedAt(base+2*pageSize, pageSize, platform.Read)) // blocks growth
	f.write(base+pageSize, []byte("moving"))
	if err := f.mm.HandleFault(base); err != nil {
		t.Fatal(err)
	}
	allocated := f.mf.Allocated()

	_, err := f.mm.MRemap(base, 2*pageSize, 4*pageSize, 0, 0)
	wantErr(t, "grow without MAYMOVE", err, unix.ENOMEM)

	to, err := f.mm.MRemap(base, 2*pageSize, 4*pageSize, unix.MREMAP_MAYMOVE, 0)
	if err != nil || to == base {
		t.Fatalf("MRemap move = %#x, %v", to, err)
	}
	f.check()
	if b := f.read(to+pageSize, 6); string(b) != "moving" {
		t.Fatalf("data after move: %q", b)
	}
	if f.mf.Allocated() != allocated {
		t.Fatalf("move allocated memory: %d -> %d", allocated, f.mf.Allocated())
	}
	if _, ok := f.as.page(base); ok {
		t.Fatalf("old address still mapped on the host")
	}
	if _, err := f.mm.CopyIn(base, make([]byte, 1)); err != unix.EFAULT {
		t.Fatalf("old range still readable: %v", err)
	}
	f.write(to+3*pageSize, []byte("tail")) // the grown part is usable
}

func TestMRemapFixedMovesToNewAddress(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	dst := uintptr(0x50000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	f.mmap(fixedAt(dst, pageSize, platform.Read)) // replaced
	f.write(base, []byte("abc"))
	got, err := f.mm.MRemap(base, 2*pageSize, pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, dst)
	if err != nil || got != dst {
		t.Fatalf("MRemap fixed = %#x, %v", got, err)
	}
	f.check()
	vs := f.vmas()
	if len(vs) != 1 || vs[0].Start != dst || vs[0].End != dst+pageSize || vs[0].Perms != platform.ReadWrite {
		t.Fatalf("after fixed move: %+v", vs)
	}
	if b := f.read(dst, 3); string(b) != "abc" {
		t.Fatalf("data after fixed move: %q", b)
	}
}

func TestMRemapShrinks(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 4*pageSize, platform.ReadWrite))
	f.write(base+3*pageSize, []byte("gone"))
	got, err := f.mm.MRemap(base, 4*pageSize, pageSize, 0, 0)
	if err != nil || got != base {
		t.Fatalf("MRemap shrink = %#x, %v", got, err)
	}
	f.check()
	if vs := f.vmas(); len(vs) != 1 || vs[0].End != base+pageSize {
		t.Fatalf("after shrink: %+v", vs)
	}
}

func TestMRemapErrnos(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	for _, tc := range []struct {
		name                      string
		old, oldSize, newSize, to uintptr
		flags                     int
		want                      error
	}{
		{"unaligned", base + 1, pageSize, 2 * pageSize, 0, unix.MREMAP_MAYMOVE, unix.EINVAL},
		{"zero new size", base, pageSize, 0, 0, unix.MREMAP_MAYMOVE, unix.EINVAL},
		{"fixed without maymove", base, pageSize, pageSize, 0x50000000, unix.MREMAP_FIXED, unix.EINVAL},
		{"unknown flag", base, pageSize, pageSize, 0, 8, unix.EINVAL},
		{"dontunmap unsupported", base, pageSize, pageSize, 0, unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP, unix.EINVAL},
		{"overlapping fixed", base, 2 * pageSize, 2 * pageSize, base + pageSize, unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, unix.EINVAL},
		{"unaligned fixed target", base, pageSize, pageSize, 0x50000001, unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, unix.EINVAL},
		{"old not mapped", 0x60000000, pageSize, 2 * pageSize, 0, unix.MREMAP_MAYMOVE, unix.EFAULT},
		{"old spans past mapping", base, 3 * pageSize, 4 * pageSize, 0, unix.MREMAP_MAYMOVE, unix.EFAULT},
	} {
		_, err := f.mm.MRemap(tc.old, tc.oldSize, tc.newSize, tc.flags, tc.to)
		wantErr(t, tc.name, err, tc.want)
	}
	f.check()
}

func TestMRemapMovesSharedMemoryAndGrowsIt(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(MMapOpts{Length: pageSize, Perms: platform.ReadWrite, Shared: true})
	f.write(a, []byte("shared"))
	f.mmap(fixedAt(a+pageSize, pageSize, platform.Read))
	to, err := f.mm.MRemap(a, pageSize, 2*pageSize, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.check()
	if b := f.read(to, 6); string(b) != "shared" {
		t.Fatalf("shared data after move: %q", b)
	}
	f.write(to+pageSize, []byte("more"))
}

func TestBrkGrowsAndShrinks(t *testing.T) {
	f := newFixture(t)
	start := uintptr(0x500000)
	f.mm.SetBrkStart(start - 100)
	if got := f.mm.Brk(0); got != start {
		t.Fatalf("Brk(0) = %#x, want %#x", got, start)
	}
	if got := f.mm.Brk(start + 3*pageSize + 10); got != start+3*pageSize+10 {
		t.Fatalf("Brk grow = %#x", got)
	}
	f.check()
	vs := f.vmas()
	if len(vs) != 1 || vs[0].Start != start || vs[0].End != start+4*pageSize || vs[0].Name != "[heap]" {
		t.Fatalf("heap after grow: %+v", vs)
	}
	f.write(start+3*pageSize, []byte("heap"))
	if got := f.mm.Brk(start + pageSize); got != start+pageSize {
		t.Fatalf("Brk shrink = %#x", got)
	}
	f.check()
	if vs := f.vmas(); len(vs) != 1 || vs[0].End != start+pageSize {
		t.Fatalf("heap after shrink: %+v", vs)
	}
	// Freed pages read as zeros when the heap grows again.
	f.mm.Brk(start + 4*pageSize)
	if b := f.read(start+3*pageSize, 4); !bytes.Equal(b, make([]byte, 4)) {
		t.Fatalf("regrown heap reads %q, want zeros", b)
	}
	if got := f.mm.Brk(start - pageSize); got != start+4*pageSize {
		t.Fatalf("Brk below start = %#x, want unchanged", got)
	}
}

func TestBrkRefusesToOverlapAnotherMapping(t *testing.T) {
	f := newFixture(t)
	start := uintptr(0x500000)
	f.mm.SetBrkStart(start)
	f.mmap(fixedAt(start+4*pageSize, pageSize, platform.Read))
	if got := f.mm.Brk(start + 8*pageSize); got != start {
		t.Fatalf("Brk over a mapping = %#x, want %#x", got, start)
	}
	// Linux also keeps a page free between the heap and the next mapping.
	if got := f.mm.Brk(start + 4*pageSize); got != start {
		t.Fatalf("Brk touching a mapping = %#x, want %#x", got, start)
	}
	if got := f.mm.Brk(start + 3*pageSize); got != start+3*pageSize {
		t.Fatalf("Brk leaving a gap = %#x", got)
	}
	f.check()
}

func TestMAdviseDontNeedZeroesPrivateMemory(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(4 * pageSize))
	f.write(a, bytes.Repeat([]byte{7}, 4*pageSize))
	if err := f.mm.HandleFault(a); err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MAdvise(a+pageSize, 2*pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	f.check()
	b := f.read(a, 4*pageSize)
	for i, c := range b {
		want := byte(7)
		if i >= pageSize && i < 3*pageSize {
			want = 0
		}
		if c != want {
			t.Fatalf("byte %d = %d after DONTNEED, want %d", i, c, want)
		}
	}
}

func TestMAdviseDontNeedKeepsSharedData(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(MMapOpts{Length: pageSize, Perms: platform.ReadWrite, Shared: true})
	f.write(a, []byte("keep"))
	if err := f.mm.MAdvise(a, pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if b := f.read(a, 4); string(b) != "keep" {
		t.Fatalf("shared data after DONTNEED: %q", b)
	}
	wantErr(t, "MADV_FREE on shared", f.mm.MAdvise(a, pageSize, unix.MADV_FREE), unix.EINVAL)
	if err := f.mm.MAdvise(a, pageSize, unix.MADV_REMOVE); err != nil {
		t.Fatal(err)
	}
	if b := f.read(a, 4); !bytes.Equal(b, make([]byte, 4)) {
		t.Fatalf("shared data after REMOVE: %q", b)
	}
}

func TestMAdviseErrnos(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(pageSize))
	wantErr(t, "unknown advice", f.mm.MAdvise(a, pageSize, 999), unix.EINVAL)
	wantErr(t, "unaligned", f.mm.MAdvise(a+1, pageSize, unix.MADV_NORMAL), unix.EINVAL)
	wantErr(t, "hole", f.mm.MAdvise(a, 2*pageSize, unix.MADV_WILLNEED), unix.ENOMEM)
	for _, adv := range []int{unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_DONTDUMP, unix.MADV_DODUMP} {
		if err := f.mm.MAdvise(a, pageSize, adv); err != nil {
			t.Fatalf("hint %d: %v", adv, err)
		}
	}
	wantErr(t, "MADV_REMOVE on private", f.mm.MAdvise(a, pageSize, unix.MADV_REMOVE), unix.EINVAL)
}

func TestCopyAcrossVMABoundaries(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	f.mmap(MMapOpts{Addr: base + pageSize, Length: pageSize, Perms: platform.ReadWrite, Fixed: true, Name: "other"})
	msg := []byte("spans two mappings")
	f.write(base+pageSize-5, msg)
	if got := f.read(base+pageSize-5, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("read back %q", got)
	}
}

func TestCopyStopsAtHoleWithPartialCountAndEFAULT(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	n, err := f.mm.CopyOut(base+pageSize-3, []byte("abcdef"))
	if n != 3 || err != unix.EFAULT {
		t.Fatalf("CopyOut over the end = %d, %v; want 3, EFAULT", n, err)
	}
	buf := make([]byte, 6)
	n, err = f.mm.CopyIn(base+pageSize-3, buf)
	if n != 3 || err != unix.EFAULT || string(buf[:3]) != "abc" {
		t.Fatalf("CopyIn over the end = %d, %v, %q", n, err, buf[:n])
	}
	// Permissions: PROT_NONE is EFAULT both ways, read-only refuses writes.
	f.mmap(fixedAt(base+pageSize, pageSize, platform.NoAccess))
	n, err = f.mm.CopyIn(base+pageSize-3, buf)
	if n != 3 || err != unix.EFAULT {
		t.Fatalf("CopyIn into PROT_NONE = %d, %v", n, err)
	}
	ro := f.mmap(MMapOpts{Length: pageSize, Perms: platform.Read})
	if n, err := f.mm.CopyOut(ro, []byte("x")); n != 0 || err != unix.EFAULT {
		t.Fatalf("CopyOut to read-only = %d, %v", n, err)
	}
	if b := f.read(ro, 4); !bytes.Equal(b, make([]byte, 4)) {
		t.Fatalf("fresh read-only memory reads %q", b)
	}
}

func TestCopyInString(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	// A string crossing a page boundary with unmapped memory right after its NUL.
	s := "hello, world"
	at := base + 2*pageSize - uintptr(len(s)) - 1
	f.write(at-4, []byte("xxxx"+s+"\x00"))
	got, err := f.mm.CopyInString(at, 100)
	if err != nil || got != s {
		t.Fatalf("CopyInString = %q, %v", got, err)
	}
	if got, err := f.mm.CopyInString(at, len(s)+1); err != nil || got != s {
		t.Fatalf("CopyInString with maxLen counting the NUL exactly = %q, %v", got, err)
	}
	_, err = f.mm.CopyInString(at, len(s))
	wantErr(t, "too long", err, unix.ENAMETOOLONG)
	// Long string across pages.
	long := strings.Repeat("p", pageSize+10)
	f.write(base+10, append([]byte(long), 0))
	if got, err := f.mm.CopyInString(base+10, 2*pageSize); err != nil || got != long {
		t.Fatalf("long CopyInString: len %d, %v", len(got), err)
	}
	// No NUL before the end of the mapping.
	f.write(base+2*pageSize-3, []byte("abc"))
	_, err = f.mm.CopyInString(base+2*pageSize-3, 100)
	wantErr(t, "runs off the mapping", err, unix.EFAULT)
	_, err = f.mm.CopyInString(0x30000000, 100)
	wantErr(t, "unmapped", err, unix.EFAULT)
}

func TestUint32At(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(pageSize))
	f.write(a+8, []byte{1, 2, 3, 4})
	p, err := f.mm.Uint32At(a+8, true)
	if err != nil || *p != 0x04030201 {
		t.Fatalf("Uint32At = %v, %v", p, err)
	}
	*p = 0xdeadbeef
	if b := f.read(a+8, 4); !bytes.Equal(b, []byte{0xef, 0xbe, 0xad, 0xde}) {
		t.Fatalf("write through pointer not visible: %x", b)
	}
	_, err = f.mm.Uint32At(a+2, false)
	wantErr(t, "misaligned", err, unix.EINVAL)
	_, err = f.mm.Uint32At(0x30000000, false)
	wantErr(t, "unmapped", err, unix.EFAULT)
	ro := f.mmap(MMapOpts{Length: pageSize, Perms: platform.Read})
	_, err = f.mm.Uint32At(ro, true)
	wantErr(t, "write to read-only", err, unix.EFAULT)
	if _, err := f.mm.Uint32At(ro, false); err != nil {
		t.Fatalf("read-only Uint32At: %v", err)
	}
}

func TestGrowsDownMappingGrowsOnFault(t *testing.T) {
	f := newFixture(t)
	top := uintptr(0x40000000)
	f.mmap(MMapOpts{Addr: top - pageSize, Length: pageSize, Perms: platform.ReadWrite, Fixed: true, GrowsDown: true})
	if err := f.mm.HandleFault(top - 3*pageSize + 8); err != nil {
		t.Fatalf("fault below stack: %v", err)
	}
	if vs := f.vmas(); len(vs) != 1 || vs[0].Start != top-3*pageSize {
		t.Fatalf("stack after growth: %+v", vs)
	}
	f.write(top-4*pageSize, []byte("deeper")) // copies grow it too
	wantErr(t, "far below stack", f.mm.HandleFault(top-maxStackSize-2*pageSize), unix.EFAULT)
	f.check()
}

func TestReleaseReturnsAllMemory(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(4 * mib))
	f.write(a, []byte("x"))
	if err := f.mm.HandleFault(a + 3*mib); err != nil {
		t.Fatal(err)
	}
	f.mmap(MMapOpts{Length: 3 * pageSize, Perms: platform.ReadWrite, Shared: true})
	f.mm.SetBrkStart(0x500000)
	f.mm.Brk(0x600000)
	f.write(0x500000, []byte("heap"))
	if f.mf.Allocated() == 0 {
		t.Fatalf("nothing allocated before Release")
	}
	f.mm.Release()
	if n := f.mf.Allocated(); n != 0 {
		t.Fatalf("after Release, %d bytes allocated", n)
	}
	if !f.as.released {
		t.Fatalf("address space not released")
	}
	if err := f.mm.HandleFault(a); err != unix.EFAULT {
		t.Fatalf("fault after Release: %v", err)
	}
}

func TestSmallCopiesDoNotAllocate(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(pageSize))
	buf := make([]byte, 64)
	f.write(a, buf) // populate
	allocs := testing.AllocsPerRun(100, func() {
		f.mm.CopyOut(a+8, buf)
		f.mm.CopyIn(a+8, buf)
		f.mm.Uint32At(a+16, true)
	})
	if allocs != 0 {
		t.Fatalf("CopyIn/CopyOut/Uint32At allocate %v times per run", allocs)
	}
}

func TestConcurrentTasksShareMemoryManager(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(16 * mib))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf := []byte{byte(g)}
			for i := 0; i < 200; i++ {
				off := uintptr((g*200+i)*pageSize*5) % (16 * mib)
				if _, err := f.mm.CopyOut(a+off, buf); err != nil {
					t.Error(err)
					return
				}
				if err := f.mm.HandleFaultCode(a+off, segvMapErr); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					f.mm.MAdvise(a+off&^(pageSize-1), pageSize, unix.MADV_DONTNEED)
				}
			}
		}(g)
	}
	wg.Wait()
	f.check()
}
