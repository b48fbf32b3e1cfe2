package mm

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// MMap creates a mapping and returns its address: anonymous memory, or with opts.Mappable
// a shared mapping of a file's own pages (see Mappable; ENODEV if it is not MAP_SHARED, the
// offset is unaligned or the mappable uses another memory file, EOVERFLOW if the file range
// overflows).
//
// Errors follow mmap(2) on Linux: EINVAL for a zero length or an unaligned fixed address;
// ENOMEM if the rounded length overflows, a fixed range ends above MaxAddr, or no free range
// is large enough; EPERM for a fixed range below MinAddr (as for mmap_min_addr); EEXIST for
// NoReplace over an existing mapping. NoReplace implies a fixed address.
func (mm *MemoryManager) MMap(opts MMapOpts) (uintptr, error) {
	if opts.Length == 0 {
		return 0, unix.EINVAL
	}
	length, ok := pageUp(opts.Length)
	if !ok {
		return 0, unix.ENOMEM
	}
	fixed := opts.Fixed || opts.NoReplace
	if fixed && !aligned(opts.Addr) {
		return 0, unix.EINVAL
	}
	if opts.Mappable != nil {
		if !opts.Shared || opts.Offset%pageSize != 0 || opts.Mappable.MemoryFile() != mm.mf {
			return 0, unix.ENODEV
		}
		if opts.Offset+uint64(length) < opts.Offset {
			return 0, unix.EOVERFLOW
		}
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.released {
		return 0, unix.ENOMEM
	}
	var addr uintptr
	if fixed {
		addr = opts.Addr
		if length > mm.maxAddr() || addr > mm.maxAddr()-length {
			return 0, unix.ENOMEM
		}
		if addr < mm.layout.MinAddr {
			return 0, unix.EPERM
		}
		if opts.NoReplace && !mm.isEmptyLocked(addr, addr+length) {
			return 0, unix.EEXIST
		}
	} else {
		var err error
		if addr, err = mm.findFreeLocked(opts.Addr, length); err != nil {
			return 0, err
		}
	}

	v := vma{
		start:       addr,
		end:         addr + length,
		perms:       opts.Perms,
		shared:      opts.Shared,
		growsDown:   opts.GrowsDown,
		name:        opts.Name,
		denyWrite:   opts.DenyWrite,
		listPrivate: opts.ListPrivate,
	}
	// Shared memory is one object allocated up front, so that every view of it (after
	// mremap, and after fork once it exists) sees the same pages. A shared file mapping's
	// object is the file: its pages come from the mappable on faults.
	var backing *pma
	if opts.Mappable != nil {
		mm.lastObj++
		v.obj = mm.lastObj
		v.objOff = uintptr(opts.Offset)
		v.mappable = opts.Mappable
		mm.joinMappingsLocked(opts.Mappable)
	} else if opts.Shared {
		off, err := mm.mf.Allocate(uint64(length))
		if err != nil {
			return 0, unix.ENOMEM
		}
		mm.lastObj++
		v.obj = mm.lastObj
		backing = &pma{start: addr, end: addr + length, off: off}
	}
	if !mm.isEmptyLocked(addr, addr+length) {
		if err := mm.unmapLocked(addr, addr+length); err != nil {
			if backing != nil {
				mm.mf.DecRef(backing.off, backing.length())
			}
			return 0, err
		}
	}
	mm.insertVMALocked(v)
	if backing != nil {
		i := mm.pmaIndexLocked(addr)
		mm.pmas = slices.Insert(mm.pmas, i, *backing)
	}
	return addr, nil
}

// MUnmap implements munmap(2). Unmapping a range with nothing mapped in it succeeds.
// EINVAL: addr unaligned, length zero, or the range extends above MaxAddr.
func (mm *MemoryManager) MUnmap(addr, length uintptr) error {
	if !aligned(addr) || length == 0 {
		return unix.EINVAL
	}
	if addr > mm.maxAddr() || length > mm.maxAddr()-addr {
		return unix.EINVAL
	}
	end, _ := pageUp(addr + length) // cannot overflow: MaxAddr is below the top page
	mm.mu.Lock()
	// Shared mappings of cached files are written back, as the pages they touched may no
	// longer be reachable through this memory manager afterwards.
	rs := mm.syncRangesLocked(addr, end, nil)
	err := mm.unmapLocked(addr, end)
	mm.mu.Unlock()
	if len(rs) != 0 {
		syncRanges(rs)
	}
	return err
}

// joinMappingsLocked adds mm to m's MappingSet (once).
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) joinMappingsLocked(m Mappable) {
	if _, ok := mm.mappables[m]; ok {
		return
	}
	if mm.mappables == nil {
		mm.mappables = make(map[Mappable]struct{})
	}
	mm.mappables[m] = struct{}{}
	m.Mappings().add(mm)
}

// MProtect implements mprotect(2).
//
// As on Linux, if the range contains unmapped pages the call fails with ENOMEM, but the
// mappings before the first hole have already been changed (nothing changes if the first
// page is unmapped). A zero length succeeds; an unaligned addr is EINVAL. Adding PROT_WRITE
// to a mapping made with DenyWrite (MAP_SHARED of a file not open for writing) is EACCES,
// again after the mappings before it have been changed, as on Linux.
//
// Pages already mapped into the AddressSpace are handled so that the platform never grants
// more than the new permissions: if the new permissions include everything they were mapped
// with (mprotect only adds rights), the mappings stay and the next fault upgrades them;
// otherwise the range's mappings are removed with one Unmap and later faults map them again
// with the new permissions. Unmapping is preferred to re-mapping because one Unmap covers
// the whole range whatever memory-file ranges back it, while MapFile needs a call per
// contiguous backing run, and because pages not touched again after a protection change
// (guard pages, RELRO, W^X flips of a few JIT pages) then cost nothing.
func (mm *MemoryManager) MProtect(addr, length uintptr, perms platform.AccessType) error {
	if !aligned(addr) {
		return unix.EINVAL
	}
	if length == 0 {
		return nil
	}
	l, ok := pageUp(length)
	if !ok || addr+l < addr {
		return unix.ENOMEM
	}
	end := addr + l

	mm.mu.Lock()
	defer mm.mu.Unlock()
	first := mm.vmaAtLocked(addr)
	if first < 0 {
		return unix.ENOMEM
	}
	mm.splitVMALocked(addr)
	first = mm.vmaIndexLocked(addr)
	cur := addr
	var err error
	i := first
	for ; i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		if mm.vmas[i].start != cur {
			break
		}
		// Split at end only once the range is known to reach it, so that a failure at a
		// hole leaves no split behind.
		if mm.vmas[i].end > end {
			mm.splitVMALocked(end)
		}
		v := &mm.vmas[i]
		if perms.Write && v.denyWrite {
			err = unix.EACCES
			break
		}
		if v.perms != perms {
			if err = mm.protectPMAsLocked(v.start, v.end, perms); err != nil {
				break
			}
			v.perms = perms
		}
		cur = v.end
	}
	mm.mergeVMAsLocked(first, i)
	if err != nil {
		return err
	}
	if cur < end {
		return unix.ENOMEM
	}
	return nil
}

// protectPMAsLocked brings the host mappings of [start, end) in line with new permissions
// perms (see MProtect).
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) protectPMAsLocked(start, end uintptr, perms platform.AccessType) error {
	i := mm.pmaIndexLocked(start)
	for k := i; k < len(mm.pmas) && mm.pmas[k].start < end; k++ {
		if p := &mm.pmas[k]; p.mapped && !subset(p.perms, perms) {
			return mm.unmapPMAsLocked(start, end)
		}
	}
	return nil
}

// MRemap implements mremap(2); flags are MREMAP_* bits.
//
// Supported: shrinking in place, growing in place when the pages after the mapping are
// free, and moving (MREMAP_MAYMOVE, optionally to newAddr with MREMAP_FIXED). A move keeps
// the backing memory: the same memory-file pages appear at the new address, nothing is
// copied. Not supported, EINVAL: MREMAP_DONTUNMAP, and oldSize 0 (Linux duplicates a shared
// mapping then, and refuses a private one with EINVAL).
//
// Errors as on Linux: EINVAL for unknown flags, MREMAP_FIXED without MREMAP_MAYMOVE, an
// unaligned oldAddr or newAddr, a zero newSize, or overlapping old and new ranges; EFAULT if
// [oldAddr, oldAddr+oldSize) is not inside one mapping; ENOMEM if it cannot grow in place and
// may not (or cannot) move. Growing a shared mapping adds zero-filled shared pages (for a
// shared file mapping: more of the file).
func (mm *MemoryManager) MRemap(oldAddr, oldSize, newSize uintptr, flags int, newAddr uintptr) (uintptr, error) {
	if flags&^(unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 {
		return 0, unix.EINVAL
	}
	mayMove := flags&unix.MREMAP_MAYMOVE != 0
	fixed := flags&unix.MREMAP_FIXED != 0
	if fixed && !mayMove {
		return 0, unix.EINVAL
	}
	if flags&unix.MREMAP_DONTUNMAP != 0 {
		return 0, unix.EINVAL
	}
	if !aligned(oldAddr) {
		return 0, unix.EINVAL
	}
	oldLen, ok := pageUp(oldSize)
	if !ok {
		return 0, unix.EINVAL
	}
	newLen, ok := pageUp(newSize)
	if !ok || newLen == 0 {
		return 0, unix.EINVAL
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	maxAddr := mm.maxAddr()

	oldInRange := oldAddr <= maxAddr && oldLen <= maxAddr-oldAddr
	if fixed {
		if !oldInRange {
			return 0, unix.EFAULT
		}
		if !aligned(newAddr) || newLen > maxAddr || newAddr > maxAddr-newLen {
			return 0, unix.EINVAL
		}
		if oldAddr+oldLen > newAddr && newAddr+newLen > oldAddr {
			return 0, unix.EINVAL
		}
		if _, err := mm.resizableLocked(oldAddr, min(oldLen, newLen)); err != nil {
			return 0, err
		}
		if newAddr < mm.layout.MinAddr {
			return 0, unix.EPERM
		}
		if err := mm.unmapLocked(newAddr, newAddr+newLen); err != nil {
			return 0, err
		}
		if oldLen > newLen {
			if err := mm.unmapLocked(oldAddr+newLen, oldAddr+oldLen); err != nil {
				return 0, err
			}
			oldLen = newLen
		}
		if err := mm.moveLocked(oldAddr, oldLen, newAddr, newLen); err != nil {
			return 0, err
		}
		return newAddr, nil
	}

	if oldLen >= newLen {
		// Shrinking (or a no-op) needs no mapping to exist, as on Linux.
		if !oldInRange {
			return 0, unix.EINVAL
		}
		if oldLen > newLen {
			if err := mm.unmapLocked(oldAddr+newLen, oldAddr+oldLen); err != nil {
				return 0, err
			}
		}
		return oldAddr, nil
	}

	vi, err := mm.resizableLocked(oldAddr, oldLen)
	if err != nil {
		return 0, err
	}
	v := &mm.vmas[vi]
	if oldAddr+oldLen == v.end && newLen <= maxAddr-oldAddr && mm.isEmptyLocked(v.end, oldAddr+newLen) {
		oldEnd, newEnd := v.end, oldAddr+newLen
		if v.shared && v.mappable == nil {
			off, err := mm.mf.Allocate(uint64(newEnd - oldEnd))
			if err != nil {
				return 0, unix.ENOMEM
			}
			i := mm.pmaIndexLocked(oldEnd)
			mm.pmas = slices.Insert(mm.pmas, i, pma{start: oldEnd, end: newEnd, off: off})
		}
		v.end = newEnd
		mm.mergeVMAsLocked(vi, vi)
		return oldAddr, nil
	}
	if !mayMove {
		return 0, unix.ENOMEM
	}
	to, err := mm.findFreeLocked(0, newLen)
	if err != nil {
		return 0, err
	}
	if err := mm.moveLocked(oldAddr, oldLen, to, newLen); err != nil {
		return 0, err
	}
	return to, nil
}

// resizableLocked returns the index of the vma containing all of [addr, addr+length), or
// EFAULT. A zero length is EINVAL (see MRemap).
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) resizableLocked(addr, length uintptr) (int, error) {
	vi := mm.vmaAtLocked(addr)
	if vi < 0 {
		return -1, unix.EFAULT
	}
	if length > mm.vmas[vi].end-addr {
		return -1, unix.EFAULT
	}
	if length == 0 {
		return -1, unix.EINVAL
	}
	return vi, nil
}

// moveLocked moves the mapping [oldAddr, oldAddr+oldLen), which lies in one vma, to the
// free range [newAddr, newAddr+newLen), with newLen >= oldLen. Its pmas move with it
// (unmapped; the next fault maps them at the new place); the rest of the new range is
// private memory populated lazily, or fresh shared memory.
//
// Preconditions: mm.mu is held for writing; the ranges are page aligned and do not overlap.
func (mm *MemoryManager) moveLocked(oldAddr, oldLen, newAddr, newLen uintptr) error {
	vi := mm.vmaAtLocked(oldAddr)
	nv := mm.vmas[vi]
	if nv.obj != 0 {
		nv.objOff += oldAddr - nv.start
	}
	nv.start, nv.end = newAddr, newAddr+newLen

	var extra *pma
	if nv.shared && nv.mappable == nil && newLen > oldLen {
		off, err := mm.mf.Allocate(uint64(newLen - oldLen))
		if err != nil {
			return unix.ENOMEM
		}
		extra = &pma{start: newAddr + oldLen, end: newAddr + newLen, off: off}
	}

	oldEnd := oldAddr + oldLen
	i, j := mm.pmaRangeLocked(oldAddr, oldEnd)
	if lo, hi, ok := mm.mappedExtentLocked(i, j); ok {
		if err := mm.as.Unmap(lo, hi-lo); err != nil {
			if extra != nil {
				mm.mf.DecRef(extra.off, extra.length())
			}
			return err
		}
	}
	moved := slices.Clone(mm.pmas[i:j])
	mm.pmas = slices.Delete(mm.pmas, i, j)
	for k := range moved {
		moved[k].start = moved[k].start - oldAddr + newAddr
		moved[k].end = moved[k].end - oldAddr + newAddr
		moved[k].mapped = false
	}
	if extra != nil {
		moved = append(moved, *extra)
	}
	mm.removeVMAsLocked(oldAddr, oldEnd)
	mm.insertVMALocked(nv)
	at := mm.pmaIndexLocked(newAddr)
	mm.pmas = slices.Insert(mm.pmas, at, moved...)
	mm.mergePMAsLocked(at, at+len(moved))
	return nil
}

// CheckMapped validates an msync(2) range: EINVAL if addr is unaligned (or the range wraps),
// ENOMEM if any page of [addr, addr+length) is not mapped. A zero length succeeds.
func (mm *MemoryManager) CheckMapped(addr, length uintptr) error {
	if !aligned(addr) {
		return unix.EINVAL
	}
	l, ok := pageUp(length)
	if !ok || addr+l < addr {
		return unix.ENOMEM
	}
	end := addr + l
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	cur := addr
	for i := mm.vmaIndexLocked(addr); cur < end; i++ {
		if i == len(mm.vmas) || mm.vmas[i].start > cur {
			return unix.ENOMEM
		}
		cur = mm.vmas[i].end
	}
	return nil
}
