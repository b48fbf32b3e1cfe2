package vfs

import (
	"math"
	"reflect"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Advisory locks: flock(2) locks and fcntl(2) byte-range locks (POSIX record locks and OFD
// locks). Both kinds live in a table per inode (so hard links share them), created on first
// use and dropped when empty.
//
//   - A flock lock belongs to the open file description; it is released by LOCK_UN or when
//     the description's last reference goes (FileDescription.Release).
//   - A POSIX record lock belongs to the process (its *kernel.ThreadGroup): it is released
//     when the process closes any descriptor of the file (ReleasePOSIXLocks, called by
//     close(2)) and when the process exits (a kernel process-exit hook).
//   - An OFD lock is a byte-range lock owned by the open file description (released with
//     it). POSIX and OFD locks conflict with each other; flock locks are independent.
//
// Blocked lockers wait on the table's change channel, which is closed (and replaced) by
// every operation that releases or downgrades a lock, then check again.
//
// locksMu guards every table; it is a leaf lock (nothing is called while holding it).

// LockEOF is the end of a range lock that extends to the end of the file (and beyond).
const LockEOF = math.MaxUint64

// LockRange is the byte range [Start, End) of a range lock.
type LockRange struct {
	Start, End uint64
}

func (r LockRange) overlaps(o LockRange) bool { return r.Start < o.End && o.Start < r.End }

// RangeLock is one byte-range lock.
type RangeLock struct {
	// Type is unix.F_RDLCK or unix.F_WRLCK.
	Type  int16
	Range LockRange
	// Owner is the holder: a *kernel.ThreadGroup for a POSIX lock, a *FileDescription for
	// an OFD lock.
	Owner any
	// PID is the owning process's pid for POSIX locks, -1 for OFD locks (as F_GETLK
	// reports them).
	PID int32
}

// rangeLocks is the byte-range locks of one inode, unordered. An owner's locks never
// overlap each other and adjacent ones of the same type are merged.
type rangeLocks []RangeLock

// conflict returns a lock of another owner that a lock of type typ over r by owner would
// conflict with.
func (s rangeLocks) conflict(owner any, typ int16, r LockRange) (RangeLock, bool) {
	for _, l := range s {
		if l.Owner != owner && l.Range.overlaps(r) && (l.Type == unix.F_WRLCK || typ == unix.F_WRLCK) {
			return l, true
		}
	}
	return RangeLock{}, false
}

// set makes owner's locks over r be of type typ (F_UNLCK removes them), splitting the
// owner's existing locks at r's ends and merging with adjacent locks of the same type. It
// does not check conflicts. It reports whether any lock was removed or downgraded.
func (s rangeLocks) set(owner any, pid int32, typ int16, r LockRange) (rangeLocks, bool) {
	out := make(rangeLocks, 0, len(s)+2)
	released := false
	for _, l := range s {
		if l.Owner != owner || !l.Range.overlaps(r) {
			out = append(out, l)
			continue
		}
		if l.Type == unix.F_WRLCK && typ != unix.F_WRLCK || typ == unix.F_UNLCK {
			released = true
		}
		if l.Range.Start < r.Start {
			left := l
			left.Range.End = r.Start
			out = append(out, left)
		}
		if l.Range.End > r.End {
			right := l
			right.Range.Start = r.End
			out = append(out, right)
		}
	}
	if typ == unix.F_UNLCK {
		return out, released
	}
	nl := RangeLock{Type: typ, Range: r, Owner: owner, PID: pid}
	merged := out[:0]
	for _, l := range out {
		if l.Owner == owner && l.Type == typ && (l.Range.End == nl.Range.Start || l.Range.Start == nl.Range.End) {
			nl.Range.Start = min(nl.Range.Start, l.Range.Start)
			nl.Range.End = max(nl.Range.End, l.Range.End)
			continue
		}
		merged = append(merged, l)
	}
	return append(merged, nl), released
}

// removeOwner drops every lock of owner.
func (s rangeLocks) removeOwner(owner any) (rangeLocks, bool) {
	out := s[:0]
	removed := false
	for _, l := range s {
		if l.Owner == owner {
			removed = true
			continue
		}
		out = append(out, l)
	}
	return out, removed
}

// flockLock is a flock(2) lock.
type flockLock struct {
	fd        *FileDescription
	exclusive bool
}

// inodeLocks is one inode's lock table.
type inodeLocks struct {
	flocks []flockLock
	ranges rangeLocks
	// changed is closed when a lock is released or downgraded (nil if nobody waits).
	changed chan struct{}
}

func (il *inodeLocks) wake() {
	if il.changed != nil {
		close(il.changed)
		il.changed = nil
	}
}

func (il *inodeLocks) waitChan() chan struct{} {
	if il.changed == nil {
		il.changed = make(chan struct{})
	}
	return il.changed
}

var (
	locksMu sync.Mutex
	// lockTables maps an inode to its lock table. Guarded by locksMu.
	lockTables = map[any]*inodeLocks{}
	// lockWaits maps a POSIX owner blocked in F_SETLKW to the owner it waits for, for
	// deadlock detection. Guarded by locksMu.
	lockWaits = map[any]any{}
)

// LockKeyer is implemented by inodes that are not the same object for every lookup of a
// file (the overlay makes a node per lookup): LockKey returns a comparable value that is,
// so that every description of the file shares one lock table.
type LockKeyer interface {
	LockKey() any
}

// lockKey identifies d's file in lockTables: the inode's LockKey, its inode (shared by
// hard links), or the dentry if the inode's type cannot be a map key.
func lockKey(d *Dentry) any {
	if k, ok := d.inode.(LockKeyer); ok {
		return k.LockKey()
	}
	if d.inode != nil && reflect.TypeOf(d.inode).Comparable() {
		return d.inode
	}
	return d
}

// tableLocked returns the lock table of inode, creating it if create is set (else nil).
func tableLocked(inode any, create bool) *inodeLocks {
	il := lockTables[inode]
	if il == nil && create {
		il = &inodeLocks{}
		lockTables[inode] = il
	}
	return il
}

// putLocked drops the table of inode if it is empty and nobody waits on it.
func putLocked(inode any, il *inodeLocks) {
	if len(il.flocks) == 0 && len(il.ranges) == 0 && il.changed == nil && lockTables[inode] == il {
		delete(lockTables, inode)
	}
}

// blockOnLocks waits (with locksMu held, which it drops and retakes) for ch to be closed.
func blockOnLocks(t *kernel.Task, ch chan struct{}) error {
	locksMu.Unlock()
	defer locksMu.Lock()
	if t == nil {
		<-ch
		return nil
	}
	return t.BlockOn(ch, time.Time{})
}

// Flock is flock(2): op is LOCK_SH, LOCK_EX or LOCK_UN, optionally with LOCK_NB.
// Conflicts give EWOULDBLOCK with LOCK_NB; otherwise the task waits, interruptibly.
func (fd *FileDescription) Flock(t *kernel.Task, op int) error {
	if fd.path {
		return unix.EBADF
	}
	nb := op&unix.LOCK_NB != 0
	op &^= unix.LOCK_NB
	var excl bool
	switch op {
	case unix.LOCK_SH:
	case unix.LOCK_EX:
		excl = true
	case unix.LOCK_UN:
	default:
		return unix.EINVAL
	}
	inode := lockKey(fd.vd.Dentry)
	locksMu.Lock()
	defer locksMu.Unlock()
	il := tableLocked(inode, op != unix.LOCK_UN)
	if il == nil {
		return nil
	}
	defer func() { putLocked(inode, il) }() // il may be replaced while waiting
	// As Linux: the same lock again is a no-op; anything else first drops the file's lock
	// (so a conversion is not atomic).
	for i, l := range il.flocks {
		if l.fd != fd {
			continue
		}
		if op != unix.LOCK_UN && l.exclusive == excl {
			return nil
		}
		il.flocks = append(il.flocks[:i:i], il.flocks[i+1:]...)
		il.wake()
		break
	}
	if op == unix.LOCK_UN {
		return nil
	}
	for {
		conflict := false
		for _, l := range il.flocks {
			if l.exclusive || excl {
				conflict = true
				break
			}
		}
		if !conflict {
			il.flocks = append(il.flocks, flockLock{fd: fd, exclusive: excl})
			return nil
		}
		if nb {
			return unix.EWOULDBLOCK
		}
		if err := blockOnLocks(t, il.waitChan()); err != nil {
			return err
		}
		// The table may have been dropped while unlocked.
		il = tableLocked(inode, true)
	}
}

// GetLock is F_GETLK/F_OFD_GETLK: a lock that would block owner's lock of type typ over r.
func (fd *FileDescription) GetLock(owner any, typ int16, r LockRange) (RangeLock, bool) {
	locksMu.Lock()
	defer locksMu.Unlock()
	il := tableLocked(lockKey(fd.vd.Dentry), false)
	if il == nil {
		return RangeLock{}, false
	}
	return il.ranges.conflict(owner, typ, r)
}

// SetLock is F_SETLK(W)/F_OFD_SETLK(W): owner's locks over r become typ (F_UNLCK removes
// them). A conflict gives EAGAIN, or with block the task waits (interruptibly; EDEADLK if
// the POSIX owner it waits for waits for this one, directly or not).
func (fd *FileDescription) SetLock(t *kernel.Task, owner any, pid int32, typ int16, r LockRange, block bool) error {
	if fd.path {
		return unix.EBADF
	}
	inode := lockKey(fd.vd.Dentry)
	locksMu.Lock()
	defer locksMu.Unlock()
	il := tableLocked(inode, typ != unix.F_UNLCK)
	if il == nil {
		return nil
	}
	defer func() { putLocked(inode, il) }() // il may be replaced while waiting
	for {
		if typ != unix.F_UNLCK {
			if c, ok := il.ranges.conflict(owner, typ, r); ok {
				if !block {
					return unix.EAGAIN
				}
				if _, ofd := owner.(*FileDescription); !ofd && waitsFor(c.Owner, owner) {
					return unix.EDEADLK
				}
				lockWaits[owner] = c.Owner
				err := blockOnLocks(t, il.waitChan())
				delete(lockWaits, owner)
				if err != nil {
					return err
				}
				il = tableLocked(inode, true)
				continue
			}
		}
		var released bool
		il.ranges, released = il.ranges.set(owner, pid, typ, r)
		if released {
			il.wake()
		}
		return nil
	}
}

// waitsFor reports whether POSIX owner a waits, through a chain of blocked owners, for b.
func waitsFor(a, b any) bool {
	for i := 0; i < 64 && a != nil; i++ {
		if a == b {
			return true
		}
		a = lockWaits[a]
	}
	return false
}

// ReleasePOSIXLocks drops owner's POSIX locks on fd's file: close(2) of any descriptor of
// the file releases the process's record locks on it.
func (fd *FileDescription) ReleasePOSIXLocks(owner any) {
	if fd.vd.Dentry == nil {
		return
	}
	inode := lockKey(fd.vd.Dentry)
	locksMu.Lock()
	defer locksMu.Unlock()
	il := tableLocked(inode, false)
	if il == nil {
		return
	}
	var removed bool
	if il.ranges, removed = il.ranges.removeOwner(owner); removed {
		il.wake()
	}
	putLocked(inode, il)
}

// releaseFileLocks drops the flock and OFD locks of fd (its last reference is gone).
func (fd *FileDescription) releaseFileLocks() {
	if fd.vd.Dentry == nil {
		return
	}
	inode := lockKey(fd.vd.Dentry)
	locksMu.Lock()
	defer locksMu.Unlock()
	il := tableLocked(inode, false)
	if il == nil {
		return
	}
	for i, l := range il.flocks {
		if l.fd == fd {
			il.flocks = append(il.flocks[:i:i], il.flocks[i+1:]...)
			il.wake()
			break
		}
	}
	var removed bool
	if il.ranges, removed = il.ranges.removeOwner(fd); removed {
		il.wake()
	}
	putLocked(inode, il)
}

// releaseOwnerLocks drops every range lock of owner (a process that exits).
func releaseOwnerLocks(owner any) {
	locksMu.Lock()
	defer locksMu.Unlock()
	delete(lockWaits, owner)
	for inode, il := range lockTables {
		var removed bool
		if il.ranges, removed = il.ranges.removeOwner(owner); removed {
			il.wake()
		}
		putLocked(inode, il)
	}
}

func init() {
	kernel.RegisterProcessExitHook(func(tg *kernel.ThreadGroup) { releaseOwnerLocks(tg) })
	// execve's close-on-exec closes are closes: they drop the process's record locks.
	kernel.RegisterFDCloseHook(func(tg *kernel.ThreadGroup, f *kernel.FileRef) {
		if vfd, ok := f.File.(*FileDescription); ok {
			vfd.ReleasePOSIXLocks(tg)
		}
	})
}

// LockRangeOf converts a struct flock's l_start and l_len, with l_start relative to base
// (0, the file offset or the file size per l_whence), to a range: l_len 0 reaches to the
// end of the file, a negative l_len covers the bytes before l_start. EINVAL for a range
// starting before 0, EOVERFLOW for one past the largest offset.
func LockRangeOf(base, start, length int64) (LockRange, error) {
	s := base + start
	if (start > 0 && s < base) || (start < 0 && s > base) {
		return LockRange{}, unix.EOVERFLOW
	}
	if s < 0 {
		return LockRange{}, unix.EINVAL
	}
	switch {
	case length == 0:
		return LockRange{uint64(s), LockEOF}, nil
	case length > 0:
		if s > math.MaxInt64-length+1 {
			return LockRange{}, unix.EOVERFLOW
		}
		return LockRange{uint64(s), uint64(s + length)}, nil
	default:
		e := s
		s += length
		if s < 0 {
			return LockRange{}, unix.EINVAL
		}
		return LockRange{uint64(s), uint64(e)}, nil
	}
}
