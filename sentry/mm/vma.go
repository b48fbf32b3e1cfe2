package mm

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// vma is one mapping the application created: [start, end), page aligned.
type vma struct {
	start, end uintptr
	// perms are the current permissions.
	perms platform.AccessType
	// shared is MAP_SHARED; its memory is allocated whole at mmap time.
	shared bool
	// growsDown is MAP_GROWSDOWN: a fault just below the mapping extends it downwards.
	growsDown bool
	// name labels the mapping in /proc/pid/maps.
	name string
	// obj identifies the shared anonymous object a shared vma maps (0 for private ones) and
	// objOff is the offset of start in it. Shared vmas merge only when they map adjacent
	// parts of one object, as Linux's do.
	obj    uint64
	objOff uintptr
	// mappable is the file a shared file mapping maps (nil otherwise); its obj is unique
	// to the mmap call and objOff is then the file offset of start. Its pmas come from
	// mappable.Translate.
	mappable Mappable
	// denyWrite forbids mprotect from adding write permission (EACCES).
	denyWrite bool
	// listPrivate shows a shared vma as private in VMAs (MMapOpts.ListPrivate).
	listPrivate bool
	// dontFork (MADV_DONTFORK) leaves the mapping out of a fork child; wipeOnFork
	// (MADV_WIPEONFORK) gives the child zero-filled memory there instead of a copy.
	dontFork, wipeOnFork bool
}

// startGap is where the room a vma needs below it begins: its start, less the stack guard
// gap for a MAP_GROWSDOWN mapping.
func (v *vma) startGap() uintptr {
	if v.growsDown {
		if v.start < stackGuardGap {
			return 0
		}
		return v.start - stackGuardGap
	}
	return v.start
}

// mergeableWith reports whether n starts where v ends and the two can be one vma.
func (v *vma) mergeableWith(n *vma) bool {
	return v.end == n.start && v.perms == n.perms && v.shared == n.shared &&
		v.growsDown == n.growsDown && v.name == n.name && v.obj == n.obj &&
		v.dontFork == n.dontFork && v.wipeOnFork == n.wipeOnFork &&
		v.mappable == n.mappable && v.denyWrite == n.denyWrite && v.listPrivate == n.listPrivate &&
		(v.obj == 0 || v.objOff+(v.end-v.start) == n.objOff)
}

// vmaIndexLocked returns the index of the first vma that ends after addr (len(mm.vmas) if
// none): the vma containing addr if there is one, else the next one above it.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) vmaIndexLocked(addr uintptr) int {
	lo, hi := 0, len(mm.vmas)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if mm.vmas[m].end <= addr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// vmaAtLocked returns the index of the vma containing addr, or -1.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) vmaAtLocked(addr uintptr) int {
	i := mm.vmaIndexLocked(addr)
	if i < len(mm.vmas) && mm.vmas[i].start <= addr {
		return i
	}
	return -1
}

// isEmptyLocked reports whether no vma intersects [start, end).
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) isEmptyLocked(start, end uintptr) bool {
	i := mm.vmaIndexLocked(start)
	return i == len(mm.vmas) || mm.vmas[i].start >= end
}

// isFreeLocked is isEmptyLocked that also keeps the guard gap below MAP_GROWSDOWN mappings
// free, as placement of new mappings must.
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) isFreeLocked(start, end uintptr) bool {
	i := mm.vmaIndexLocked(start)
	return i == len(mm.vmas) || (mm.vmas[i].start > start && mm.vmas[i].startGap() >= end)
}

// splitVMALocked makes addr a vma boundary if a vma straddles it.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) splitVMALocked(addr uintptr) {
	i := mm.vmaIndexLocked(addr)
	if i == len(mm.vmas) || mm.vmas[i].start >= addr {
		return
	}
	v := mm.vmas[i]
	hi := v
	hi.start = addr
	if hi.obj != 0 {
		hi.objOff += addr - v.start
	}
	mm.vmas[i].end = addr
	mm.vmas = slices.Insert(mm.vmas, i+1, hi)
}

// mergeVMAsLocked merges every mergeable pair of neighbours among the vmas with indices in
// [lo-1, hi+1].
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) mergeVMAsLocked(lo, hi int) {
	k := max(lo, 1)
	for k <= hi+1 && k < len(mm.vmas) {
		if mm.vmas[k-1].mergeableWith(&mm.vmas[k]) {
			mm.vmas[k-1].end = mm.vmas[k].end
			mm.vmas = slices.Delete(mm.vmas, k, k+1)
			hi--
			continue
		}
		k++
	}
}

// insertVMALocked adds v, which must not overlap any vma, and merges it with its
// neighbours.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) insertVMALocked(v vma) {
	i := mm.vmaIndexLocked(v.start)
	mm.vmas = slices.Insert(mm.vmas, i, v)
	mm.mergeVMAsLocked(i, i)
}

// removeVMAsLocked removes the vmas in [start, end), splitting those that straddle its
// edges. It does not touch pmas.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) removeVMAsLocked(start, end uintptr) {
	mm.splitVMALocked(start)
	mm.splitVMALocked(end)
	i := mm.vmaIndexLocked(start)
	j := i
	for j < len(mm.vmas) && mm.vmas[j].start < end {
		j++
	}
	mm.vmas = slices.Delete(mm.vmas, i, j)
}

// findFreeLocked chooses where a mapping of length bytes without MAP_FIXED goes: at hint if
// that range is free, else the highest free range below the mmap base, else the lowest free
// range anywhere, as Linux's top-down allocator does. It returns ENOMEM if nothing fits.
//
// Preconditions: mm.mu is held; length is page aligned and non-zero.
func (mm *MemoryManager) findFreeLocked(hint, length uintptr) (uintptr, error) {
	minAddr, maxAddr := mm.layout.MinAddr, mm.maxAddr()
	if length > maxAddr-minAddr || maxAddr < minAddr {
		return 0, unix.ENOMEM
	}
	if hint = pageDown(hint); hint != 0 {
		hint = max(hint, minAddr)
		if hint <= maxAddr-length && mm.isFreeLocked(hint, hint+length) {
			return hint, nil
		}
	}

	// Top down from the mmap base.
	top := mm.mmapBase()
	k := mm.vmaIndexLocked(top)
	// Vma k contains top or lies above it; the first gap ends below its start.
	gapHi := top
	if k < len(mm.vmas) {
		gapHi = min(gapHi, mm.vmas[k].startGap())
	}
	for j := k - 1; ; j-- {
		lo := minAddr
		if j >= 0 {
			lo = max(lo, mm.vmas[j].end)
		}
		if gapHi > lo && gapHi-lo >= length {
			return gapHi - length, nil
		}
		if j < 0 {
			break
		}
		gapHi = min(gapHi, mm.vmas[j].startGap())
		if gapHi <= minAddr {
			break
		}
	}

	// Bottom up over everything.
	lo := minAddr
	for j := 0; j <= len(mm.vmas); j++ {
		hi := maxAddr
		if j < len(mm.vmas) {
			hi = min(hi, mm.vmas[j].startGap())
		}
		if hi > lo && hi-lo >= length {
			return lo, nil
		}
		if j < len(mm.vmas) {
			lo = max(lo, mm.vmas[j].end)
		}
	}
	return 0, unix.ENOMEM
}
