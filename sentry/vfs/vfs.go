// Package vfs is the sentry's virtual filesystem: filesystem types, the mount tree, dentries
// and their cache, path resolution, and open file descriptions.
//
// # Layers
//
// A filesystem implementation (package fsimpl/...) provides Inodes: one per file, with the
// operations of its type (DirInode for directories, SymlinkInode for symlinks). It never
// resolves paths: the VFS walks a path one component at a time, asking a directory's
// DirInode.Lookup for a name it has not cached. A lookup may block (the gofer asks another
// process) and may fail with any errno. The VFS caches the result in a Dentry; a filesystem
// whose files can change behind the sentry's back implements Revalidator so that a cached
// dentry is checked before it is used.
//
// A Dentry is a name in a directory bound to an Inode (hard links give an Inode several
// Dentries). A Mount attaches a Filesystem's root Dentry at a Dentry of another mount; a
// VirtualDentry (Mount, Dentry) is a location in the mount tree, which is what a task's root
// and working directory, a file description, and path resolution deal in.
//
// A FileDescription is an open file: it implements kernel.File (so the kernel's FD table and
// the read/write syscalls use it like any other file), holds the file offset and status flags,
// and forwards I/O to a narrow FileDescriptionImpl that the filesystem returns from
// Inode.Open. Directories get a generic implementation built on DirInode.Readdir.
//
// Dentries and mounts are garbage collected rather than reference counted: nothing here owns
// host resources except through a FileDescriptionImpl, whose Release the last reference to
// the FileDescription calls. Dentries count their lasting uses (open files, filesystem
// contexts, mount roots) only to know which ones the cache may evict (lru.go): unused
// dentries of filesystems that hold resources per file are dropped beyond a bound.
//
// # Locks
//
// Lock order (outermost first):
//
//	VirtualFilesystem.mountMu (the mount tree; read-held only briefly by path walks)
//	  Filesystem.renameMu (dentry parent/name; written by rename, read by everything that
//	                       changes a directory or follows `..`)
//	    Dentry.mu (a directory's child cache; parent before child; only rename holds two,
//	               and it holds renameMu for writing, so no other holder of two exists)
//	      filesystem-internal locks (e.g. the tmpfs inode mutex)
//	FileDescription.offMu (the file offset) is taken before any of the impl's locks and
//	never while holding the ones above.
//	VirtualFilesystem.lru.mu (the eviction list) is taken after any of the above; the
//	evictor, which holds it, takes renameMu and Dentry.mu only with TryLock.
//
// Filesystem implementations are called with Dentry.mu of the directory held for
// Lookup/Mknod/Unlink/Rmdir, and with renameMu held for writing for Rename: they must not
// call back into the VFS.
package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Limits of path resolution.
const (
	// MaxSymlinkTraversals is Linux's MAXSYMLINKS: the 41st symlink gives ELOOP.
	MaxSymlinkTraversals = 40
	// NameMax is the longest path component (NAME_MAX).
	NameMax = 255
	// PathMax is the longest path including its NUL (PATH_MAX).
	PathMax = 4096
)

// VirtualFilesystem is one sandbox's VFS: its mount tree(s) and filesystem instances.
type VirtualFilesystem struct {
	// nextDev allocates anonymous device minors for filesystems (Linux's 0:N).
	nextDev atomic.Uint32

	mountMu sync.RWMutex
	// mounts maps a mount point (parent mount, dentry) to the mounts stacked on it, the most
	// recent last. Guarded by mountMu.
	mounts map[mountKey][]*Mount

	// lru holds the eviction candidates among cached dentries (lru.go).
	lru dentryLRU
}

// New returns an empty VFS.
func New() *VirtualFilesystem {
	v := &VirtualFilesystem{mounts: make(map[mountKey][]*Mount)}
	v.nextDev.Store(16)
	return v
}

// Creds are the credentials a filesystem operation is checked against: the fs uid/gid (the
// effective ones, or the real ones for access(2) without AT_EACCESS).
type Creds struct {
	UID, GID uint32
	// Groups are supplementary groups.
	Groups []uint32
	// Caps is the effective capability set (bits of CAP_* numbers): the DAC overrides and
	// the other privilege checks of filesystem operations ask it, never the uid.
	Caps uint64
}

// RootCreds are uid 0's credentials, with every capability.
var RootCreds = &Creds{Caps: kernel.AllCapabilities}

// CredsFor returns credentials for uid with the default capabilities of a process started
// as uid (every capability for 0, none otherwise).
func CredsFor(uid, gid uint32, groups []uint32) *Creds {
	return &Creds{UID: uid, GID: gid, Groups: groups, Caps: kernel.DefaultCapSets(uid).Effective}
}

// HasCap reports whether c holds capability cp (a CAP_* number).
func (c *Creds) HasCap(cp int) bool {
	return cp >= 0 && cp <= kernel.LastCap && c.Caps&(1<<uint(cp)) != 0
}

// InGroup reports whether gid is the fs gid or a supplementary group.
func (c *Creds) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// Privileged reports whether c holds CAP_SYS_ADMIN, the catch-all privilege (trusted
// xattrs, terminal ioctls reserved to the administrator).
func (c *Creds) Privileged() bool { return c.HasCap(unix.CAP_SYS_ADMIN) }

// IsOwner is inode_owner_or_capable: c owns a file of uid, or holds CAP_FOWNER.
func (c *Creds) IsOwner(uid uint32) bool { return c.UID == uid || c.HasCap(unix.CAP_FOWNER) }

// Access types for CheckPermission (MAY_* bits).
const (
	MayExec  = 1
	MayWrite = 2
	MayRead  = 4
)

// CheckPermission is generic_permission: mode/uid/gid against c for the access in ats.
// When the mode bits refuse, CAP_DAC_OVERRIDE allows reading and writing anything,
// searching any directory and executing a file with an execute bit; CAP_DAC_READ_SEARCH
// allows reading files and reading and searching directories.
func CheckPermission(c *Creds, ats uint32, mode, uid, gid uint32) error {
	if checkModeBits(c, ats, mode, uid, gid) {
		return nil
	}
	isDir := mode&unix.S_IFMT == unix.S_IFDIR
	if c.HasCap(unix.CAP_DAC_OVERRIDE) && (ats&MayExec == 0 || isDir || mode&0111 != 0) {
		return nil
	}
	if c.HasCap(unix.CAP_DAC_READ_SEARCH) {
		if isDir && ats&MayWrite == 0 || ats&7 == MayRead {
			return nil
		}
	}
	return unix.EACCES
}

// checkModeBits is the owner/group/other check of the mode bits.
func checkModeBits(c *Creds, ats uint32, mode, uid, gid uint32) bool {
	var perm uint32
	switch {
	case c.UID == uid:
		perm = mode >> 6
	case c.InGroup(gid):
		perm = mode >> 3
	default:
		perm = mode
	}
	return perm&ats&7 == ats&7
}
