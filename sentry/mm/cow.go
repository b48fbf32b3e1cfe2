package mm

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// Fork and copy-on-write.
//
// Fork gives the child the parent's vmas and, for each pma, a pma over the same memory-file
// pages with its own reference. Shared memory stays shared: both pmas are ordinary. Private
// memory becomes copy-on-write in both memory managers: the pmas are marked cow, and the
// parent's pages that were mapped writable are mapped again read-only, so that the next
// write by either side faults. A cow pma is always mapped without write permission
// (mapPerms); a write to it — an application fault on a present page (SEGV_ACCERR), or
// the sentry's CopyOut — breaks the copy-on-write for the page (breakCOWLocked): if the
// memory manager holds the only reference left it takes the page over, else it copies the
// page into a fresh memory-file page and drops its reference to the shared one.
//
// Reference counts decide ownership, so nothing links parent and child after Fork: either
// may exit, exec or unmap at any time, and the other then finds reference counts of one and
// takes its pages over without copying.

// mapPerms returns the permissions a pma is mapped with in a vma with perms: write
// permission is withheld while the pma is copy-on-write.
func mapPerms(perms platform.AccessType, cow bool) platform.AccessType {
	if cow {
		perms.Write = false
	}
	return perms
}

// Fork returns a copy of mm over the new, empty address space as, as fork(2) makes it: the
// same mappings, shared memory shared, private memory copy-on-write. Mappings marked
// MADV_DONTFORK are left out of the child; MADV_WIPEONFORK ones are present in the child
// but read as zeros.
//
// The calling goroutine must be allowed to change mm's address space (it is the forking
// task's). On error nothing is left referenced by the child and the caller still owns as.
func (mm *MemoryManager) Fork(as platform.AddressSpace) (*MemoryManager, error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.released {
		return nil, unix.EFAULT
	}
	c := New(as, mm.mf, mm.layout)
	c.brkStart, c.brk, c.lastObj = mm.brkStart, mm.brk, mm.lastObj
	c.execInfo.Store(mm.execInfo.Load())
	for i := range mm.vmas {
		v := mm.vmas[i]
		if v.dontFork {
			continue
		}
		c.vmas = append(c.vmas, v)
		if v.mappable != nil {
			c.joinMappingsLocked(v.mappable) // c is not shared yet: no lock needed
		}
		if v.wipeOnFork {
			continue
		}
		// Split pmas at vma edges so that each lies in one vma and takes that vma's
		// private or shared nature.
		lo, hi := mm.pmaRangeLocked(v.start, v.end)
		for k := lo; k < hi; k++ {
			p := &mm.pmas[k]
			if !v.shared {
				p.cow = true
			}
			mm.mf.IncRef(p.off, p.length())
			c.pmas = append(c.pmas, pma{start: p.start, end: p.end, off: p.off, cow: p.cow})
		}
	}
	mm.mergePMAsLocked(0, len(mm.pmas))
	if err := mm.protectCOWLocked(); err != nil {
		// The parent could still write to pages the child would see: give up. The parent's
		// cow marks are harmless (its reference counts are back to one, so its next write
		// takes each page over).
		for _, p := range c.pmas {
			mm.mf.DecRef(p.off, p.length())
		}
		c.pmas, c.released = nil, true
		for m := range c.mappables {
			m.Mappings().remove(c)
		}
		return nil, err
	}
	c.mergePMAsLocked(0, len(c.pmas))
	return c, nil
}

// protectCOWLocked maps every copy-on-write pma that is mapped writable again read-only.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) protectCOWLocked() error {
	for k := range mm.pmas {
		p := &mm.pmas[k]
		if !p.cow || !p.mapped || !p.perms.Write {
			continue
		}
		perms := mapPerms(p.perms, true)
		if err := mm.as.MapFile(p.start, mm.mf.FD(), int64(p.off), p.end-p.start, perms); err != nil {
			return err
		}
		p.perms = perms
	}
	mm.mergePMAsLocked(0, len(mm.pmas))
	return nil
}

// breakCOWLocked makes the page at page, which is in a cow pma, private to mm so that it may
// be written. Around it, within [ws, we), pages of the same pma that no one else references
// any more are taken over too (they need no copy), so that a process whose fork child has
// gone faults once per window rather than once per page. Pages taken over keep their
// read-only mapping until the caller maps them again; a copied page is unmapped.
//
// Preconditions: mm.mu is held for writing; ws <= page < we; page is page aligned.
func (mm *MemoryManager) breakCOWLocked(page, ws, we uintptr) error {
	pi := mm.pmaAtLocked(page)
	if pi < 0 || !mm.pmas[pi].cow {
		return nil
	}
	p := mm.pmas[pi]
	lo, hi := max(p.start, ws), min(p.end, we)
	owned := func(a uintptr) bool { return mm.mf.RefCount(p.off+uint64(a-p.start)) == 1 }
	for a := lo; a < hi; {
		if !owned(a) {
			a += pageSize
			continue
		}
		b := a + pageSize
		for b < hi && owned(b) {
			b += pageSize
		}
		i, j := mm.pmaRangeLocked(a, b)
		for k := i; k < j; k++ {
			mm.pmas[k].cow = false
		}
		a = b
	}
	i, _ := mm.pmaRangeLocked(page, page+pageSize)
	if q := &mm.pmas[i]; q.cow {
		off, err := mm.mf.Allocate(pageSize)
		if err != nil {
			return unix.ENOMEM
		}
		copy(mm.mf.Slice(off, pageSize), mm.mf.Slice(q.off, pageSize))
		if q.mapped {
			if err := mm.as.Unmap(page, pageSize); err != nil {
				mm.mf.DecRef(off, pageSize)
				return err
			}
		}
		mm.mf.DecRef(q.off, pageSize)
		q.off, q.cow, q.mapped = off, false, false
	}
	mm.mergePMAsLocked(mm.pmaIndexLocked(lo), mm.pmaIndexLocked(hi))
	return nil
}

// setForkAdviceLocked applies MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK or
// MADV_KEEPONFORK to the vmas in [start, end), splitting them at its edges. It returns
// ENOMEM if part of the range is unmapped (the mapped parts are changed, as on Linux) and
// EINVAL for MADV_WIPEONFORK on shared memory.
//
// Preconditions: mm.mu is held for writing; start and end are page aligned.
func (mm *MemoryManager) setForkAdviceLocked(start, end uintptr, advice int) error {
	mm.splitVMALocked(start)
	mm.splitVMALocked(end)
	first := mm.vmaIndexLocked(start)
	cur := start
	var err error
	i := first
	for ; i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := &mm.vmas[i]
		if v.start > cur {
			err = unix.ENOMEM
		}
		switch advice {
		case unix.MADV_DONTFORK:
			v.dontFork = true
		case unix.MADV_DOFORK:
			v.dontFork = false
		case unix.MADV_WIPEONFORK:
			if v.shared {
				mm.mergeVMAsLocked(first, i)
				return unix.EINVAL
			}
			v.wipeOnFork = true
		case unix.MADV_KEEPONFORK:
			v.wipeOnFork = false
		}
		cur = v.end
	}
	mm.mergeVMAsLocked(first, i)
	if cur < end {
		err = unix.ENOMEM
	}
	return err
}

// IncUsers adds a user of mm: a process that shares it (CLONE_VM without CLONE_THREAD).
func (mm *MemoryManager) IncUsers() { mm.extraUsers.Add(1) }

// DecUsers drops a user of mm; dropping the last one (the creator's, unless IncUsers was
// called) releases it.
func (mm *MemoryManager) DecUsers() {
	if mm.extraUsers.Add(-1) < 0 {
		mm.Release()
	}
}
