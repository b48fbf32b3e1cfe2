package mm

import (
	"bytes"
	"errors"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// errSlow tells a copy running under the read lock that it must continue under the write
// lock (to populate memory or grow a stack). It never leaves the package.
var errSlow = errors.New("mm: needs the write lock")

// readable reports whether the sentry may read memory with perms on the application's
// behalf. On x86 a writable page is also readable, so Linux's copy_from_user reads it.
func readable(perms platform.AccessType) bool { return perms.Read || perms.Write }

// accessible reports whether perms allow a write (write set) or a read.
func accessible(perms platform.AccessType, write bool) bool {
	if write {
		return perms.Write
	}
	return readable(perms)
}

// translateLocked returns the memory-file offset of the application byte at addr and how
// many bytes from there the same pma backs, checking that the mapping allows the access.
// Under the read lock (writeLocked false) it returns errSlow where it would need to
// populate or grow; under the write lock it does so.
//
// Preconditions: mm.mu is held, for writing if writeLocked; copyEnd is the end of the
// access in progress (it widens population to cover it).
func (mm *MemoryManager) translateLocked(addr, copyEnd uintptr, write, writeLocked bool) (uint64, uintptr, error) {
	vi := mm.vmaForAccessLocked(addr, writeLocked)
	if vi < 0 {
		if !writeLocked {
			if i := mm.vmaIndexLocked(addr); i < len(mm.vmas) && mm.canGrowLocked(i, addr) {
				return 0, 0, errSlow
			}
		}
		return 0, 0, unix.EFAULT
	}
	v := &mm.vmas[vi]
	if !accessible(v.perms, write) {
		return 0, 0, unix.EFAULT
	}
	pi := mm.pmaAtLocked(addr)
	if pi < 0 {
		if !writeLocked {
			return 0, 0, errSlow
		}
		ws, we := faultWindowOf(v, pageDown(addr), max(copyEnd, addr+1))
		if v.mappable != nil {
			// Allocate file pages only for the access itself (a copy into a file mapping
			// past EOF is EFAULT, as on Linux).
			ae, ok := pageUp(max(copyEnd, addr+1))
			if !ok || ae > we {
				ae = we
			}
			if err := mm.populateFileLocked(v, ws, we, pageDown(addr), ae); err != nil {
				return 0, 0, unix.EFAULT
			}
		} else if err := mm.populateLocked(ws, we); err != nil {
			return 0, 0, unix.EFAULT
		}
		pi = mm.pmaAtLocked(addr)
		if pi < 0 {
			return 0, 0, unix.EFAULT
		}
	}
	if write && mm.pmas[pi].cow {
		if !writeLocked {
			return 0, 0, errSlow
		}
		page := pageDown(addr)
		ws, we := faultWindowOf(v, page, page+1)
		if err := mm.breakCOWLocked(page, ws, we); err != nil {
			return 0, 0, unix.EFAULT
		}
		pi = mm.pmaAtLocked(addr)
	}
	// A pma may extend into the next vma, whose permissions may differ.
	p := &mm.pmas[pi]
	return p.off + uint64(addr-p.start), min(p.end, v.end) - addr, nil
}

// copyLocked copies between b and application memory at addr: to it if out is set, from
// it otherwise. It returns the bytes copied and nil, EFAULT, or errSlow (only when
// writeLocked is false).
//
// Preconditions: mm.mu is held, for writing if writeLocked.
func (mm *MemoryManager) copyLocked(addr uintptr, b []byte, out, writeLocked bool) (int, error) {
	end := addr + uintptr(len(b))
	if end < addr {
		end = ^uintptr(0)
	}
	done := 0
	for done < len(b) {
		a := addr + uintptr(done)
		if a < addr {
			return done, unix.EFAULT
		}
		off, n, err := mm.translateLocked(a, end, out, writeLocked)
		if err != nil {
			return done, err
		}
		n = min(n, uintptr(len(b)-done))
		s := mm.mf.Slice(off, uint64(n))
		if out {
			copy(s, b[done:])
		} else {
			copy(b[done:], s)
		}
		done += int(n)
	}
	return done, nil
}

// copy runs copyLocked under the read lock, and finishes under the write lock if needed.
func (mm *MemoryManager) copy(addr uintptr, b []byte, out bool) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	mm.mu.RLock()
	n, err := mm.copyLocked(addr, b, out, false)
	mm.mu.RUnlock()
	if err != errSlow {
		return n, err
	}
	mm.mu.Lock()
	m, err := mm.copyLocked(addr+uintptr(n), b[n:], out, true)
	mm.mu.Unlock()
	return n + m, err
}

// CopyOut copies src to application memory at addr. It returns the bytes copied and EFAULT
// if it stopped early. The destination must be writable.
func (mm *MemoryManager) CopyOut(addr uintptr, src []byte) (int, error) {
	return mm.copy(addr, src, true)
}

// CopyIn copies application memory at addr into dst. It returns the bytes copied and EFAULT
// if it stopped early. The source must be readable (or writable, which implies readable on
// x86).
func (mm *MemoryManager) CopyIn(addr uintptr, dst []byte) (int, error) {
	return mm.copy(addr, dst, false)
}

// CopyInString reads a NUL-terminated string. The NUL must be within the first maxLen bytes
// (so the result has at most maxLen-1 bytes): ENAMETOOLONG if no NUL is found within maxLen;
// EFAULT on a bad address. maxLen counts the NUL as Linux's limits do, so PATH_MAX for a
// path and MAX_ARG_STRLEN for an argv string give Linux's results.
//
// It stops at the first NUL: memory after the terminator is never touched.
func (mm *MemoryManager) CopyInString(addr uintptr, maxLen int) (string, error) {
	maxLen = max(maxLen, 0)
	mm.mu.RLock()
	s, err := mm.copyInStringLocked(addr, maxLen, false)
	mm.mu.RUnlock()
	if err != errSlow {
		return s, err
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	return mm.copyInStringLocked(addr, maxLen, true)
}

// copyInStringLocked implements CopyInString.
//
// Preconditions: mm.mu is held, for writing if writeLocked.
func (mm *MemoryManager) copyInStringLocked(addr uintptr, maxLen int, writeLocked bool) (string, error) {
	limit := maxLen
	var buf []byte
	done := 0
	for done < limit {
		a := addr + uintptr(done)
		if a < addr {
			return "", unix.EFAULT
		}
		// Each chunk is what one pma backs within one vma (translateLocked checks the
		// access for all of it), so nothing past the terminator's chunk is touched and a
		// string that one pma backs needs no buffer.
		off, n, err := mm.translateLocked(a, a+1, false, writeLocked)
		if err != nil {
			return "", err
		}
		n = min(n, uintptr(limit-done))
		chunk := mm.mf.Slice(off, uint64(n))
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			if buf == nil {
				return string(chunk[:i]), nil
			}
			return string(append(buf, chunk[:i]...)), nil
		}
		buf = append(buf, chunk...)
		done += int(n)
	}
	return "", unix.ENAMETOOLONG
}

// Uint32At returns a pointer to the naturally aligned 32-bit word at addr in the sentry's view
// of application memory, for atomic operations (futexes). write asks for a writable mapping.
//
// EINVAL if addr is not 4-byte aligned; EFAULT if it is unmapped or the mapping forbids the
// access. The pointer stays valid memory for the sentry's life (the memory file stays
// mapped), but it only refers to the application's word while the mapping is unchanged;
// callers must not keep it across a point where the application could unmap it.
func (mm *MemoryManager) Uint32At(addr uintptr, write bool) (*uint32, error) {
	if addr%4 != 0 {
		return nil, unix.EINVAL
	}
	mm.mu.RLock()
	p, err := mm.uint32AtLocked(addr, write, false)
	mm.mu.RUnlock()
	if err != errSlow {
		return p, err
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	return mm.uint32AtLocked(addr, write, true)
}

// uint32AtLocked implements Uint32At.
//
// Preconditions: mm.mu is held, for writing if writeLocked; addr is 4-byte aligned.
func (mm *MemoryManager) uint32AtLocked(addr uintptr, write, writeLocked bool) (*uint32, error) {
	off, _, err := mm.translateLocked(addr, addr+4, write, writeLocked)
	if err != nil {
		return nil, err
	}
	return (*uint32)(unsafe.Pointer(&mm.mf.Slice(off, 4)[0])), nil
}

// SharedOffset returns the memory-file offset of the byte at addr if it lies in a shared
// mapping (anonymous or file), populating the page if needed; ok is false for private
// memory, unmapped or inaccessible addresses. Shared futexes are keyed by it, so that
// processes (and different addresses) mapping the same shared page wait on the same word,
// as Linux keys them by the shared object and offset. The offset is stable while any
// mapping holds the page: shared pages are never copied or moved.
func (mm *MemoryManager) SharedOffset(addr uintptr) (off uint64, ok bool) {
	mm.mu.RLock()
	off, ok, err := mm.sharedOffsetLocked(addr, false)
	mm.mu.RUnlock()
	if err != errSlow {
		return off, ok
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	off, ok, _ = mm.sharedOffsetLocked(addr, true)
	return off, ok
}

// sharedOffsetLocked implements SharedOffset.
//
// Preconditions: mm.mu is held, for writing if writeLocked.
func (mm *MemoryManager) sharedOffsetLocked(addr uintptr, writeLocked bool) (uint64, bool, error) {
	if mm.released {
		return 0, false, nil
	}
	vi := mm.vmaAtLocked(addr)
	if vi < 0 || !mm.vmas[vi].shared {
		return 0, false, nil
	}
	off, _, err := mm.translateLocked(addr, addr+1, false, writeLocked)
	if err != nil {
		return 0, false, err
	}
	return off, true, nil
}
