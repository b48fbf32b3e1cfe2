// Package mm is the memory manager of one application address space.
//
// A MemoryManager keeps two sorted, non-overlapping lists of address ranges:
//
//   - VMAs (vma.go) are what the application asked for: mmap, brk, mremap and mprotect create,
//     split, merge and remove them. They carry the permissions and the kind of memory
//     (private or shared anonymous) and are what /proc/pid/maps shows.
//   - PMAs (pma.go) say which application pages are backed by which range of the memory file,
//     and whether that backing is currently mapped into the platform AddressSpace, and with
//     which permissions. Every PMA lies inside a VMA and holds one memory-file reference on
//     each of its pages.
//
// Private anonymous memory gets PMAs lazily: when the application faults (fault.go) or when
// the sentry copies to or from a range without one (io.go). Population works on 2 MiB
// windows: the missing part of a window is allocated as one memory-file range, and a fault
// maps the whole window with as few AddressSpace.MapFile calls as the PMAs allow (usually
// one), so a program touching pages in order faults once per 2 MiB. The memory file is
// sparse, so window pages that are never touched cost no host memory. Shared anonymous
// memory is allocated whole at mmap time. Shared file mappings (MMapOpts.Mappable, api.go)
// get PMAs over the file's own pages from Mappable.Translate: a fault allocates only the
// faulting page in the file and maps the rest of its window that the file already has. Mapped permissions always equal the VMA's, except
// after an mprotect that only adds permissions, which leaves existing mappings in place and
// lets the next fault upgrade them, and for copy-on-write private memory after Fork, which
// is mapped without write permission until a write copies or takes over the page (cow.go).
//
// Locking: MemoryManager.mu guards the VMAs, the PMAs and the program break. Copies
// (CopyIn, CopyOut, CopyInString, Uint32At) and VMAs take it for reading and retake it for
// writing only when they must populate memory or grow a stack; everything else takes it for
// writing. It is held across AddressSpace.MapFile and Unmap calls and across memfile calls.
// Lock order:
//
//	MemoryManager.mu
//	  platform AddressSpace internal locks
//	  memfile.File.mu
//
// Neither the platform nor the memory file calls back into this package.
//
// Reference counting: a PMA owns one reference on its memory-file pages. Pages are unmapped
// from the AddressSpace before their reference is dropped, so a freed and reused page is
// never visible to the application that gave it up; if the platform fails to unmap, the
// references are leaked rather than dropped.
//
// Lifetime: the memory file and the platform must outlive every MemoryManager, whose
// Release drops page references and releases its AddressSpace. The kernel guarantees it at
// teardown (kernel.Kernel.Shutdown waits for every task to have released its address space
// before the platform is released or the file closed).
package mm

import (
	"sync"
	"sync/atomic"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

const (
	pageSize = linux.PageSize

	// faultWindow is the size and alignment of the block populated and mapped around a
	// fault.
	faultWindow = 2 << 20

	// stackGuardGap is the room that unhinted mmap placement and stack growth leave below
	// a MAP_GROWSDOWN mapping (Linux's default stack_guard_gap).
	stackGuardGap = 256 * pageSize

	// maxStackSize bounds how far a MAP_GROWSDOWN mapping grows on faults below it (Linux's
	// default RLIMIT_STACK).
	maxStackSize = 8 << 20

	// Host si_code values of SIGSEGV.
	segvMapErr = 1
	segvAccErr = 2
)

// MemoryManager is an application address space.
type MemoryManager struct {
	// as, mf and layout are immutable.
	as     platform.AddressSpace
	mf     *memfile.File
	layout Layout

	mu sync.RWMutex
	// vmas is sorted by address, non-overlapping. Guarded by mu.
	vmas []vma
	// pmas is sorted by address, non-overlapping, and every pma lies inside the vmas.
	// Guarded by mu.
	pmas []pma
	// brkStart is the page-aligned start of the heap; brk is the current program break as
	// the application set it (not rounded). Guarded by mu.
	brkStart, brk uintptr
	// lastObj numbers shared anonymous objects (the last one handed out). Guarded by mu.
	lastObj uint64
	// released is set by Release. Guarded by mu.
	released bool
	// mappables are the files this memory manager has joined the MappingSet of (shared
	// file mappings, present or past); it leaves them at Release. Guarded by mu.
	mappables map[Mappable]struct{}
	// extraUsers counts the users beyond the first (processes sharing the memory manager
	// through CLONE_VM without CLONE_THREAD, as vfork does); see DecUsers.
	extraUsers atomic.Int64
	// execInfo describes the program loaded into the address space (exec_info.go).
	execInfo atomic.Pointer[ExecInfo]
}

// New returns an empty memory manager over as, backed by mf.
func New(as platform.AddressSpace, mf *memfile.File, layout Layout) *MemoryManager {
	return &MemoryManager{as: as, mf: mf, layout: layout}
}

// AddressSpace returns the platform address space.
func (mm *MemoryManager) AddressSpace() platform.AddressSpace { return mm.as }

// Layout returns the layout the memory manager was created with.
func (mm *MemoryManager) Layout() Layout { return mm.layout }

// VMAs lists the mappings in address order.
func (mm *MemoryManager) VMAs() []VMAInfo {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	out := make([]VMAInfo, len(mm.vmas))
	for i := range mm.vmas {
		v := &mm.vmas[i]
		out[i] = VMAInfo{Start: v.start, End: v.end, Perms: v.perms, Shared: v.shared && !v.listPrivate, Name: v.name}
	}
	return out
}

// Release drops every mapping and releases the address space. The memory manager must not
// be used afterwards, except that further calls fail harmlessly (EFAULT, ENOMEM).
func (mm *MemoryManager) Release() {
	mm.mu.Lock()
	if mm.released {
		mm.mu.Unlock()
		return
	}
	// Stores through shared mappings of cached files reach the file: every file this
	// address space has mapped is written back whole (once the lock is dropped: a
	// mappable's locks come after it), which also covers mappings replaced by MAP_FIXED or
	// shrunk by mremap since. The pmas' references, dropped below, do not matter to that:
	// the file keeps its own pages.
	mappables := mm.mappables
	mm.mappables = nil
	mm.releaseLocked()
	mm.mu.Unlock()
	for m := range mappables {
		if s, ok := m.(MappableSyncer); ok {
			s.SyncMapped(0, ^uint64(0)&^(pageSize-1))
		}
		m.Mappings().remove(mm)
	}
}

// releaseLocked implements Release.
//
// Preconditions: mm.mu is held for writing.
func (mm *MemoryManager) releaseLocked() {
	mm.released = true
	// Release the address space first so that no page is freed while still mapped.
	mm.as.Release()
	for _, p := range mm.pmas {
		mm.mf.DecRef(p.off, uint64(p.end-p.start))
	}
	mm.pmas = nil
	mm.vmas = nil
	mm.brk, mm.brkStart = 0, 0
}

// maxAddr returns the end of the usable address space.
func (mm *MemoryManager) maxAddr() uintptr { return mm.layout.MaxAddr }

// mmapBase returns the top of the top-down mmap area (MaxAddr if the layout leaves it 0).
func (mm *MemoryManager) mmapBase() uintptr {
	if b := mm.layout.MmapBase; b != 0 && b <= mm.layout.MaxAddr {
		return b
	}
	return mm.layout.MaxAddr
}

// pageUp rounds a up to a page; ok is false on overflow.
func pageUp(a uintptr) (uintptr, bool) { return linux.PageRoundUp(a) }

// pageDown rounds a down to a page.
func pageDown(a uintptr) uintptr { return linux.PageRoundDown(a) }

// aligned reports whether a is page aligned.
func aligned(a uintptr) bool { return a&(pageSize-1) == 0 }

// subset reports whether every access a allows is also allowed by b.
func subset(a, b platform.AccessType) bool {
	return (!a.Read || b.Read) && (!a.Write || b.Write) && (!a.Execute || b.Execute)
}
