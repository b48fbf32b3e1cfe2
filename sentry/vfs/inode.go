package vfs

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Stat is a file's attributes, with statx's precision. Mode includes the file type bits.
type Stat struct {
	Mode     uint32
	Nlink    uint32
	UID, GID uint32
	Size     uint64
	Blocks   uint64
	Ino      uint64
	Blksize  uint32
	Rdev     uint64 // unix.Mkdev encoding
	Atime    time.Time
	Mtime    time.Time
	Ctime    time.Time
	Btime    time.Time
	// Dev is filled in by the VFS from the filesystem.
	Dev uint64
}

// Setattr mask bits (Linux ATTR_*).
const (
	SetMode  = 1 << 0
	SetUID   = 1 << 1
	SetGID   = 1 << 2
	SetSize  = 1 << 3
	SetAtime = 1 << 4
	SetMtime = 1 << 5
	SetCtime = 1 << 6
)

// SetStat is a set of attribute changes; Mask says which fields are meaningful. The VFS has
// checked permissions and resolved UTIME_NOW to a time; the filesystem applies the change
// (and updates ctime, which it does itself on any change).
type SetStat struct {
	Mask         uint32
	Mode         uint32 // permission bits only
	UID, GID     uint32
	Size         uint64
	Atime, Mtime time.Time
}

// ApplyModeOwner applies the mode's permission bits, the uid and the gid that s sets to an
// inode's fields; mode keeps its file type bits. The caller holds the lock guarding them.
func (s *SetStat) ApplyModeOwner(mode, uid, gid *uint32) {
	if s.Mask&SetMode != 0 {
		*mode = *mode&unix.S_IFMT | s.Mode&07777
	}
	if s.Mask&SetUID != 0 {
		*uid = s.UID
	}
	if s.Mask&SetGID != 0 {
		*gid = s.GID
	}
}

// CreateArgs describe a new file. Mode includes the type bits (S_IFREG, S_IFDIR, S_IFLNK,
// S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK); the umask has been applied.
type CreateArgs struct {
	Mode     uint32
	UID, GID uint32
	Rdev     uint64
	// Target is a symlink's target.
	Target string
}

// Dirent is a directory entry for getdents.
type Dirent struct {
	Name string
	Ino  uint64
	// Type is the DT_* type.
	Type uint8
}

// Inode is a filesystem implementation's file. Its type (Stat().Mode&S_IFMT) never changes.
type Inode interface {
	// Stat returns the attributes. It may block (a remote filesystem asks).
	Stat() (Stat, error)
	// SetStat applies attribute changes (see SetStat).
	SetStat(s *SetStat) error
	// Open returns the implementation of a new open file description. flags are the open
	// flags (access mode, O_APPEND, O_NONBLOCK...); the VFS has checked permissions and
	// handled O_TRUNC, O_PATH and directories.
	Open(flags uint32) (FileDescriptionImpl, error)
}

// DirInode is a directory. The VFS calls these with the directory's Dentry.mu held (Rename
// with the filesystem's rename lock held for writing); they must not call back into the VFS.
// Names are never ".", ".." or empty and are at most NameMax bytes.
type DirInode interface {
	Inode
	// Lookup returns the child called name, or ENOENT. It may block.
	Lookup(name string) (Inode, error)
	// Readdir lists the entries, without "." and "..".
	Readdir() ([]Dirent, error)
	// Mknod creates a child of any type (see CreateArgs): EEXIST if name exists.
	Mknod(name string, a CreateArgs) (Inode, error)
	// Link adds name for target, an inode of the same filesystem.
	Link(name string, target Inode) error
	// Unlink removes name, which is child and not a directory.
	Unlink(name string, child Inode) error
	// Rmdir removes name, which is the directory child: ENOTEMPTY unless it is empty.
	Rmdir(name string, child Inode) error
	// Rename moves child from oldName here to newName in newDir (of the same filesystem),
	// replacing replaced (nil if newName does not exist; the VFS has checked type
	// compatibility, but the filesystem checks that a replaced directory is empty:
	// ENOTEMPTY). With unix.RENAME_EXCHANGE the two are swapped.
	Rename(oldName string, child Inode, newDir DirInode, newName string, replaced Inode, flags uint32) error
}

// SymlinkInode is a symbolic link.
type SymlinkInode interface {
	Inode
	Readlink() (string, error)
}

// TaskSymlinkInode is a symlink whose target depends on the task reading or following it
// (/proc/self). Path walks that know their task (PathOperation.Task) call ReadlinkTask;
// others fall back to Readlink.
type TaskSymlinkInode interface {
	SymlinkInode
	ReadlinkTask(t *kernel.Task) (string, error)
}

// MagicLinkInode is a symlink that a path walk jumps through instead of reading
// (/proc/<pid>/fd/N: a "magic link", openat2(2)'s RESOLVE_NO_MAGICLINKS): following it
// reaches the open file itself, even one with no name or whose path has changed.
type MagicLinkInode interface {
	SymlinkInode
	// MagicLink returns where following the link leads for t: a file in the VFS tree (vd),
	// or an inode with no name (anon, e.g. a pipe), which the walk ends on as a detached
	// dentry of the link's filesystem. ok false: the link is followed as a plain symlink.
	MagicLink(t *kernel.Task) (vd VirtualDentry, anon Inode, ok bool, err error)
}

// ReadlinkTask is readlink(2) of d by t (nil: no task): EINVAL if d is not a symlink.
func ReadlinkTask(t *kernel.Task, d *Dentry) (string, error) { return readlinkFor(t, d) }

func readlinkFor(t *kernel.Task, d *Dentry) (string, error) {
	if t != nil {
		if ts, ok := d.inode.(TaskSymlinkInode); ok && d.IsSymlink() {
			return ts.ReadlinkTask(t)
		}
	}
	return Readlink(d)
}

// Revalidator is implemented by directories whose children can change outside the sentry
// (a remote filesystem). Before a cached child is used, Revalidate reports whether it still
// names child; if not, the VFS drops it and looks the name up again.
type Revalidator interface {
	Revalidate(name string, child Inode) bool
}

// FilesystemImpl is a filesystem instance's implementation.
type FilesystemImpl interface {
	// StatFS describes the filesystem (statfs(2)).
	StatFS() (unix.Statfs_t, error)
	// Sync writes back cached data (sync(2), syncfs(2)).
	Sync() error
}

// FileDescriptionImpl is what a filesystem provides for an open file. Offsets are managed by
// the VFS: Read and Write get the position to use and report what they did.
type FileDescriptionImpl interface {
	// Read reads at off into dst. Files that are not seekable ignore off.
	Read(t *kernel.Task, dst []byte, off int64) (int, error)
	// Write writes src at off, or at the end of the file if appendMode. It returns the
	// count and the offset just past the data written.
	Write(t *kernel.Task, src []byte, off int64, appendMode bool) (n int, end int64, err error)
	// Seek computes a new offset from the current one (lseek's whence), or fails (ESPIPE for
	// streams).
	Seek(t *kernel.Task, cur, off int64, whence int) (int64, error)
	// Ioctl handles ioctls other than the generic ones.
	Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error)
	// Allocate is fallocate(2) with mode 0.
	Allocate(off, length int64) error
	// Sync is fsync(2).
	Sync() error
	// Release is called when the last reference to the file description is dropped.
	Release()
}

// DefaultImpl provides FileDescriptionImpl defaults for files that do no I/O: reads and
// writes fail with EINVAL, seeks leave the offset alone... embed it and override.
type DefaultImpl struct{}

// Read implements FileDescriptionImpl.
func (DefaultImpl) Read(*kernel.Task, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements FileDescriptionImpl.
func (DefaultImpl) Write(*kernel.Task, []byte, int64, bool) (int, int64, error) {
	return 0, 0, unix.EINVAL
}

// Seek implements FileDescriptionImpl: character devices ignore lseek and report 0.
func (DefaultImpl) Seek(*kernel.Task, int64, int64, int) (int64, error) { return 0, nil }

// Ioctl implements FileDescriptionImpl.
func (DefaultImpl) Ioctl(*kernel.Task, uintptr, uintptr) (uintptr, error) { return 0, unix.ENOTTY }

// Allocate implements FileDescriptionImpl.
func (DefaultImpl) Allocate(int64, int64) error { return unix.ENODEV }

// Sync implements FileDescriptionImpl.
func (DefaultImpl) Sync() error { return nil }

// Release implements FileDescriptionImpl.
func (DefaultImpl) Release() {}

// GenericSeek is lseek's arithmetic for a file of the given size: SEEK_SET/CUR/END and
// SEEK_DATA/SEEK_HOLE for a file without holes.
func GenericSeek(cur, off int64, whence int, size int64) (int64, error) {
	var n int64
	switch whence {
	case unix.SEEK_SET:
		n = off
	case unix.SEEK_CUR:
		n = cur + off
		if (off > 0 && n < cur) || (off < 0 && n > cur) {
			return 0, unix.EOVERFLOW
		}
	case unix.SEEK_END:
		n = size + off
		if (off > 0 && n < size) || (off < 0 && n > size) {
			return 0, unix.EOVERFLOW
		}
	case unix.SEEK_DATA:
		if off < 0 || off >= size {
			return 0, unix.ENXIO
		}
		n = off
	case unix.SEEK_HOLE:
		if off < 0 || off >= size {
			return 0, unix.ENXIO
		}
		n = size
	default:
		return 0, unix.EINVAL
	}
	if n < 0 {
		return 0, unix.EINVAL
	}
	return n, nil
}

// DirentType returns the DT_* type for a mode.
func DirentType(mode uint32) uint8 {
	return uint8((mode & unix.S_IFMT) >> 12)
}
