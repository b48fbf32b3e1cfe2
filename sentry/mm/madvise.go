package mm

import (
	"golang.org/x/sys/unix"
)

// MAdvise implements madvise(2).
//
// MADV_DONTNEED, MADV_DONTNEED_LOCKED and MADV_FREE on private memory free the pages, which
// read as zeros afterwards (MADV_FREE's "maybe later" is resolved as "now", which Linux
// permits). On shared memory MADV_DONTNEED keeps the data, as Linux does for shmem;
// MADV_FREE there is EINVAL, as on Linux. MADV_REMOVE on shared memory punches the pages
// out of the shared object (all views then read zeros); on private memory it is EINVAL.
// DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK mark the mappings for Fork (WIPEONFORK on shared
// memory is EINVAL, as on Linux). The pure hints (NORMAL, RANDOM, SEQUENTIAL, WILLNEED,
// MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP, COLD, PAGEOUT) are
// accepted and have no effect, which Linux's semantics allow. Other advice, including
// POPULATE_READ/WRITE which are not implemented, is EINVAL, so callers fall back.
//
// As on Linux, an unaligned addr or a length that overflows is EINVAL, a zero length
// succeeds, and if part of the range is unmapped the advice is applied to the mapped parts
// and the call returns ENOMEM.
func (mm *MemoryManager) MAdvise(addr, length uintptr, advice int) error {
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE,
		unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_DONTDUMP, unix.MADV_DODUMP,
		unix.MADV_COLD, unix.MADV_PAGEOUT,
		unix.MADV_DONTNEED, unix.MADV_DONTNEED_LOCKED, unix.MADV_FREE, unix.MADV_REMOVE,
		unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK:
	default:
		return unix.EINVAL
	}
	if !aligned(addr) {
		return unix.EINVAL
	}
	l, ok := pageUp(length)
	if !ok || addr+l < addr {
		return unix.EINVAL
	}
	if l == 0 {
		return nil
	}
	end := addr + l

	mm.mu.Lock()
	defer mm.mu.Unlock()
	switch advice {
	case unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK:
		return mm.setForkAdviceLocked(addr, end, advice)
	}
	cur := addr
	hole := false
	for i := mm.vmaIndexLocked(addr); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := &mm.vmas[i]
		if v.start > cur {
			hole = true
		}
		s, e := max(v.start, addr), min(v.end, end)
		if err := mm.adviseLocked(v, s, e, advice); err != nil {
			return err
		}
		cur = e
	}
	if hole || cur < end {
		return unix.ENOMEM
	}
	return nil
}

// adviseLocked applies advice to [start, end), which lies in v.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) adviseLocked(v *vma, start, end uintptr, advice int) error {
	switch advice {
	case unix.MADV_DONTNEED, unix.MADV_DONTNEED_LOCKED, unix.MADV_FREE:
		if v.shared {
			if advice == unix.MADV_FREE {
				return unix.EINVAL
			}
			return nil
		}
		return mm.dropPMAsLocked(start, end)
	case unix.MADV_REMOVE:
		if !v.shared {
			return unix.EINVAL
		}
		i, j := mm.pmaRangeLocked(start, end)
		for k := i; k < j; k++ {
			p := &mm.pmas[k]
			// The host mappings of the memory file see the hole as zeros; nothing to unmap.
			if err := unix.Fallocate(mm.mf.FD(), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(p.off), int64(p.length())); err != nil {
				clear(mm.mf.Slice(p.off, p.length()))
			}
		}
		mm.mergePMAsLocked(i, j)
	}
	return nil
}
