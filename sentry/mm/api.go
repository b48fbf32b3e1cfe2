package mm

import (
	"errors"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// MMapOpts describes one mmap request after the syscall layer has decoded it.
type MMapOpts struct {
	// Addr is the hint, or the exact address when Fixed is set. Page aligned when Fixed.
	Addr uintptr
	// Length in bytes (> 0); rounded up to pages.
	Length uintptr
	// Perms are the initial permissions (PROT_*).
	Perms platform.AccessType
	// Fixed is MAP_FIXED: map exactly at Addr, replacing existing mappings.
	Fixed bool
	// NoReplace is MAP_FIXED_NOREPLACE: map exactly at Addr, EEXIST if anything is there.
	NoReplace bool
	// Shared is MAP_SHARED (otherwise MAP_PRIVATE).
	Shared bool
	// GrowsDown is MAP_GROWSDOWN.
	GrowsDown bool
	// Name labels the mapping in /proc/pid/maps ("[stack]", "[heap]", a path).
	Name string
	// Mappable, with Shared, maps the file range starting at Offset (page aligned) with the
	// file's own pages (see Mappable); it must use the memory manager's memory file (else
	// ENODEV). nil: anonymous memory.
	Mappable Mappable
	Offset   uint64
	// DenyWrite forbids a later mprotect from adding PROT_WRITE (EACCES): a MAP_SHARED
	// mapping of a descriptor not open for writing.
	DenyWrite bool
	// ListPrivate makes VMAs (/proc/pid/maps) show a shared mapping as private: the vDSO's
	// pages, shared by every process here, which Linux maps as private special mappings.
	ListPrivate bool
}

// Layout fixes where things go in a new address space.
type Layout struct {
	// MinAddr and MaxAddr bound what the application may map: [MinAddr, MaxAddr).
	MinAddr, MaxAddr uintptr
	// MmapBase is where top-down allocation of mmap without a hint starts (exclusive top).
	MmapBase uintptr
}

// VMAInfo describes one mapping, for /proc/pid/maps and tests.
type VMAInfo struct {
	Start, End uintptr
	Perms      platform.AccessType
	Shared     bool
	Name       string
}

// Mappable is a file whose data lives in the memory file, so that MAP_SHARED mappings of it
// can use the file's own pages (tmpfs regular files). A shared file VMA (MMapOpts.Mappable)
// gets its PMAs from Translate, on faults and on sentry copies; each such PMA holds one
// memory-file reference that Translate took for it, dropped when the PMA is unmapped (munmap,
// MAP_FIXED over it, exec, exit), exactly as for anonymous memory. So the pages a mapping has
// touched stay valid while mapped whatever the file does, and the mappable itself needs no
// reference counting by mm (the VMA's Go reference keeps the object alive).
//
// Truncation: a file that shrinks drops its own references to the pages past the new end
// and then calls Mappings().Invalidate, which removes those pages from every mapping, as
// Linux zaps them: the next access faults, finds no page past EOF and raises SIGBUS, or,
// once the file has grown again, maps the file's new (zero-filled) page.
//
// Files whose pages cache data kept elsewhere (gofer files: a host file) also implement
// MappableSyncer, to write back what mappings may have stored.
//
// Lock order: MemoryManager.mu, then the mappable's locks, then memfile.File.mu. A mappable
// calls into mm only through MappingSet.Invalidate, with none of its locks held.
type Mappable interface {
	// MemoryFile is the memory file the pages live in; it must be the memory manager's.
	MemoryFile() *memfile.File
	// Translate returns the pages backing the file range [off, off+length) (page aligned),
	// in file order, each with one new memory-file reference owned by the caller. Only
	// pages below the end of the file (rounded up to a page) are returned. With allocate
	// set, missing pages there are allocated (zero filled) first; without it, holes are
	// left out. An error (ENOSPC, ENOMEM) means no reference was taken.
	Translate(off, length uint64, allocate bool) ([]Translation, error)
	// Mappings is the set of memory managers mapping the file (see MappingSet).
	Mappings() *MappingSet
}

// Translation says that file bytes [Off, Off+Len) live at memory-file offset MemOff.
type Translation struct {
	Off, Len, MemOff uint64
}

// MappableProvider is implemented by file descriptions that can be mapped MAP_SHARED through
// a Mappable; Mappable returns nil when this one cannot (the syscall layer then falls back).
type MappableProvider interface {
	Mappable() Mappable
}

// ErrBusError is returned by HandleFault for an access to a page of a shared file mapping
// that lies wholly past the end of the file (or that the file cannot allocate): the kernel
// delivers SIGBUS (BUS_ADRERR), as Linux does.
var ErrBusError = errors.New("mm: access beyond the end of a mapped file")
