// Package memfile provides the sandbox's memory file: one memfd that backs all application
// memory, allocated in page-aligned ranges and reference counted.
//
// The whole file is mapped into the sentry once, so the sentry reads and writes application
// memory with a memmove (Slice) rather than a syscall; platforms map ranges of the same fd
// into application address spaces. A freed range is hole-punched, which returns its pages to
// the host and makes the range read as zeros when it is handed out again: fresh allocations
// are always zero-filled without the sentry touching them.
//
// Locking: File.mu protects the allocator and the reference counts. No other lock is taken
// while it is held.
//
// Lifetime: the file must outlive every user of its pages (memory managers, mappables, the
// vDSO): Close is called only once the kernel has shut down (kernel.Kernel.Shutdown: every
// task killed and finished releasing its address space). A reference dropped after Close
// (a user that outlived it: a bug, or a task stuck past Shutdown's timeout) is only
// bookkeeping: the pages are neither punched nor zeroed, since the descriptor number may
// already name another file and the mapping is gone.
package memfile

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

const pageSize = 4096

// DefaultSize is the size of the file's offset space. The file is sparse: only pages the
// application touches use host memory.
const DefaultSize = 64 << 30

// ErrNoMemory is returned when the offset space or the usage limit is exhausted.
var ErrNoMemory = errors.New("memory file exhausted")

// ErrClosed is returned by Allocate after Close.
var ErrClosed = errors.New("memory file closed")

// File is the memory file.
type File struct {
	fd   int
	size uint64
	// mapping is the whole file, mapped shared into the sentry.
	mapping []byte

	mu sync.Mutex
	// free holds free ranges below high, sorted by start, coalesced. Guarded by mu.
	free []segment
	// high is the end of the highest range ever allocated. Guarded by mu.
	high uint64
	// refs holds the reference count of every allocated range, sorted by start, non
	// overlapping; ranges absent from it are free. Guarded by mu.
	refs []segment
	// allocated is the number of bytes with a non-zero reference count. Guarded by mu.
	allocated uint64
	// limit caps allocated (0: no limit). Guarded by mu.
	limit uint64
	// onClose are the functions OnClose registered. Guarded by mu.
	onClose []func()
	// closed is set by Close. Guarded by mu.
	closed bool
}

// segment is [start, end) with a count (refs) or unused (free list).
type segment struct {
	start, end uint64
	refs       int
}

// New creates a memory file of the given size (DefaultSize if 0).
func New(name string, size uint64) (*File, error) {
	if size == 0 {
		size = DefaultSize
	}
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sizing memory file: %w", err)
	}
	m, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping memory file: %w", err)
	}
	return &File{fd: fd, size: size, mapping: m}, nil
}

// FD is the host file descriptor of the memory file.
func (f *File) FD() int { return f.fd }

// SetLimit caps the bytes that may be allocated at once (0: unlimited).
func (f *File) SetLimit(limit uint64) {
	f.mu.Lock()
	f.limit = limit
	f.mu.Unlock()
}

// Allocated returns the bytes currently allocated.
func (f *File) Allocated() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allocated
}

// Allocate returns the offset of length zero-filled bytes with a reference count of one.
// length is rounded up to whole pages.
func (f *File) Allocate(length uint64) (uint64, error) {
	if length == 0 {
		return 0, errors.New("memfile: zero-length allocation")
	}
	length = (length + pageSize - 1) &^ (pageSize - 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrClosed
	}
	if f.limit != 0 && f.allocated+length > f.limit {
		return 0, ErrNoMemory
	}
	// First fit in the free list, else extend the high-water mark.
	var off uint64
	found := false
	for i := range f.free {
		s := &f.free[i]
		if s.end-s.start >= length {
			off = s.start
			s.start += length
			if s.start == s.end {
				f.free = append(f.free[:i], f.free[i+1:]...)
			}
			found = true
			break
		}
	}
	if !found {
		if f.high+length > f.size {
			return 0, ErrNoMemory
		}
		off = f.high
		f.high += length
	}
	f.addRefsLocked(off, off+length, 1)
	return off, nil
}

// IncRef adds a reference to every page of [off, off+length), which must be allocated.
func (f *File) IncRef(off, length uint64) {
	f.mu.Lock()
	f.addRefsLocked(off, off+length, 1)
	f.mu.Unlock()
}

// DecRef drops a reference to every page of [off, off+length). Pages whose count reaches
// zero are returned to the host and to the free list.
func (f *File) DecRef(off, length uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addRefsLocked(off, off+length, -1)
}

// RefCount returns the reference count of the page at off (0 if free).
func (f *File) RefCount(off uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := sort.Search(len(f.refs), func(i int) bool { return f.refs[i].end > off })
	if i < len(f.refs) && f.refs[i].start <= off {
		return f.refs[i].refs
	}
	return 0
}

// addRefsLocked adds delta to the count of [start, end), splitting segments at the edges and
// freeing any range whose count drops to zero.
//
// Preconditions: f.mu is held.
func (f *File) addRefsLocked(start, end uint64, delta int) {
	if start >= end {
		return
	}
	f.splitLocked(start)
	f.splitLocked(end)
	i := sort.Search(len(f.refs), func(i int) bool { return f.refs[i].start >= start })
	if delta > 0 && (i == len(f.refs) || f.refs[i].start > start) {
		// A fresh allocation: no segment covers it yet.
		if delta != 1 {
			panic("memfile: IncRef of unallocated range")
		}
		f.refs = append(f.refs, segment{})
		copy(f.refs[i+1:], f.refs[i:])
		f.refs[i] = segment{start, end, 1}
		f.allocated += end - start
		f.coalesceLocked(i-1, i+1)
		return
	}
	j := i
	for j < len(f.refs) && f.refs[j].start < end {
		f.refs[j].refs += delta
		j++
	}
	// Release segments that reached zero.
	out := f.refs[:i]
	for k := i; k < j; k++ {
		s := f.refs[k]
		if s.refs <= 0 {
			f.releaseLocked(s.start, s.end)
			continue
		}
		out = append(out, s)
	}
	out = append(out, f.refs[j:]...)
	f.refs = out
	f.coalesceLocked(i-1, i+(j-i)+1)
}

// coalesceLocked merges adjacent refs segments with equal counts among indices [lo, hi]
// (clipped to the list). Splits at the edges of a range whose count changed temporarily
// (pins for I/O, fork, copy-on-write) would otherwise accumulate for good and make every
// later lookup and insertion slower.
//
// Preconditions: f.mu is held.
func (f *File) coalesceLocked(lo, hi int) {
	lo = max(lo, 0)
	hi = min(hi, len(f.refs)-1)
	for k := hi; k > lo; k-- {
		if a, b := &f.refs[k-1], &f.refs[k]; a.end == b.start && a.refs == b.refs {
			a.end = b.end
			f.refs = append(f.refs[:k], f.refs[k+1:]...)
		}
	}
}

// splitLocked ensures that no refs segment straddles off.
func (f *File) splitLocked(off uint64) {
	i := sort.Search(len(f.refs), func(i int) bool { return f.refs[i].end > off })
	if i == len(f.refs) || f.refs[i].start >= off {
		return
	}
	s := f.refs[i]
	f.refs = append(f.refs, segment{})
	copy(f.refs[i+2:], f.refs[i+1:])
	f.refs[i] = segment{s.start, off, s.refs}
	f.refs[i+1] = segment{off, s.end, s.refs}
}

// releaseLocked punches [start, end) out of the file and adds it to the free list.
//
// Preconditions: f.mu is held.
func (f *File) releaseLocked(start, end uint64) {
	f.allocated -= end - start
	if f.closed {
		// Neither the descriptor nor the mapping may be touched (see the package doc), and
		// nothing will be allocated again.
		return
	}
	// Failure to punch leaves the host memory in use but is otherwise harmless; zeroing
	// is then done by hand so that the next allocation still reads zeros.
	if err := unix.Fallocate(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(start), int64(end-start)); err != nil {
		clear(f.mapping[start:end])
	}
	i := sort.Search(len(f.free), func(i int) bool { return f.free[i].start >= start })
	f.free = append(f.free, segment{})
	copy(f.free[i+1:], f.free[i:])
	f.free[i] = segment{start: start, end: end}
	// Coalesce with neighbours.
	if i+1 < len(f.free) && f.free[i].end == f.free[i+1].start {
		f.free[i].end = f.free[i+1].end
		f.free = append(f.free[:i+1], f.free[i+2:]...)
	}
	if i > 0 && f.free[i-1].end == f.free[i].start {
		f.free[i-1].end = f.free[i].end
		f.free = append(f.free[:i], f.free[i+1:]...)
	}
}

// Slice returns the sentry's view of [off, off+length): reads and writes go straight to the
// application's memory. The caller must hold a reference on the range.
func (f *File) Slice(off, length uint64) []byte {
	return f.mapping[off : off+length : off+length]
}

// Base returns the address of the file's mapping in the sentry (for diagnostics and tests).
func (f *File) Base() uintptr { return uintptr(unsafe.Pointer(&f.mapping[0])) }

// OnClose registers fn to run at the start of Close, before the mapping goes away: users that
// write to the file's pages on their own schedule (the vDSO parameter page) stop there. fn
// must not call back into f.
func (f *File) OnClose(fn func()) {
	f.mu.Lock()
	f.onClose = append(f.onClose, fn)
	f.mu.Unlock()
}

// Close unmaps and closes the file. A second Close does nothing.
//
// Preconditions: no user of the file's pages is still running (see the package doc).
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	hooks := f.onClose
	f.onClose = nil
	f.mu.Unlock()
	for _, fn := range hooks {
		fn()
	}
	// Marked closed before the mapping and descriptor go, under mu: a DecRef racing with
	// Close either punches while both are still valid or sees closed.
	f.mu.Lock()
	f.closed = true
	unix.Munmap(f.mapping)
	err := unix.Close(f.fd)
	f.mu.Unlock()
	return err
}
