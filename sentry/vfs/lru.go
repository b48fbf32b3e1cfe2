package vfs

import (
	"sync"
	"sync/atomic"
)

// Dentry eviction. Dentries are never evicted by default: a tmpfs or proc dentry costs only
// memory. Filesystems that hold a resource per file (the gofer: a handle in the gofer
// process, a host descriptor for a file that was read) implement EvictableFilesystem; their
// dentries that nothing uses go on a per-VFS LRU list, and once the list holds more than
// maxUnusedDentries the coldest are dropped from their parent's cache. An evicted dentry's
// inode is then unreferenced (unless another name or an open file holds it) and the
// filesystem releases its resources when the inode is collected; the next walk of the name
// looks it up again.
//
// A dentry is in use, and never evicted, while it has a reference (an open file
// description, a filesystem context's root or cwd, a mount's root: Dentry.refs), is a mount
// point, has cached children (so only leaves go, and a directory follows once its children
// have), is a filesystem root, or is dead. The list holds candidates: a dentry found in use
// when the evictor reaches it leaves the list and comes back when its last use ends (refs
// drops to 0, its last child goes). A cache hit marks the dentry recently used (an atomic
// flag, no lock on the walk's hot path): the evictor gives it a second chance (CLOCK).
//
// Locks: lru.mu is a leaf for everything but the evictor, which holds it while it takes a
// parent's renameMu and Dentry.mu and the victim's Dentry.mu with TryLock only, so that it
// never waits while holding it; a victim whose locks are busy is tried again later.

// maxUnusedDentries bounds the unused dentries of evictable filesystems kept in the cache.
const maxUnusedDentries = 4096

// EvictableFilesystem is implemented by FilesystemImpls whose unused dentries the VFS may
// evict (see lru.go).
type EvictableFilesystem interface {
	FilesystemImpl
	// EvictsDentries marks the implementation.
	EvictsDentries()
}

// dentryLRU is the list of eviction candidates, most recently added at the front.
type dentryLRU struct {
	mu sync.Mutex
	// head and tail are the hot and cold ends. Guarded by mu.
	head, tail *Dentry
	// n counts the entries: written with mu held, read without by walks that decide
	// whether to evict.
	n atomic.Int64
}

// lruAdd puts d on the list (at the hot end) if its filesystem evicts and it is not there.
func (v *VirtualFilesystem) lruAdd(d *Dentry) {
	if !d.fs.evictable || d.fs.root == d {
		return
	}
	l := &v.lru
	l.mu.Lock()
	if !d.onLRU {
		l.pushFrontLocked(d)
	}
	l.mu.Unlock()
}

// pushFrontLocked links d at the hot end. Preconditions: l.mu is held; d is not linked.
func (l *dentryLRU) pushFrontLocked(d *Dentry) {
	d.onLRU = true
	d.lruPrev, d.lruNext = nil, l.head
	if l.head != nil {
		l.head.lruPrev = d
	}
	l.head = d
	if l.tail == nil {
		l.tail = d
	}
	l.n.Add(1)
}

// removeLocked unlinks d. Preconditions: l.mu is held; d is linked.
func (l *dentryLRU) removeLocked(d *Dentry) {
	if d.lruPrev != nil {
		d.lruPrev.lruNext = d.lruNext
	} else {
		l.head = d.lruNext
	}
	if d.lruNext != nil {
		d.lruNext.lruPrev = d.lruPrev
	} else {
		l.tail = d.lruPrev
	}
	d.lruPrev, d.lruNext, d.onLRU = nil, nil, false
	l.n.Add(-1)
}

// inUse reports whether d must stay cached for a reason other than its children (which
// need d.mu to see).
func (d *Dentry) inUse() bool {
	return d.refs.Load() > 0 || d.mounts.Load() > 0 || d.dead.Load() || d == d.fs.root
}

// incRef adds a use of d (see lru.go).
func (d *Dentry) incRef() { d.refs.Add(1) }

// decRef drops a use of d; the last one makes it an eviction candidate again.
func (d *Dentry) decRef() {
	if d.refs.Add(-1) == 0 && d.fs.evictable {
		d.fs.vfs.lruAdd(d)
	}
}

// maybeEvict evicts cold unused dentries while the list is over its bound. It must be
// called with no dentry lock held (path walks call it between components).
func (v *VirtualFilesystem) maybeEvict() {
	l := &v.lru
	if l.n.Load() <= maxUnusedDentries {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Each candidate is looked at once per call at most: busy or recently used ones move
	// to the hot end.
	for tries := l.n.Load(); l.n.Load() > maxUnusedDentries && tries > 0 && l.tail != nil; tries-- {
		d := l.tail
		if d.recent.Load() {
			d.recent.Store(false)
			l.removeLocked(d)
			l.pushFrontLocked(d)
			continue
		}
		if d.inUse() {
			l.removeLocked(d) // back when its use ends
			continue
		}
		switch v.tryEvictLocked(d) {
		case evicted:
			l.removeLocked(d)
		case notCandidate:
			l.removeLocked(d) // back when its last child or use goes
		case busy:
			l.removeLocked(d)
			l.pushFrontLocked(d)
		}
	}
}

type evictResult int

const (
	// evicted: d left the cache (or was no longer in it).
	evicted evictResult = iota
	// notCandidate: d has children or is in use again.
	notCandidate
	// busy: a lock was taken; try again later.
	busy
)

// tryEvictLocked drops d from its parent's cache if the locks involved are free and d is
// still an unused leaf. If the parent is left without children it becomes a candidate.
//
// Preconditions: v.lru.mu is held.
func (v *VirtualFilesystem) tryEvictLocked(d *Dentry) evictResult {
	fs := d.fs
	if !fs.renameMu.TryRLock() {
		return busy
	}
	defer fs.renameMu.RUnlock()
	p := d.parent
	if p == nil || !p.mu.TryLock() {
		return busy
	}
	defer p.mu.Unlock()
	if !d.mu.TryLock() {
		return busy
	}
	defer d.mu.Unlock()
	if len(d.children) > 0 || d.inUse() {
		return notCandidate
	}
	if p.children[d.name] != d {
		return evicted // dropped from the cache some other way
	}
	delete(p.children, d.name)
	if len(p.children) == 0 && !p.onLRU && p != fs.root {
		v.lru.pushFrontLocked(p)
	}
	return evicted
}

// childGoneLocked is called when d loses a cached child (unlink, rmdir, rename): a
// directory left without children may become a candidate.
//
// Preconditions: d.mu is held.
func (d *Dentry) childGoneLocked() {
	if len(d.children) == 0 && d.fs.evictable {
		d.fs.vfs.lruAdd(d)
	}
}
