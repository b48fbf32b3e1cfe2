package mm

import (
	"sync"
)

// MappingSet records which memory managers map a Mappable, so that the file can take its
// pages back from every mapping when it shrinks (Invalidate), as Linux's truncate zaps
// them. A Mappable owns one and returns it from Mappings.
//
// A memory manager joins the set when it first maps the file (mmap, or fork of a process
// that maps it) and leaves it only when it is released: after a munmap it may stay in the
// set with nothing mapped, which costs an Invalidate a lock and a look at its vmas.
//
// Lock order: MappingSet.mu is a leaf (taken under MemoryManager.mu and under the
// mappable's locks); Invalidate takes no lock of the set's while it works on a memory
// manager.
type MappingSet struct {
	mu sync.Mutex
	// mms is the set of memory managers. Guarded by mu.
	mms map[*MemoryManager]struct{}
}

func (s *MappingSet) add(mm *MemoryManager) {
	s.mu.Lock()
	if s.mms == nil {
		s.mms = make(map[*MemoryManager]struct{})
	}
	s.mms[mm] = struct{}{}
	s.mu.Unlock()
}

func (s *MappingSet) remove(mm *MemoryManager) {
	s.mu.Lock()
	delete(s.mms, mm)
	s.mu.Unlock()
}

// Empty reports whether no memory manager is in the set.
func (s *MappingSet) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mms) == 0
}

// Invalidate removes, from every mapping of m, the pages at file offsets from off (rounded
// up to a page) on: m has shrunk to off bytes. A later access to them faults and asks m
// again, so it raises SIGBUS while they lie past the end of the file and sees the file's
// current (new, zero-filled) pages once it has grown again. Pages of the last, partial page
// stay mapped, as on Linux, where the tail past EOF reads as zeros.
//
// The caller must hold none of m's locks (Invalidate takes each memory manager's lock,
// which comes before them), and must have made the new size visible to Translate first, so
// that a concurrent fault cannot map a page past it after Invalidate has run.
func (s *MappingSet) Invalidate(m Mappable, off uint64) {
	s.mu.Lock()
	if len(s.mms) == 0 {
		s.mu.Unlock()
		return
	}
	mms := make([]*MemoryManager, 0, len(s.mms))
	for mm := range s.mms {
		mms = append(mms, mm)
	}
	s.mu.Unlock()
	off = (off + pageSize - 1) &^ (pageSize - 1)
	for _, mm := range mms {
		mm.invalidateMappable(m, off)
	}
}

// invalidateMappable drops the pmas of m's file pages at offsets >= off (page aligned).
func (mm *MemoryManager) invalidateMappable(m Mappable, off uint64) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.released {
		return
	}
	for i := 0; i < len(mm.vmas); i++ {
		v := &mm.vmas[i]
		if v.mappable != m {
			continue
		}
		start := v.start
		if fo := uint64(v.objOff); fo < off {
			d := off - fo
			if d >= uint64(v.end-v.start) {
				continue
			}
			start += uintptr(d)
		}
		end := v.end
		// dropPMAsLocked only changes pmas, never vmas, so v stays valid. If the platform
		// cannot unmap, the pages stay mapped (and referenced): stale, but never freed
		// under the application.
		_ = mm.dropPMAsLocked(start, end)
	}
}

// MappableSyncer is implemented by mappables whose pages are a cache of data kept elsewhere
// (a host file): SyncMapped writes the pages of the file range [off, off+length) that
// mappings may have changed back to it. Memory managers call it, without their lock held,
// for msync and munmap (the range unmapped), and when they are released (exit, exec: the
// whole file), so that stores through a shared mapping reach the file by then at the
// latest.
type MappableSyncer interface {
	SyncMapped(off, length uint64) error
}

// fileRange is a range of a mappable, to be synced.
type fileRange struct {
	m           MappableSyncer
	off, length uint64
}

// syncRangesLocked appends to out the file ranges of syncable shared file mappings in
// [start, end).
//
// Preconditions: mm.mu is held.
func (mm *MemoryManager) syncRangesLocked(start, end uintptr, out []fileRange) []fileRange {
	for i := mm.vmaIndexLocked(start); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := &mm.vmas[i]
		s, ok := v.mappable.(MappableSyncer)
		if !ok {
			continue
		}
		lo, hi := max(v.start, start), min(v.end, end)
		out = append(out, fileRange{m: s, off: uint64(v.objOff) + uint64(lo-v.start), length: uint64(hi - lo)})
	}
	return out
}

// syncRanges writes back what syncRangesLocked collected; the first error wins.
func syncRanges(rs []fileRange) error {
	var first error
	for _, r := range rs {
		if err := r.m.SyncMapped(r.off, r.length); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Sync implements msync(2) for [addr, addr+length): the arguments are checked as
// CheckMapped does (EINVAL, ENOMEM), then the shared file mappings in the range whose pages
// cache another file are written back to it (EIO if that fails). Mappings of files whose
// pages are the file's own (tmpfs) need nothing.
func (mm *MemoryManager) Sync(addr, length uintptr) error {
	if err := mm.CheckMapped(addr, length); err != nil {
		return err
	}
	l, _ := pageUp(length)
	mm.mu.RLock()
	rs := mm.syncRangesLocked(addr, addr+l, nil)
	mm.mu.RUnlock()
	return syncRanges(rs)
}
