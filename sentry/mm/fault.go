package mm

import (
	"slices"

	"golang.org/x/sys/unix"
)

// HandleFault is called when the application faults at addr. nil means memory is now mapped
// and the access should be retried; unix.EFAULT means no mapping (SEGV_MAPERR); unix.EACCES
// means the mapping forbids the access (SEGV_ACCERR). unix.ENOMEM means the memory file is
// exhausted; ErrBusError means a shared file mapping's page lies past the end of the file
// (both SIGBUS); other errors come from the platform failing to map.
//
// Without the host's si_code, a fault on a page that is already mapped with all of its
// mapping's permissions is taken as a forbidden access. That misreads the case where
// another thread mapped the page between this fault and its handling; callers that have the
// platform Event should use HandleFaultCode, which does not.
func (mm *MemoryManager) HandleFault(addr uintptr) error {
	return mm.HandleFaultCode(addr, 0)
}

// HandleFaultCode is HandleFault given the host fault's si_code (platform.Event.Code; 0 if
// unknown). SEGV_MAPERR (1) says the host had nothing mapped at addr when the application
// faulted, so a page found mapped now was mapped concurrently (or the host lost it): it is
// mapped again and the access retried instead of being reported as EACCES.
func (mm *MemoryManager) HandleFaultCode(addr uintptr, code int32) error {
	return mm.HandleFaultIP(addr, code, ^uintptr(0))
}

// HandleFaultIP is HandleFaultCode given also the faulting instruction's address ip (^0 if
// unknown). A SEGV_ACCERR fault on a page that is now mapped with all of its writable,
// non-executable mapping's permissions can only be stale (another thread of the address
// space upgraded the mapping, typically breaking copy-on-write, between the fault and its
// handling) unless it was an instruction fetch; with ip, a fetch is recognised by addr
// lying in the instruction's page or the next, and anything else is retried instead of
// being reported as EACCES.
func (mm *MemoryManager) HandleFaultIP(addr uintptr, code int32, ip uintptr) error {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.released {
		return unix.EFAULT
	}
	vi := mm.vmaForAccessLocked(addr, true)
	if vi < 0 {
		return unix.EFAULT
	}
	v := &mm.vmas[vi]
	if !v.perms.Any() {
		return unix.EACCES
	}
	force := false
	ws, we := faultWindowOf(v, addr, addr+1)
	if pi := mm.pmaAtLocked(addr); pi >= 0 && mm.pmas[pi].mapped && mm.pmas[pi].perms == mapPerms(v.perms, mm.pmas[pi].cow) {
		switch {
		case code == segvMapErr:
			force = true
		case !mm.pmas[pi].cow && v.perms.Write && !v.perms.Execute && ip != ^uintptr(0) &&
			pageDown(addr) != pageDown(ip) && pageDown(addr) != pageDown(ip)+pageSize:
			return nil
		case mm.pmas[pi].cow && v.perms.Write:
			// A write to a copy-on-write page (the only access the mapping allows that
			// the host refused).
			if err := mm.breakCOWLocked(pageDown(addr), ws, we); err != nil {
				return err
			}
		default:
			return unix.EACCES
		}
	}
	if v.mappable != nil {
		page := pageDown(addr)
		if err := mm.populateFileLocked(v, ws, we, page, page+pageSize); err != nil {
			return err
		}
		if mm.pmaAtLocked(addr) < 0 {
			return ErrBusError
		}
	} else if err := mm.populateLocked(ws, we); err != nil {
		return err
	}
	return mm.mapLocked(ws, we, v.perms, force)
}

// populateFileLocked gives pmas from v's mappable to the pages of [start, end) that have
// none: the pages of [astart, aend) are allocated in the file if they are holes, the others
// only get a pma if the file already has the page. Pages past the end of the file get none.
// An allocation failure in the file is ErrBusError (Linux raises SIGBUS when a shmem
// fault cannot allocate).
//
// Preconditions: mm.mu is held for writing; v is a shared file vma containing [start, end);
// all bounds are page aligned and [astart, aend) lies in [start, end).
func (mm *MemoryManager) populateFileLocked(v *vma, start, end, astart, aend uintptr) error {
	type gap struct {
		s, e  uintptr
		alloc bool
	}
	var gaps []gap
	add := func(s, e uintptr) {
		// Split [s, e) by the allocation range.
		for _, g := range []gap{{s, min(e, astart), false}, {max(s, astart), min(e, aend), true}, {max(s, aend), e, false}} {
			if g.s < g.e {
				gaps = append(gaps, g)
			}
		}
	}
	cur := start
	for k := mm.pmaIndexLocked(start); k < len(mm.pmas) && mm.pmas[k].start < end; k++ {
		if p := &mm.pmas[k]; p.start > cur {
			add(cur, p.start)
		}
		cur = mm.pmas[k].end
	}
	if cur < end {
		add(cur, end)
	}
	fileOff := func(a uintptr) uint64 { return uint64(v.objOff) + uint64(a-v.start) }
	for _, g := range gaps {
		ts, err := v.mappable.Translate(fileOff(g.s), uint64(g.e-g.s), g.alloc)
		if err != nil {
			if g.alloc {
				return ErrBusError
			}
			return err
		}
		for _, t := range ts {
			s := v.start + uintptr(t.Off-uint64(v.objOff))
			p := pma{start: s, end: s + uintptr(t.Len), off: t.MemOff}
			i := mm.pmaIndexLocked(p.start)
			mm.pmas = slices.Insert(mm.pmas, i, p)
			mm.mergePMAsLocked(i, i)
		}
	}
	return nil
}

// faultWindowOf returns [start, end) widened to faultWindow alignment and clipped to v.
func faultWindowOf(v *vma, start, end uintptr) (uintptr, uintptr) {
	ws := max(start&^(faultWindow-1), v.start)
	we := v.end
	if up := (end + faultWindow - 1) &^ (faultWindow - 1); up >= end && up < we {
		we = up
	}
	return ws, we
}

// vmaForAccessLocked returns the index of the vma containing addr, or -1. If there is none
// and grow is set, a MAP_GROWSDOWN mapping just above addr is extended down to cover it, as
// Linux grows stacks: up to maxStackSize, not below MinAddr, and leaving stackGuardGap free
// above an accessible mapping below it.
//
// Preconditions: mm.mu is held, for writing if grow is set.
func (mm *MemoryManager) vmaForAccessLocked(addr uintptr, grow bool) int {
	i := mm.vmaIndexLocked(addr)
	if i == len(mm.vmas) {
		return -1
	}
	v := &mm.vmas[i]
	if v.start <= addr {
		return i
	}
	if !grow || !mm.canGrowLocked(i, addr) {
		return -1
	}
	v.start = pageDown(addr)
	return i
}

// canGrowLocked reports whether vma i can grow down to cover addr, just below it.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) canGrowLocked(i int, addr uintptr) bool {
	v := &mm.vmas[i]
	if !v.growsDown || v.shared {
		return false
	}
	newStart := pageDown(addr)
	if newStart < mm.layout.MinAddr || v.end-newStart > maxStackSize {
		return false
	}
	if i > 0 {
		if prev := &mm.vmas[i-1]; !prev.growsDown && prev.perms.Any() && newStart-prev.end < stackGuardGap {
			return false
		}
	}
	return true
}
