package mm

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

func TestPinWritesLandInApplicationMemory(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 4*pageSize, platform.ReadWrite))
	p, err := f.mm.Pin(base+10, 3*pageSize, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Data) != 3*pageSize {
		t.Fatalf("pinned %d bytes of a populated run, want %d", len(p.Data), 3*pageSize)
	}
	copy(p.Data, "hello")
	f.mm.Unpin(p)
	if got := f.read(base+10, 5); string(got) != "hello" {
		t.Fatalf("application sees %q", got)
	}
}

func TestPinStopsAtFirstInaccessiblePage(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 2*pageSize, platform.ReadWrite))
	f.mmap(fixedAt(base+2*pageSize, pageSize, platform.Read))
	// A write pin covers only the writable pages; a read pin continues into the read-only
	// one; and the next page (unmapped) ends both.
	total := func(write bool) (uintptr, error) {
		var done uintptr
		for done < 4*pageSize {
			p, err := f.mm.Pin(base+done, 4*pageSize-done, write)
			if err != nil {
				return done, err
			}
			done += uintptr(len(p.Data))
			f.mm.Unpin(p)
		}
		return done, nil
	}
	if n, err := total(true); n != 2*pageSize || err != unix.EFAULT {
		t.Fatalf("write pins: %d bytes, %v; want %d, EFAULT", n, err, 2*pageSize)
	}
	if n, err := total(false); n != 3*pageSize || err != unix.EFAULT {
		t.Fatalf("read pins: %d bytes, %v; want %d, EFAULT", n, err, 3*pageSize)
	}
	if _, err := f.mm.Pin(base+3*pageSize, 1, false); err != unix.EFAULT {
		t.Fatalf("pin of unmapped page: %v, want EFAULT", err)
	}
	if _, err := f.mm.Pin(base, 0, false); err != unix.EINVAL {
		t.Fatalf("pin of zero bytes: %v, want EINVAL", err)
	}
}

func TestPinnedPagesOutliveMunmap(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	f.write(base, []byte("x"))
	p, err := f.mm.Pin(base, pageSize, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MUnmap(base, pageSize); err != nil {
		t.Fatal(err)
	}
	if f.mf.Allocated() != pageSize {
		t.Fatalf("pinned page freed by munmap: allocated %d", f.mf.Allocated())
	}
	p.Data[0] = 'y' // still the pinned page, not someone else's
	f.mm.Unpin(p)
	if f.mf.Allocated() != 0 {
		t.Fatalf("unpin left %d bytes allocated", f.mf.Allocated())
	}
}

func TestPinForWriteBreaksCopyOnWrite(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, pageSize, platform.ReadWrite))
	f.write(base, []byte("parent"))
	c := f.fork()
	p, err := c.mm.Pin(base, pageSize, true)
	if err != nil {
		t.Fatal(err)
	}
	copy(p.Data, "child!")
	c.mm.Unpin(p)
	if got := f.read(base, 6); string(got) != "parent" {
		t.Fatalf("parent sees %q after the child's pinned write", got)
	}
	if got := c.read(base, 6); string(got) != "child!" {
		t.Fatalf("child sees %q", got)
	}
}

func TestPinAllocatesNothingOnPopulatedMemory(t *testing.T) {
	f := newFixture(t)
	base := uintptr(0x40000000)
	f.mmap(fixedAt(base, 1<<20, platform.ReadWrite))
	f.write(base, make([]byte, 1<<20))
	allocs := testing.AllocsPerRun(100, func() {
		p, err := f.mm.Pin(base+100, 1<<20-200, true)
		if err != nil {
			t.Fatal(err)
		}
		f.mm.Unpin(p)
	})
	if allocs != 0 {
		t.Fatalf("Pin+Unpin allocates %v times", allocs)
	}
}
