package mm

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// pma backs the application pages [start, end) with the memory-file range starting at off.
// It owns one reference on each of those memory-file pages.
type pma struct {
	start, end uintptr
	off        uint64
	// mapped says whether [start, end) is mapped into the AddressSpace (to off, with perms).
	mapped bool
	perms  platform.AccessType
	// cow marks private memory that may be shared with another MemoryManager since a
	// fork: it is mapped without write permission, and a write first copies the page, or
	// takes it over if no one else holds a reference any more (cow.go).
	cow bool
}

func (p *pma) length() uint64 { return uint64(p.end - p.start) }

// contiguousWith reports whether n follows p both in the address space and in the memory
// file, so that one MapFile call can cover both.
func (p *pma) contiguousWith(n *pma) bool {
	return p.end == n.start && p.off+p.length() == n.off
}

// mergeableWith reports whether p and n can be one pma.
func (p *pma) mergeableWith(n *pma) bool {
	return p.contiguousWith(n) && p.cow == n.cow && p.mapped == n.mapped && (!p.mapped || p.perms == n.perms)
}

// pmaIndexLocked returns the index of the first pma that ends after addr.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) pmaIndexLocked(addr uintptr) int {
	lo, hi := 0, len(mm.pmas)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if mm.pmas[m].end <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// pmaAtLocked returns the index of the pma containing addr, or -1.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) pmaAtLocked(addr uintptr) int {
	i := mm.pmaIndexLocked(addr)
	if i < len(mm.pmas) && mm.pmas[i].start <= addr {
		return i
	}
	return -1
}

// splitPMALocked makes addr a pma boundary if a pma straddles it. References are per page,
// so a split changes no count.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) splitPMALocked(addr uintptr) {
	i := mm.pmaIndexLocked(addr)
	if i == len(mm.pmas) || mm.pmas[i].start >= addr {
		return
	}
	hi := mm.pmas[i]
	hi.off += uint64(addr - hi.start)
	hi.start = addr
	mm.pmas[i].end = addr
	mm.pmas = slices.Insert(mm.pmas, i+1, hi)
}

// mergePMAsLocked merges every mergeable pair of neighbours among the pmas with indices in
// [lo-1, hi+1].
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) mergePMAsLocked(lo, hi int) {
	k := max(lo, 1)
	for k <= hi+1 && k < len(mm.pmas) {
		if mm.pmas[k-1].mergeableWith(&mm.pmas[k]) {
			mm.pmas[k-1].end = mm.pmas[k].end
			mm.pmas = slices.Delete(mm.pmas, k, k+1)
			hi--
			continue
		}
		k++
	}
}

// populateLocked gives every page of [start, end) a pma, allocating all the missing pages
// as one memory-file range (zero filled). New pmas are not mapped.
//
// Preconditions: mm.mu is held for writing; [start, end) is page aligned and lies inside
// the vmas.
func (mm *MemoryManager) populateLocked(start, end uintptr) error {
	first := mm.pmaIndexLocked(start)
	var missing uintptr
	cur := start
	for k := first; k < len(mm.pmas) && mm.pmas[k].start < end; k++ {
		if p := &mm.pmas[k]; p.start > cur {
			missing += p.start - cur
		}
		cur = mm.pmas[k].end
	}
	if cur < end {
		missing += end - cur
	}
	if missing == 0 {
		return nil
	}
	off, err := mm.mf.Allocate(uint64(missing))
	if err != nil {
		return unix.ENOMEM
	}
	// Hand the allocation out to the gaps in address order.
	cur = start
	k := first
	for cur < end {
		gapEnd := end
		if k < len(mm.pmas) && mm.pmas[k].start < end {
			gapEnd = mm.pmas[k].start
		}
		if gapEnd > cur {
			mm.pmas = slices.Insert(mm.pmas, k, pma{start: cur, end: gapEnd, off: off})
			off += uint64(gapEnd - cur)
			k++
		}
		if k < len(mm.pmas) && mm.pmas[k].start < end {
			cur = mm.pmas[k].end
			k++
		} else {
			cur = end
		}
	}
	mm.mergePMAsLocked(first, k)
	return nil
}

// mapLocked maps every pma in [start, end) into the AddressSpace with perms (less write
// permission for copy-on-write pmas, see mapPerms), with one MapFile call per run of pmas
// that are contiguous both in the address space and in the memory file and agree on
// copy-on-write. A run is skipped if all of it is already mapped with those permissions,
// unless force is set.
//
// Preconditions: mm.mu is held for writing; [start, end) is page aligned.
func (mm *MemoryManager) mapLocked(start, end uintptr, perms platform.AccessType, force bool) error {
	mm.splitPMALocked(start)
	mm.splitPMALocked(end)
	first := mm.pmaIndexLocked(start)
	k := first
	for k < len(mm.pmas) && mm.pmas[k].start < end {
		r := k
		eff := mapPerms(perms, mm.pmas[k].cow)
		need := force || !mm.pmas[k].mapped || mm.pmas[k].perms != eff
		for r+1 < len(mm.pmas) && mm.pmas[r+1].start < end && mm.pmas[r].contiguousWith(&mm.pmas[r+1]) &&
			mm.pmas[r+1].cow == mm.pmas[k].cow {
			r++
			need = need || !mm.pmas[r].mapped || mm.pmas[r].perms != eff
		}
		if need {
			p := &mm.pmas[k]
			if err := mm.as.MapFile(p.start, mm.mf.FD(), int64(p.off), mm.pmas[r].end-p.start, eff); err != nil {
				mm.mergePMAsLocked(first, r)
				return err
			}
			for q := k; q <= r; q++ {
				mm.pmas[q].mapped = true
				mm.pmas[q].perms = eff
			}
		}
		k = r + 1
	}
	mm.mergePMAsLocked(first, k)
	return nil
}

// mappedExtentLocked returns the smallest range covering every mapped pma in pmas[i:j]; ok
// is false if none is mapped.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) mappedExtentLocked(i, j int) (lo, hi uintptr, ok bool) {
	for k := i; k < j; k++ {
		if p := &mm.pmas[k]; p.mapped {
			if !ok {
				lo, ok = p.start, true
			}
			hi = p.end
		}
	}
	return lo, hi, ok
}

// pmaRangeLocked makes start and end pma boundaries and returns the indices [i, j) of the
// pmas in [start, end).
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) pmaRangeLocked(start, end uintptr) (i, j int) {
	mm.splitPMALocked(start)
	mm.splitPMALocked(end)
	i = mm.pmaIndexLocked(start)
	j = i
	for j < len(mm.pmas) && mm.pmas[j].start < end {
		j++
	}
	return i, j
}

// unmapPMAsLocked removes from the AddressSpace whatever is mapped in [start, end), with one
// Unmap call, and marks the pmas there unmapped. The pmas stay.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) unmapPMAsLocked(start, end uintptr) error {
	i, j := mm.pmaRangeLocked(start, end)
	if lo, hi, ok := mm.mappedExtentLocked(i, j); ok {
		if err := mm.as.Unmap(lo, hi-lo); err != nil {
			return err
		}
		for k := i; k < j; k++ {
			mm.pmas[k].mapped = false
		}
	}
	mm.mergePMAsLocked(i, j-1)
	return nil
}

// dropPMAsLocked unmaps [start, end) from the AddressSpace and drops the pmas there,
// releasing their memory-file references. If the platform cannot unmap, nothing is dropped
// (the references leak rather than free pages the application can still reach).
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) dropPMAsLocked(start, end uintptr) error {
	i, j := mm.pmaRangeLocked(start, end)
	if i == j {
		return nil
	}
	if lo, hi, ok := mm.mappedExtentLocked(i, j); ok {
		if err := mm.as.Unmap(lo, hi-lo); err != nil {
			return err
		}
	}
	for k := i; k < j; k++ {
		mm.mf.DecRef(mm.pmas[k].off, mm.pmas[k].length())
	}
	mm.pmas = slices.Delete(mm.pmas, i, j)
	return nil
}

// unmapLocked removes [start, end) entirely: vmas, host mappings and pmas.
//
// Preconditions: mm.mu is held for writing; start and end are page aligned.
func (mm *MemoryManager) unmapLocked(start, end uintptr) error {
	if err := mm.dropPMAsLocked(start, end); err != nil {
		return err
	}
	mm.removeVMAsLocked(start, end)
	return nil
}
