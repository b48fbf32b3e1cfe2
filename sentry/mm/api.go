package mm

import (
	"github.com/stockade-sandbox/stockade/platform"
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
