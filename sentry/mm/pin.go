package mm

import (
	"golang.org/x/sys/unix"
)

// Pinned is a run of application memory resolved to the sentry's view of the memory-file
// pages behind it, for I/O that lands directly in (or is sent directly from) the
// application's pages: read(2) of a regular file preads from the host descriptor into Data,
// so file data is copied once, by the host, instead of into a sentry buffer and again into
// the application.
//
// A Pinned holds one memory-file reference on each page it covers, taken while the memory
// manager's lock was held and dropped by Unpin. The lock itself is not held during the
// I/O: a concurrent munmap, mremap or exit of the address space only drops the mapping's
// references, so the pages cannot be freed (and handed to someone else) while the I/O
// writes into them; bytes written into a page that has meanwhile been unmapped are lost,
// as if the I/O had finished first.
//
// A fork during an I/O into a pinned page may let the child see bytes the I/O writes after
// the fork (the page is shared copy-on-write from then on); Linux guards against that by
// copying pinned pages at fork, which this memory manager does not do.
type Pinned struct {
	// Data is the sentry's view of the pinned bytes (len > 0 for a successful Pin).
	Data []byte
	// off and length are the page-aligned memory-file range that holds the reference.
	off, length uint64
}

// Pin resolves the application range [addr, addr+length) for I/O (for a write into it if
// write is set, which populates memory and breaks copy-on-write as a store would) and pins
// its leading part: as much as one contiguous memory-file run backs, at least one byte. The
// caller does its I/O on Data, calls Unpin, and calls Pin again at addr+len(Data) for the
// rest.
//
// EFAULT if the byte at addr is unmapped or the mapping forbids the access; a run stops
// before the first page that is, so a caller looping over Pin stops there with a short
// count, as Linux's copy_to_user does. A zero length is EINVAL (the caller checks).
//
// Pin allocates nothing on the hot path (resolved, populated memory under the read lock).
func (mm *MemoryManager) Pin(addr, length uintptr, write bool) (Pinned, error) {
	if length == 0 {
		return Pinned{}, unix.EINVAL
	}
	mm.mu.RLock()
	p, err := mm.pinLocked(addr, length, write, false)
	mm.mu.RUnlock()
	if err != errSlow {
		return p, err
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	return mm.pinLocked(addr, length, write, true)
}

// pinLocked implements Pin.
//
// Preconditions: mm.mu is held, for writing if writeLocked.
func (mm *MemoryManager) pinLocked(addr, length uintptr, write, writeLocked bool) (Pinned, error) {
	if mm.released {
		return Pinned{}, unix.EFAULT
	}
	end := addr + length
	if end < addr {
		end = ^uintptr(0)
		length = end - addr
	}
	off, n, err := mm.translateLocked(addr, end, write, writeLocked)
	if err != nil {
		return Pinned{}, err
	}
	total := min(n, length)
	// Extend over following pmas that continue the same memory-file run: populated memory
	// is allocated in 2 MiB windows, often contiguous in the file. Anything that would
	// need the write lock (or fails) just ends the run; the caller's next Pin handles it.
	for total < length {
		a := addr + total
		if a < addr {
			break
		}
		o, m, err := mm.translateLocked(a, end, write, writeLocked)
		if err != nil || o != off+uint64(total) {
			break
		}
		total += min(m, length-total)
	}
	// References are per page: pin whole pages. They all lie in the pmas just resolved,
	// which are page aligned in both the address space and the memory file.
	lo := off &^ (pageSize - 1)
	hi := (off + uint64(total) + pageSize - 1) &^ (pageSize - 1)
	mm.mf.IncRef(lo, hi-lo)
	return Pinned{Data: mm.mf.Slice(off, uint64(total)), off: lo, length: hi - lo}, nil
}

// Unpin drops the references Pin took. p must not be used afterwards.
func (mm *MemoryManager) Unpin(p Pinned) {
	if p.length != 0 {
		mm.mf.DecRef(p.off, p.length)
	}
}
