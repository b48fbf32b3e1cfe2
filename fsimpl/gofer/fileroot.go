package gofer

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// FileAttachName is the one entry of the directory that stands for a file attach point.
const FileAttachName = "file"

// fileRoot is the root of a filesystem whose attach point is a regular file (a file bind
// mount). The VFS wants a directory as a filesystem's root, so this read-only directory
// holds the file as its one entry, FileAttachName; runsc/boot binds that entry where the
// file goes (vfs.VirtualFilesystem.BindChild). The directory itself is never mounted.
type fileRoot struct {
	file *Regular
}

var _ vfs.DirInode = (*fileRoot)(nil)

// Stat implements vfs.Inode.
func (r *fileRoot) Stat() (vfs.Stat, error) {
	st, err := r.file.Stat()
	if err != nil {
		return st, err
	}
	return vfs.Stat{Mode: unix.S_IFDIR | 0555, Nlink: 2, Ino: ^st.Ino, Blksize: st.Blksize,
		Atime: st.Atime, Mtime: st.Mtime, Ctime: st.Ctime}, nil
}

// SetStat implements vfs.Inode.
func (r *fileRoot) SetStat(*vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode (the VFS opens directories itself).
func (r *fileRoot) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// Lookup implements vfs.DirInode.
func (r *fileRoot) Lookup(name string) (vfs.Inode, error) {
	if name == FileAttachName {
		return r.file, nil
	}
	return nil, unix.ENOENT
}

// Readdir implements vfs.DirInode.
func (r *fileRoot) Readdir() ([]vfs.Dirent, error) {
	st, err := r.file.Stat()
	if err != nil {
		return nil, err
	}
	return []vfs.Dirent{{Name: FileAttachName, Ino: st.Ino, Type: unix.DT_REG}}, nil
}

// Mknod implements vfs.DirInode.
func (r *fileRoot) Mknod(string, vfs.CreateArgs) (vfs.Inode, error) { return nil, unix.EPERM }

// Link implements vfs.DirInode.
func (r *fileRoot) Link(string, vfs.Inode) error { return unix.EPERM }

// Unlink implements vfs.DirInode.
func (r *fileRoot) Unlink(string, vfs.Inode) error { return unix.EPERM }

// Rmdir implements vfs.DirInode.
func (r *fileRoot) Rmdir(string, vfs.Inode) error { return unix.EPERM }

// Rename implements vfs.DirInode.
func (r *fileRoot) Rename(string, vfs.Inode, vfs.DirInode, string, vfs.Inode, uint32) error {
	return unix.EPERM
}
