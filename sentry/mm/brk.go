package mm

import (
	"github.com/stockade-sandbox/stockade/platform"
)

// heapName labels the brk heap in /proc/pid/maps.
const heapName = "[heap]"

// SetBrkStart sets the initial program break (the loader calls it once): the heap starts,
// empty, at addr rounded up to a page.
func (mm *MemoryManager) SetBrkStart(addr uintptr) {
	start, ok := pageUp(addr)
	if !ok {
		start = pageDown(addr)
	}
	mm.mu.Lock()
	mm.brkStart, mm.brk = start, start
	mm.mu.Unlock()
}

// Brk implements brk(2): it returns the new break, or the old one if addr is invalid.
//
// Brk(0), any addr below the heap start, and any call before SetBrkStart placed the heap
// at or above MinAddr return the current break. Growing maps private
// read-write pages (the "[heap]" mapping) and fails, leaving the break unchanged, if the
// heap would reach MaxAddr or come within a page of another mapping (Linux keeps that page
// free too). Shrinking unmaps and frees the pages above the new break. The break is kept and
// returned exactly as asked; only the mapping is page granular.
func (mm *MemoryManager) Brk(addr uintptr) uintptr {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if addr == 0 || addr < mm.brkStart || mm.brkStart < mm.layout.MinAddr || mm.released {
		return mm.brk
	}
	oldEnd, _ := pageUp(mm.brk)
	newEnd, ok := pageUp(addr)
	if !ok || newEnd > mm.maxAddr() {
		return mm.brk
	}
	switch {
	case newEnd < oldEnd:
		if err := mm.unmapLocked(newEnd, oldEnd); err != nil {
			return mm.brk
		}
	case newEnd > oldEnd:
		i := mm.vmaIndexLocked(oldEnd)
		if i < len(mm.vmas) && (mm.vmas[i].start < newEnd || newEnd+pageSize > mm.vmas[i].startGap()) {
			return mm.brk
		}
		mm.insertVMALocked(vma{start: oldEnd, end: newEnd, perms: platform.ReadWrite, name: heapName})
	}
	mm.brk = addr
	return addr
}
