package memfile

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func newTestFile(t *testing.T, size uint64) *File {
	f, err := New("test", size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestAllocateReturnsZeroedPageAlignedRanges(t *testing.T) {
	f := newTestFile(t, 1<<20)
	off, err := f.Allocate(100)
	if err != nil {
		t.Fatal(err)
	}
	if off%pageSize != 0 {
		t.Fatalf("offset %#x not page aligned", off)
	}
	if f.Allocated() != pageSize {
		t.Fatalf("Allocated() = %d, want one page", f.Allocated())
	}
	b := f.Slice(off, pageSize)
	for i := range b {
		b[i] = 0xaa
	}
	f.DecRef(off, pageSize)
	if f.Allocated() != 0 {
		t.Fatalf("Allocated() after free = %d", f.Allocated())
	}
	// The freed range is reused and reads as zeros again (hole punched).
	off2, err := f.Allocate(pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if off2 != off {
		t.Fatalf("freed range not reused: got %#x, want %#x", off2, off)
	}
	for i, c := range f.Slice(off2, pageSize) {
		if c != 0 {
			t.Fatalf("byte %d of reused page is %#x, want 0", i, c)
		}
	}
}

func TestRefCountsSplitAndFreePartially(t *testing.T) {
	f := newTestFile(t, 1<<20)
	off, _ := f.Allocate(4 * pageSize)
	f.IncRef(off+pageSize, 2*pageSize) // middle two pages now have 2 refs
	f.DecRef(off, 4*pageSize)          // outer pages freed, middle back to 1
	if got := f.Allocated(); got != 2*pageSize {
		t.Fatalf("Allocated() = %d, want two pages", got)
	}
	for i, want := range []int{0, 1, 1, 0} {
		if got := f.RefCount(off + uint64(i)*pageSize); got != want {
			t.Errorf("page %d refcount %d, want %d", i, got, want)
		}
	}
	f.DecRef(off+pageSize, 2*pageSize)
	if f.Allocated() != 0 {
		t.Fatalf("Allocated() = %d, want 0", f.Allocated())
	}
}

func TestFreeListCoalescesAndFirstFits(t *testing.T) {
	f := newTestFile(t, 1<<20)
	a, _ := f.Allocate(pageSize)
	b, _ := f.Allocate(pageSize)
	c, _ := f.Allocate(pageSize)
	f.DecRef(a, pageSize)
	f.DecRef(b, pageSize)
	// a and b coalesced: a two-page request fits at a.
	d, err := f.Allocate(2 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if d != a {
		t.Fatalf("two-page allocation at %#x, want coalesced hole at %#x", d, a)
	}
	_ = c
}

func TestLimitAndExhaustion(t *testing.T) {
	f := newTestFile(t, 4*pageSize)
	f.SetLimit(2 * pageSize)
	if _, err := f.Allocate(3 * pageSize); err != ErrNoMemory {
		t.Fatalf("allocation over the limit: err %v, want ErrNoMemory", err)
	}
	f.SetLimit(0)
	if _, err := f.Allocate(4 * pageSize); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Allocate(pageSize); err != ErrNoMemory {
		t.Fatalf("allocation past the file size: err %v, want ErrNoMemory", err)
	}
	if _, err := f.Allocate(0); err == nil {
		t.Fatal("zero-length allocation succeeded")
	}
}

// TestReleaseAfterCloseTouchesNothing: a reference dropped after Close (a user that outlived
// the file) neither faults on the gone mapping nor punches whatever file now has the
// descriptor number; Allocate after Close fails; a second Close is harmless.
func TestReleaseAfterCloseTouchesNothing(t *testing.T) {
	f, err := New("test", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	off, err := f.Allocate(4 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	clear(f.Slice(off, 4*pageSize))
	oldFD := f.FD()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The lowest free descriptor is the one just closed: another file takes it.
	other, err := unix.MemfdCreate("other", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	if other != oldFD {
		t.Logf("descriptor %d not reused (got %d): only the fault is checked", oldFD, other)
	}
	data := bytes.Repeat([]byte{0x5a}, 8*pageSize)
	if _, err := unix.Pwrite(other, data, 0); err != nil {
		t.Fatal(err)
	}
	f.DecRef(off, 4*pageSize)
	got := make([]byte, len(data))
	if _, err := unix.Pread(other, got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("DecRef after Close punched a hole in the file that reused its descriptor")
	}
	if f.Allocated() != 0 {
		t.Fatalf("Allocated() = %d after the last DecRef", f.Allocated())
	}
	if _, err := f.Allocate(pageSize); err != ErrClosed {
		t.Fatalf("Allocate after Close: %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
