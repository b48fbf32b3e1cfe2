// Package mm is the memory manager of one application address space.
//
// (Contract only: the implementation is being written. Every method below documents the
// behaviour the kernel and loader rely on.)
package mm

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// MemoryManager is an application address space.
type MemoryManager struct {
	as     platform.AddressSpace
	mf     *memfile.File
	layout Layout
}

// New returns an empty memory manager over as, backed by mf.
func New(as platform.AddressSpace, mf *memfile.File, layout Layout) *MemoryManager {
	return &MemoryManager{as: as, mf: mf, layout: layout}
}

// AddressSpace returns the platform address space.
func (mm *MemoryManager) AddressSpace() platform.AddressSpace { return mm.as }

// Layout returns the layout the memory manager was created with.
func (mm *MemoryManager) Layout() Layout { return mm.layout }

// MMap creates a mapping and returns its address.
func (mm *MemoryManager) MMap(opts MMapOpts) (uintptr, error) { return 0, unix.ENOSYS }

// MUnmap implements munmap(2).
func (mm *MemoryManager) MUnmap(addr, length uintptr) error { return unix.ENOSYS }

// MProtect implements mprotect(2).
func (mm *MemoryManager) MProtect(addr, length uintptr, perms platform.AccessType) error {
	return unix.ENOSYS
}

// MRemap implements mremap(2); flags are MREMAP_* bits.
func (mm *MemoryManager) MRemap(oldAddr, oldSize, newSize uintptr, flags int, newAddr uintptr) (uintptr, error) {
	return 0, unix.ENOSYS
}

// Brk implements brk(2): it returns the new break, or the old one if addr is invalid.
func (mm *MemoryManager) Brk(addr uintptr) uintptr { return 0 }

// SetBrkStart sets the initial program break (the loader calls it once).
func (mm *MemoryManager) SetBrkStart(addr uintptr) {}

// MAdvise implements madvise(2).
func (mm *MemoryManager) MAdvise(addr, length uintptr, advice int) error { return unix.ENOSYS }

// HandleFault is called when the application faults at addr. nil means memory is now mapped
// and the access should be retried; unix.EFAULT means no mapping (SEGV_MAPERR); unix.EACCES
// means the mapping forbids the access (SEGV_ACCERR).
func (mm *MemoryManager) HandleFault(addr uintptr) error { return unix.EFAULT }

// CopyOut copies src to application memory at addr. It returns the bytes copied and EFAULT
// if it stopped early.
func (mm *MemoryManager) CopyOut(addr uintptr, src []byte) (int, error) { return 0, unix.EFAULT }

// CopyIn copies application memory at addr into dst.
func (mm *MemoryManager) CopyIn(addr uintptr, dst []byte) (int, error) { return 0, unix.EFAULT }

// CopyInString reads a NUL-terminated string of at most maxLen bytes (excluding the NUL).
// ENAMETOOLONG if no NUL is found within maxLen; EFAULT on a bad address.
func (mm *MemoryManager) CopyInString(addr uintptr, maxLen int) (string, error) {
	return "", unix.EFAULT
}

// Uint32At returns a pointer to the naturally aligned 32-bit word at addr in the sentry's view
// of application memory, for atomic operations (futexes). write asks for a writable mapping.
func (mm *MemoryManager) Uint32At(addr uintptr, write bool) (*uint32, error) {
	return nil, unix.EFAULT
}

// VMAs lists the mappings in address order.
func (mm *MemoryManager) VMAs() []VMAInfo { return nil }

// Release drops every mapping and releases the address space.
func (mm *MemoryManager) Release() {}
