package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Filesystem is a filesystem instance: its implementation, root and device number.
type Filesystem struct {
	vfs      *VirtualFilesystem
	typeName string
	// source is the mount source it was made with (mount(2)'s first argument), shown in
	// /proc/<pid>/mounts and mountinfo.
	source string
	impl   FilesystemImpl
	root   *Dentry
	dev    uint64

	// renameMu serialises renames against each other and guards every Dentry's parent and
	// name in this filesystem: rename holds it for writing, `..` and getcwd for reading.
	renameMu sync.RWMutex
	// evictable says the implementation lets the VFS evict unused dentries (lru.go).
	evictable bool
}

// Impl returns the filesystem's implementation.
func (fs *Filesystem) Impl() FilesystemImpl { return fs.impl }

// TypeName returns the filesystem type's name.
func (fs *Filesystem) TypeName() string { return fs.typeName }

// Source returns the source the filesystem was mounted from ("proc", "shm", a host path),
// or its type's name if it was made without one.
func (fs *Filesystem) Source() string {
	if fs.source == "" {
		return fs.typeName
	}
	return fs.source
}

// Dev returns the filesystem's device number.
func (fs *Filesystem) Dev() uint64 { return fs.dev }

// Root returns the filesystem's root dentry.
func (fs *Filesystem) Root() *Dentry { return fs.root }

// Dentry is a name bound to an Inode, and the cache of a directory's looked-up children.
type Dentry struct {
	fs    *Filesystem
	inode Inode
	// ifmt is the inode's S_IFMT type, fixed at creation.
	ifmt uint32

	// parent and name locate the dentry (nil and "" for a filesystem root). Guarded by
	// fs.renameMu.
	parent *Dentry
	name   string

	// dead is set once the dentry has been unlinked or replaced; a dead directory can hold
	// no new entries.
	dead atomic.Bool
	// mounts counts the mounts whose mount point this dentry is (in any namespace), so that
	// the walk only consults the mount table where it must.
	mounts atomic.Int32
	// openFiles counts the file descriptions open on the dentry (inotify reports an
	// unlinked inode's IN_DELETE_SELF when the last one closes).
	openFiles atomic.Int32

	mu sync.Mutex
	// children caches looked-up children by name. Guarded by mu.
	children map[string]*Dentry

	// refs counts the uses that keep the dentry cached (lru.go): open file descriptions,
	// filesystem contexts' roots and cwds, mount roots.
	refs atomic.Int64
	// recent is set by a cache hit since the evictor last looked (lru.go).
	recent atomic.Bool
	// lruPrev, lruNext and onLRU link the dentry in VirtualFilesystem.lru. Guarded by the
	// list's mu.
	lruPrev, lruNext *Dentry
	onLRU            bool
}

func newDentry(fs *Filesystem, inode Inode, ifmt uint32) *Dentry {
	return &Dentry{fs: fs, inode: inode, ifmt: ifmt}
}

// Inode returns the dentry's inode.
func (d *Dentry) Inode() Inode { return d.inode }

// Filesystem returns the dentry's filesystem.
func (d *Dentry) Filesystem() *Filesystem { return d.fs }

// IsDir reports whether d is a directory.
func (d *Dentry) IsDir() bool { return d.ifmt == unix.S_IFDIR }

// IsSymlink reports whether d is a symlink.
func (d *Dentry) IsSymlink() bool { return d.ifmt == unix.S_IFLNK }

// Type returns the S_IFMT bits.
func (d *Dentry) Type() uint32 { return d.ifmt }

// IsDead reports whether d has been unlinked.
func (d *Dentry) IsDead() bool { return d.dead.Load() }

// Stat returns the inode's attributes with the device filled in.
func (d *Dentry) Stat() (Stat, error) {
	st, err := d.inode.Stat()
	st.Dev = d.fs.dev
	return st, err
}

// dir returns d's DirInode, or ENOTDIR.
func (d *Dentry) dir() (DirInode, error) {
	di, ok := d.inode.(DirInode)
	if !ok || d.ifmt != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	return di, nil
}

// childLocked returns the child called name, from the cache (revalidated if the filesystem
// asks for it) or by a lookup that it caches.
//
// Preconditions: d.mu is held; d is a directory; name is a plain component.
func (d *Dentry) childLocked(name string) (*Dentry, error) {
	di, err := d.dir()
	if err != nil {
		return nil, err
	}
	if c, ok := d.children[name]; ok {
		rv, isRV := di.(Revalidator)
		if !isRV || rv.Revalidate(name, c.inode) {
			if c.fs.evictable && !c.recent.Load() {
				c.recent.Store(true)
			}
			return c, nil
		}
		if c.mounts.Load() == 0 {
			delete(d.children, name)
			c.dead.Store(true)
		} else {
			// A mount point stays as the VFS knows it, as Linux keeps a mount point's dentry.
			return c, nil
		}
	}
	if d.dead.Load() {
		return nil, unix.ENOENT
	}
	ino, err := di.Lookup(name)
	if err != nil {
		return nil, err
	}
	st, err := ino.Stat()
	if err != nil {
		return nil, err
	}
	c := newDentry(d.fs, ino, st.Mode&unix.S_IFMT)
	d.insertChildLocked(name, c)
	return c, nil
}

// insertChildLocked caches c as d's child name.
//
// Preconditions: d.mu is held.
func (d *Dentry) insertChildLocked(name string, c *Dentry) {
	if d.children == nil {
		d.children = make(map[string]*Dentry)
	}
	c.parent, c.name = d, name
	d.children[name] = c
	if c.fs.evictable {
		c.fs.vfs.lruAdd(c)
	}
}

// lookupNoCreate returns the child name if it exists, or (nil, nil).
//
// Preconditions: d.mu is held.
func (d *Dentry) lookupExistingLocked(name string) (*Dentry, error) {
	c, err := d.childLocked(name)
	if err == unix.ENOENT {
		return nil, nil
	}
	return c, err
}

// Parent returns d's parent in its filesystem (d itself for a root).
func (d *Dentry) Parent() *Dentry {
	d.fs.renameMu.RLock()
	defer d.fs.renameMu.RUnlock()
	if d.parent == nil {
		return d
	}
	return d.parent
}

// isAncestorLocked reports whether a is d or one of d's ancestors.
//
// Preconditions: d.fs.renameMu is held.
func isAncestorLocked(a, d *Dentry) bool {
	for ; d != nil; d = d.parent {
		if d == a {
			return true
		}
	}
	return false
}
