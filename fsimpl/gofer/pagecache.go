package gofer

import (
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Shared file mappings.
//
// A regular file that is mapped MAP_SHARED gets a page cache: its pages, as far as they are
// mapped, live in the sandbox's memory file (as a tmpfs file's do), filled from the host
// file on the first fault and handed to every mapping (Regular implements mm.Mappable), so
// that all mappings, in every process, share them. From then on the file's reads and writes
// go through the cache too: read(2) copies the cached pages (and reads the others from the
// host), write(2) writes through to the host file and into the cached pages, so mappings
// and read/write are coherent, as Linux's page cache makes them.
//
// Stores through a mapping reach the host file when they are written back: at msync, at
// munmap, when an address space is released (exit, exec) and at fsync. There is no dirty
// tracking (the platform does not report it): write-back writes every cached page that a
// mapping was given, clipped to the file size. A shrinking truncate drops the cached pages
// past the new size (without writing them back) and zaps them from the mappings
// (mm.MappingSet), so that an access there raises SIGBUS.
//
// The cache lives as long as the inode (a mapping keeps the inode alive through the vma);
// its pages and descriptors are released when the inode is collected. Host descriptors are
// dups of the mapping descriptions' ones (donated by the gofer): one to fill pages, and a
// writable one, once a writable description has been mapped, to write back.
//
// Locks: Regular.cacheMu (creating the cache, and held across a truncate) comes before
// pageCache.mu, which comes before inode.mu and memfile.File.mu. mm calls Translate with its
// lock held (MemoryManager.mu comes first of all); SyncMapped and MappingSet.Invalidate run
// with no lock of mm's or the cache's held.

// pageCache is a mapped regular file's cached pages.
type pageCache struct {
	mf *memfile.File

	mu sync.Mutex
	// fd reads pages in; wfd (or -1) writes them back. Dups owned by the cache. Guarded by
	// mu (wfd is set once).
	fd, wfd int
	// size is the file size (the host's: every change in the sandbox goes through the
	// cache). Guarded by mu.
	size int64
	// pages maps page indices to memory-file offsets, one reference each. Guarded by mu.
	pages map[int64]uint64
	// mapped holds the indices of pages handed to mappings: the pages write-back writes.
	// Guarded by mu.
	mapped map[int64]struct{}
}

// release drops every page and closes the descriptors (the inode's cleanup, or
// Filesystem.ReleaseHostFiles before it); a second call does nothing.
func (c *pageCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, off := range c.pages {
		c.mf.DecRef(off, pageSize)
	}
	c.pages, c.mapped = nil, nil
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	if c.wfd >= 0 {
		unix.Close(c.wfd)
		c.wfd = -1
	}
}

const pageSize = 4096

// dupFD duplicates a host descriptor (close-on-exec).
func dupFD(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// ensureCache returns r's page cache, creating it from the description's host descriptor
// fd, and gives it a descriptor to write back through if writable.
func (r *Regular) ensureCache(fd int, writable bool) (*pageCache, error) {
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	c := r.cache.Load()
	if c == nil {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, err
		}
		rfd, err := dupFD(fd)
		if err != nil {
			return nil, err
		}
		c = &pageCache{mf: r.fs.mf, fd: rfd, wfd: -1, size: st.Size, pages: make(map[int64]uint64), mapped: make(map[int64]struct{})}
		runtime.AddCleanup(r, (*pageCache).release, c)
		r.cache.Store(c)
	}
	if writable {
		c.mu.Lock()
		if c.wfd < 0 {
			wfd, err := dupFD(fd)
			if err != nil {
				c.mu.Unlock()
				return nil, err
			}
			c.wfd = wfd
		}
		c.mu.Unlock()
	}
	return c, nil
}

// MemoryFile implements mm.Mappable.
func (r *Regular) MemoryFile() *memfile.File { return r.fs.mf }

// Mappings implements mm.Mappable.
func (r *Regular) Mappings() *mm.MappingSet { return &r.mappings }

// Translate implements mm.Mappable: cached pages, and with allocate the missing ones read
// in from the host file (zero past its end). EIO if the host read fails, ENOMEM if the
// memory file is full.
func (r *Regular) Translate(off, length uint64, allocate bool) ([]mm.Translation, error) {
	c := r.cache.Load()
	if c == nil {
		return nil, unix.ENODEV
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	eof := (uint64(c.size) + pageSize - 1) &^ (pageSize - 1)
	end := min(off+length, eof)
	if off >= end {
		return nil, nil
	}
	first, last := int64(off/pageSize), int64(end/pageSize)
	if allocate {
		for idx := first; idx < last; {
			if _, ok := c.pages[idx]; ok {
				idx++
				continue
			}
			run := idx + 1
			for run < last {
				if _, ok := c.pages[run]; ok {
					break
				}
				run++
			}
			if err := c.fillLocked(idx, run); err != nil {
				return nil, err
			}
			idx = run
		}
	}
	var out []mm.Translation
	for idx := first; idx < last; idx++ {
		moff, ok := c.pages[idx]
		if !ok {
			continue
		}
		c.mapped[idx] = struct{}{}
		if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == uint64(idx)*pageSize && out[n-1].MemOff+out[n-1].Len == moff {
			out[n-1].Len += pageSize
			continue
		}
		out = append(out, mm.Translation{Off: uint64(idx) * pageSize, Len: pageSize, MemOff: moff})
	}
	for _, t := range out {
		c.mf.IncRef(t.MemOff, t.Len)
	}
	return out, nil
}

// fillLocked caches the pages [first, last), none of which is cached, read from the host.
//
// Preconditions: c.mu is held.
func (c *pageCache) fillLocked(first, last int64) error {
	n := uint64(last-first) * pageSize
	moff, err := c.mf.Allocate(n)
	if err != nil {
		return unix.ENOMEM
	}
	buf := c.mf.Slice(moff, n)
	pos := first * pageSize
	for done := 0; done < len(buf) && pos+int64(done) < c.size; {
		k, err := unix.Pread(c.fd, buf[done:], pos+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			c.mf.DecRef(moff, n)
			return unix.EIO
		}
		if k == 0 {
			break // the host file is shorter than we think: the rest reads as zeros
		}
		done += k
	}
	for idx := first; idx < last; idx++ {
		c.pages[idx] = moff + uint64(idx-first)*pageSize
	}
	return nil
}

// SyncMapped implements mm.MappableSyncer.
func (r *Regular) SyncMapped(off, length uint64) error {
	c := r.cache.Load()
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	end := off + length
	if end < off {
		end = ^uint64(0)
	}
	last := end / pageSize
	if end%pageSize != 0 {
		last++
	}
	// writeBackLocked clips to the file's last page anyway.
	return c.writeBackLocked(int64(off/pageSize), int64(min(last, 1<<62)))
}

// writeBackLocked writes the mapped pages with indices in [first, last) to the host file,
// clipped to its size. EIO if that fails.
//
// Preconditions: c.mu is held.
func (c *pageCache) writeBackLocked(first, last int64) error {
	if c.wfd < 0 || len(c.mapped) == 0 {
		return nil // never mapped through a writable description: nothing can have changed
	}
	last = min(last, (c.size+pageSize-1)/pageSize)
	var err error
	one := func(idx int64) {
		moff, ok := c.pages[idx]
		if !ok {
			return
		}
		n := min(int64(pageSize), c.size-idx*pageSize)
		if e := pwriteAll(c.wfd, c.mf.Slice(moff, uint64(n)), idx*pageSize); e != nil && err == nil {
			err = unix.EIO
		}
	}
	if int64(len(c.mapped)) < last-first {
		for idx := range c.mapped {
			if idx >= first && idx < last {
				one(idx)
			}
		}
	} else {
		for idx := first; idx < last; idx++ {
			if _, ok := c.mapped[idx]; ok {
				one(idx)
			}
		}
	}
	return err
}

// pwriteAll writes all of b at off.
func pwriteAll(fd int, b []byte, off int64) error {
	for done := 0; done < len(b); {
		n, err := unix.Pwrite(fd, b[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.EIO
		}
		done += n
	}
	return nil
}

// read reads at off through the cache: cached pages are copied, the others read from the
// host descriptor fd.
func (c *pageCache) read(fd int, dst []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off >= c.size {
		return 0, nil
	}
	n := int(min(int64(len(dst)), c.size-off))
	for done := 0; done < n; {
		pos := off + int64(done)
		idx, po := pos/pageSize, pos%pageSize
		if moff, ok := c.pages[idx]; ok {
			done += copy(dst[done:n], c.mf.Slice(moff+uint64(po), pageSize-uint64(po)))
			continue
		}
		// Read the run of uncached pages from the host in one call.
		runEnd := (idx + 1) * pageSize
		for runEnd < off+int64(n) {
			if _, ok := c.pages[runEnd/pageSize]; ok {
				break
			}
			runEnd += pageSize
		}
		want := dst[done:min(n, int(runEnd-off))]
		k, err := unix.Pread(fd, want, pos)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if k == 0 {
			break
		}
		done += k
	}
	return n, nil
}

// write writes src at off (or at the end if appendMode) through the host descriptor fd,
// and into the cached pages it covers. It returns the bytes written and the end offset.
func (c *pageCache) write(fd int, src []byte, off int64, appendMode bool) (int, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if appendMode {
		off = c.size
	}
	if off < 0 {
		return 0, off, unix.EINVAL
	}
	done := 0
	var err error
	for done < len(src) {
		n, e := unix.Pwrite(fd, src[done:], off+int64(done))
		if e == unix.EINTR {
			continue
		}
		if n > 0 {
			done += n
		}
		if e != nil || n == 0 {
			err = e
			break
		}
	}
	for w := 0; w < done; {
		pos := off + int64(w)
		idx, po := pos/pageSize, pos%pageSize
		k := min(done-w, int(pageSize-po))
		if moff, ok := c.pages[idx]; ok {
			copy(c.mf.Slice(moff+uint64(po), uint64(k)), src[w:w+k])
		}
		w += k
	}
	if end := off + int64(done); end > c.size {
		c.size = end
	}
	if done > 0 {
		err = nil
	}
	return done, off + int64(done), err
}

// resizeLocked records a new size after the host file was truncated to it: on shrinking,
// the cached pages wholly past it are dropped and the tail of the last one is zeroed. It
// reports whether the file shrank (the caller then zaps the mappings).
//
// Preconditions: c.mu is held.
func (c *pageCache) resizeLocked(size int64) bool {
	shrunk := size < c.size
	if shrunk {
		for idx, moff := range c.pages {
			start := idx * pageSize
			switch {
			case start >= size:
				c.mf.DecRef(moff, pageSize)
				delete(c.pages, idx)
				delete(c.mapped, idx)
			case start+pageSize > size:
				clear(c.mf.Slice(moff+uint64(size-start), uint64(start+pageSize-size)))
			}
		}
	}
	c.size = size
	return shrunk
}

// SetStat implements vfs.Inode: a size change of a cached file also resizes the cache (and
// a shrink zaps the mappings past the new end).
func (r *Regular) SetStat(s *vfs.SetStat) error {
	if s.Mask&vfs.SetSize == 0 {
		return r.inode.SetStat(s)
	}
	r.cacheMu.Lock()
	c := r.cache.Load()
	if c == nil {
		defer r.cacheMu.Unlock()
		return r.inode.SetStat(s)
	}
	c.mu.Lock()
	err := r.inode.SetStat(s)
	shrunk := err == nil && c.resizeLocked(int64(s.Size))
	c.mu.Unlock()
	r.cacheMu.Unlock()
	if shrunk {
		r.mappings.Invalidate(r, s.Size)
	}
	return err
}
