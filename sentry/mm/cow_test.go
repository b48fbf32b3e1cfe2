package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// fork forks f's memory manager into a new fake address space, checks both, and releases
// the child at the end of the test (before the parent's fixture checks the memory file).
func (f *fixture) fork() *fixture {
	f.t.Helper()
	as := newFakeAS()
	c, err := f.mm.Fork(as)
	if err != nil {
		f.t.Fatalf("Fork: %v", err)
	}
	cf := &fixture{t: f.t, mf: f.mf, as: as, mm: c}
	f.t.Cleanup(func() {
		cf.check()
		c.Release()
	})
	f.check()
	cf.check()
	return cf
}

func TestForkPrivateMemoryIsCopyOnWriteBothWays(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(4 * pageSize))
	f.write(a, []byte("before fork"))
	c := f.fork()
	if got := c.read(a, 11); string(got) != "before fork" {
		t.Fatalf("child reads %q after fork", got)
	}
	f.write(a, []byte("parent"))
	c.write(a+pageSize, []byte("child"))
	if got := c.read(a, 11); string(got) != "before fork" {
		t.Fatalf("child sees the parent's write: %q", got)
	}
	if got := f.read(a+pageSize, 5); !bytes.Equal(got, make([]byte, 5)) {
		t.Fatalf("parent sees the child's write: %q", got)
	}
	if got := f.read(a, 11); string(got) != "parentfork" && string(got) != "parent fork" {
		t.Fatalf("parent reads %q", got)
	}
	f.check()
	c.check()
}

func TestForkWriteProtectsParentAndWriteFaultCopies(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(2 * pageSize))
	if err := f.mm.HandleFaultCode(a, segvMapErr); err != nil {
		t.Fatalf("first fault: %v", err)
	}
	f.write(a, []byte("x"))
	if p, ok := f.as.page(a); !ok || !p.perms.Write {
		t.Fatalf("page not mapped writable before fork: %+v %v", p, ok)
	}
	c := f.fork()
	before, _ := f.as.page(a)
	if before.perms.Write {
		t.Fatalf("parent page still writable after fork: %+v", before)
	}
	// A write by the application: the host reports SEGV_ACCERR on the present page.
	if err := f.mm.HandleFaultCode(a, segvAccErr); err != nil {
		t.Fatalf("COW fault: %v", err)
	}
	after, ok := f.as.page(a)
	if !ok || !after.perms.Write || after.off == before.off {
		t.Fatalf("after COW fault the page is %+v (present %v), was %+v", after, ok, before)
	}
	f.check()
	// The child faults its copy in read-only, then writes: it is now the only holder of
	// the original page and takes it over without copying.
	if err := c.mm.HandleFaultCode(a, segvMapErr); err != nil {
		t.Fatalf("child read fault: %v", err)
	}
	if p, _ := c.as.page(a); p.perms.Write || p.off != before.off {
		t.Fatalf("child page %+v, want read-only at %#x", p, before.off)
	}
	n := f.mf.Allocated()
	if err := c.mm.HandleFaultCode(a, segvAccErr); err != nil {
		t.Fatalf("child write fault: %v", err)
	}
	if p, _ := c.as.page(a); !p.perms.Write || p.off != before.off {
		t.Fatalf("child page %+v after write fault, want writable at %#x", p, before.off)
	}
	if f.mf.Allocated() != n {
		t.Fatalf("taking over a page allocated memory")
	}
	c.check()
	if got := c.read(a, 1); string(got) != "x" {
		t.Fatalf("child reads %q", got)
	}
}

func TestForkParentTakesPagesOverAfterChildGoes(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(8 * pageSize))
	f.write(a, bytes.Repeat([]byte{1}, 8*pageSize))
	as := newFakeAS()
	c, err := f.mm.Fork(as)
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
	n := f.mf.Allocated()
	f.write(a+3*pageSize, []byte{2})
	if f.mf.Allocated() != n {
		t.Fatalf("write after the child released its memory copied a page")
	}
	f.mm.mu.RLock()
	for _, p := range f.mm.pmas {
		if p.cow {
			t.Errorf("pma %+v still copy-on-write after the takeover", p)
		}
	}
	f.mm.mu.RUnlock()
}

func TestForkSharedMemoryStaysShared(t *testing.T) {
	f := newFixture(t)
	o := anon(2 * pageSize)
	o.Shared = true
	a := f.mmap(o)
	c := f.fork()
	f.write(a, []byte("from parent"))
	c.write(a+pageSize, []byte("from child"))
	if got := c.read(a, 11); string(got) != "from parent" {
		t.Fatalf("child reads %q from shared memory", got)
	}
	if got := f.read(a+pageSize, 10); string(got) != "from child" {
		t.Fatalf("parent reads %q from shared memory", got)
	}
	if err := c.mm.HandleFaultCode(a, segvMapErr); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.as.page(a); !p.perms.Write {
		t.Fatalf("shared page mapped %v in the child, want writable", p.perms)
	}
}

func TestForkReadOnlyMemoryCopiedAfterMProtect(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(pageSize))
	f.write(a, []byte("ro"))
	if err := f.mm.MProtect(a, pageSize, platform.Read); err != nil {
		t.Fatal(err)
	}
	c := f.fork()
	if err := c.mm.MProtect(a, pageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	c.write(a, []byte("rw"))
	if got := f.read(a, 2); string(got) != "ro" {
		t.Fatalf("parent reads %q", got)
	}
}

func TestForkHonoursDontForkAndWipeOnFork(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(fixedAt(0x40000000, 3*pageSize, platform.ReadWrite))
	f.write(a, bytes.Repeat([]byte{7}, 3*pageSize))
	if err := f.mm.MAdvise(a, pageSize, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := f.mm.MAdvise(a+2*pageSize, pageSize, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	c := f.fork()
	if _, err := c.mm.CopyIn(a, make([]byte, 1)); err != unix.EFAULT {
		t.Fatalf("child read of a DONTFORK page: %v, want EFAULT", err)
	}
	if got := c.read(a+pageSize, 1); got[0] != 7 {
		t.Fatalf("child reads %d from an ordinary page", got[0])
	}
	if got := c.read(a+2*pageSize, 1); got[0] != 0 {
		t.Fatalf("child reads %d from a WIPEONFORK page", got[0])
	}
	if err := f.mm.MAdvise(a, 3*pageSize, unix.MADV_DOFORK); err != nil {
		t.Fatal(err)
	}
	o := anon(pageSize)
	o.Shared = true
	s := f.mmap(o)
	wantErr(t, "WIPEONFORK on shared memory", f.mm.MAdvise(s, pageSize, unix.MADV_WIPEONFORK), unix.EINVAL)
}

func TestForkOfForkAndReleaseReturnAllMemory(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(64 * pageSize))
	f.write(a, bytes.Repeat([]byte{1}, 64*pageSize))
	c := f.fork()
	g := c.fork()
	g.write(a+5*pageSize, []byte{3})
	c.write(a+5*pageSize, []byte{2})
	if f.read(a+5*pageSize, 1)[0] != 1 || c.read(a+5*pageSize, 1)[0] != 2 || g.read(a+5*pageSize, 1)[0] != 3 {
		t.Fatalf("three generations do not see their own writes")
	}
	// The fixture's cleanup checks that the memory file is empty once all are released.
}

func TestStaleAccessFaultOnUpgradedPageIsRetried(t *testing.T) {
	f := newFixture(t)
	a := f.mmap(anon(pageSize))
	if err := f.mm.HandleFaultCode(a, segvMapErr); err != nil {
		t.Fatal(err)
	}
	// Another thread broke copy-on-write first: the page is now mapped read-write, and
	// this thread's SEGV_ACCERR from before that is stale.
	if err := f.mm.HandleFaultIP(a, segvAccErr, 0x400000); err != nil {
		t.Fatalf("stale write fault: %v, want a retry", err)
	}
	// An instruction fetch from the non-executable page is a real violation.
	wantErr(t, "fetch from a non-executable page", f.mm.HandleFaultIP(a, segvAccErr, a), unix.EACCES)
}
