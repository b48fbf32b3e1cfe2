// Package mqueue is the POSIX message queue filesystem ("mqueue", mounted on /dev/mqueue by
// OCI runtimes): a directory (mode 1777) whose files are message queues. As on Linux, a
// queue is made by creating a regular file (open with O_CREAT, or mknod), removed by
// unlink, and reading it gives its status line; directories, links, symlinks, renames and
// other file types are refused with EPERM.
//
// Not yet: the mq_* system calls (mq_open and friends are ENOSYS in the syscall table), so
// queues hold no messages and their status is always empty; each mount is its own instance
// (on Linux every mount in an IPC namespace shows the same queues); a queue's st_size is 0
// (Linux reports 80).
package mqueue

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "mqueue"

// magic is MQUEUE_MAGIC, statfs's f_type.
const magic = 0x19800202

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

// NewFilesystem implements vfs.FilesystemType. Options are tmpfs's mode=, uid= and gid=
// (the root is 1777 by default).
func (fsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	if opts.Data == "" {
		opts.Data = "mode=1777"
	}
	opts.Private = nil // queues keep no data in the memory file
	fs, root, err := tmpfs.New(opts)
	if err != nil {
		return nil, nil, err
	}
	return filesystem{fs}, &dir{Dir: root, fs: fs}, nil
}

// filesystem is the mqueue instance: a tmpfs underneath, reporting what Linux's does.
type filesystem struct{ *tmpfs.Filesystem }

// StatFS implements vfs.FilesystemImpl: the mqueue magic and, as Linux's simple_statfs,
// no block or inode counts.
func (filesystem) StatFS() (unix.Statfs_t, error) {
	return unix.Statfs_t{Type: magic, Bsize: 4096, Namelen: 255}, nil
}

// dir is the root directory: a tmpfs directory that holds only queues.
type dir struct {
	*tmpfs.Dir
	fs *tmpfs.Filesystem
}

var _ vfs.DirInode = (*dir)(nil)

// Mknod implements vfs.DirInode: a regular file is a new queue; anything else is EPERM
// (Linux's mqueue has no mkdir, symlink or mknod of other types).
func (d *dir) Mknod(name string, a vfs.CreateArgs) (vfs.Inode, error) {
	if a.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EPERM
	}
	q := d.fs.NewSpecial(a, func(uint32) (vfs.FileDescriptionImpl, error) { return queueFD{}, nil })
	return q, d.Add(name, q)
}

// Link implements vfs.DirInode: EPERM, as Linux's mqueue has no link operation.
func (d *dir) Link(string, vfs.Inode) error { return unix.EPERM }

// Rename implements vfs.DirInode: EPERM, as Linux's mqueue has no rename operation.
func (d *dir) Rename(string, vfs.Inode, vfs.DirInode, string, vfs.Inode, uint32) error {
	return unix.EPERM
}

// status is what reading a queue gives: Linux's format, for a queue with no messages and
// no notification registered (the only kind there is without mq_* system calls).
const status = "QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n"

// queueFD is an open queue file: reads give the status line; writes are EINVAL, as Linux's
// queue files have no write operation.
type queueFD struct{ vfs.DefaultImpl }

// Read implements vfs.FileDescriptionImpl.
func (queueFD) Read(_ *kernel.Task, dst []byte, off int64) (int, error) {
	if off >= int64(len(status)) {
		return 0, nil
	}
	return copy(dst, status[off:]), nil
}

// Seek implements vfs.FileDescriptionImpl: the status line is seekable like a file.
func (queueFD) Seek(_ *kernel.Task, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, off, whence, int64(len(status)))
}
