package vfs

import (
	"math"
	"reflect"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

func sortedLocks(s rangeLocks) []RangeLock {
	out := append([]RangeLock(nil), s...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Range.Start != out[j].Range.Start {
			return out[i].Range.Start < out[j].Range.Start
		}
		return out[i].PID < out[j].PID
	})
	return out
}

func TestRangeLockSplitMerge(t *testing.T) {
	a, b := "a", "b"
	var s rangeLocks
	set := func(owner string, pid int32, typ int16, start, end uint64) bool {
		var released bool
		s, released = s.set(owner, pid, typ, LockRange{start, end})
		return released
	}
	set(a, 1, unix.F_WRLCK, 0, 100)
	// Unlocking the middle splits the lock in two.
	if !set(a, 1, unix.F_UNLCK, 40, 60) {
		t.Errorf("unlock of a held range: released = false")
	}
	want := []RangeLock{
		{unix.F_WRLCK, LockRange{0, 40}, a, 1},
		{unix.F_WRLCK, LockRange{60, 100}, a, 1},
	}
	if got := sortedLocks(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after split: %+v, want %+v", got, want)
	}
	// Re-locking the hole merges the three pieces.
	set(a, 1, unix.F_WRLCK, 40, 60)
	want = []RangeLock{{unix.F_WRLCK, LockRange{0, 100}, a, 1}}
	if got := sortedLocks(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after merge: %+v, want %+v", got, want)
	}
	// Downgrading the middle gives three locks of two types and counts as a release.
	if !set(a, 1, unix.F_RDLCK, 10, 20) {
		t.Errorf("downgrade: released = false")
	}
	want = []RangeLock{
		{unix.F_WRLCK, LockRange{0, 10}, a, 1},
		{unix.F_RDLCK, LockRange{10, 20}, a, 1},
		{unix.F_WRLCK, LockRange{20, 100}, a, 1},
	}
	if got := sortedLocks(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after downgrade: %+v, want %+v", got, want)
	}
	// Another owner's read lock conflicts with the write parts only.
	if _, ok := s.conflict(b, unix.F_RDLCK, LockRange{10, 20}); ok {
		t.Errorf("read over read: conflict")
	}
	if c, ok := s.conflict(b, unix.F_RDLCK, LockRange{15, 25}); !ok || c.Range != (LockRange{20, 100}) {
		t.Errorf("read over write: conflict %+v, %v", c, ok)
	}
	if c, ok := s.conflict(b, unix.F_WRLCK, LockRange{12, 13}); !ok || c.Type != unix.F_RDLCK {
		t.Errorf("write over read: conflict %+v, %v", c, ok)
	}
	if _, ok := s.conflict(a, unix.F_WRLCK, LockRange{0, LockEOF}); ok {
		t.Errorf("own locks conflict")
	}
	if _, ok := s.conflict(b, unix.F_WRLCK, LockRange{100, LockEOF}); ok {
		t.Errorf("range after the end conflicts")
	}
	// b's lock to EOF, then a's locks go with removeOwner.
	set(b, 2, unix.F_RDLCK, 200, LockEOF)
	s, _ = s.removeOwner(a)
	want = []RangeLock{{unix.F_RDLCK, LockRange{200, LockEOF}, b, 2}}
	if got := sortedLocks(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after removeOwner: %+v, want %+v", got, want)
	}
	// Unlocking a range nobody holds releases nothing.
	if set(a, 1, unix.F_UNLCK, 0, LockEOF) {
		t.Errorf("unlock of nothing: released = true")
	}
	// Adjacent locks of different types do not merge.
	set(b, 2, unix.F_WRLCK, 100, 200)
	if len(s) != 2 {
		t.Errorf("write next to read merged: %+v", s)
	}
	set(b, 2, unix.F_RDLCK, 100, 200)
	want = []RangeLock{{unix.F_RDLCK, LockRange{100, LockEOF}, b, 2}}
	if got := sortedLocks(s); !reflect.DeepEqual(got, want) {
		t.Errorf("adjacent reads: %+v, want %+v", got, want)
	}
}

func TestLockRangeOf(t *testing.T) {
	for _, tc := range []struct {
		base, start, length int64
		want                LockRange
		err                 error
	}{
		{0, 10, 5, LockRange{10, 15}, nil},
		{0, 10, 0, LockRange{10, LockEOF}, nil},
		{0, 10, -5, LockRange{5, 10}, nil},
		{0, 10, -10, LockRange{0, 10}, nil},
		{0, 10, -11, LockRange{}, unix.EINVAL},
		{100, -20, 5, LockRange{80, 85}, nil},
		{100, -101, 5, LockRange{}, unix.EINVAL},
		{0, math.MaxInt64, 2, LockRange{}, unix.EOVERFLOW},
		{math.MaxInt64, 1, 0, LockRange{}, unix.EOVERFLOW},
	} {
		got, err := LockRangeOf(tc.base, tc.start, tc.length)
		if err != tc.err || got != tc.want {
			t.Errorf("LockRangeOf(%d, %d, %d) = %+v, %v; want %+v, %v", tc.base, tc.start, tc.length, got, err, tc.want, tc.err)
		}
	}
}

// TestLockWait checks that a blocked F_SETLKW-style lock and a blocked flock are granted
// when the holder lets go (a nil task waits uninterruptibly).
func TestLockWait(t *testing.T) {
	d := &Dentry{ifmt: unix.S_IFREG}
	fa := &FileDescription{vd: VirtualDentry{Dentry: d}}
	fb := &FileDescription{vd: VirtualDentry{Dentry: d}}
	if err := fa.SetLock(nil, "a", 1, unix.F_WRLCK, LockRange{0, 10}, false); err != nil {
		t.Fatal(err)
	}
	if err := fb.SetLock(nil, "b", 2, unix.F_RDLCK, LockRange{5, 6}, false); err != unix.EAGAIN {
		t.Fatalf("conflicting SetLock: %v, want EAGAIN", err)
	}
	if l, ok := fb.GetLock("b", unix.F_RDLCK, LockRange{5, 6}); !ok || l.PID != 1 || l.Range != (LockRange{0, 10}) {
		t.Fatalf("GetLock: %+v, %v", l, ok)
	}
	done := make(chan error)
	go func() { done <- fb.SetLock(nil, "b", 2, unix.F_RDLCK, LockRange{5, 6}, true) }()
	if err := fa.Flock(nil, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	flocked := make(chan error)
	go func() { flocked <- fb.Flock(nil, unix.LOCK_SH) }()
	fa.ReleasePOSIXLocks("a")
	if err := <-done; err != nil {
		t.Fatalf("blocked SetLock: %v", err)
	}
	fa.releaseFileLocks() // the last close of fa
	if err := <-flocked; err != nil {
		t.Fatalf("blocked Flock: %v", err)
	}
	if err := fa.Flock(nil, unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Fatalf("LOCK_EX over LOCK_SH: %v, want EWOULDBLOCK", err)
	}
	fb.releaseFileLocks()
	releaseOwnerLocks("b")
	locksMu.Lock()
	n := len(lockTables)
	locksMu.Unlock()
	if n != 0 {
		t.Errorf("%d lock tables left after every lock went", n)
	}
}
