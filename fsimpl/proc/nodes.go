package proc

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// attrs are the attributes every procfs inode has. owner, if set, gives the uid and gid
// (a process's files belong to its effective ids); otherwise root owns the file.
type attrs struct {
	ino   uint64
	mode  uint32
	owner func() (uid, gid uint32)
	// valid, if set, says whether the inode still describes something that exists (a
	// process, a thread, a descriptor); its directory's Revalidate asks it.
	valid func() bool
}

// Stat implements vfs.Inode.
func (a *attrs) Stat() (vfs.Stat, error) {
	ts := firstMount()
	st := vfs.Stat{Mode: a.mode, Nlink: 1, Ino: a.ino, Blksize: 4096, Atime: ts, Mtime: ts, Ctime: ts}
	if a.mode&unix.S_IFMT == unix.S_IFDIR {
		st.Nlink = 2
	}
	if a.owner != nil {
		st.UID, st.GID = a.owner()
	}
	return st, nil
}

// SetStat implements vfs.Inode: procfs attributes are fixed.
func (*attrs) SetStat(*vfs.SetStat) error { return unix.EPERM }

// mountedAt is when the first procfs instance was created: every file's timestamps.
var mountedAt atomic.Int64

func firstMount() time.Time {
	mountedAt.CompareAndSwap(0, time.Now().UnixNano())
	return time.Unix(0, mountedAt.Load())
}

func (a *attrs) isValid() bool { return a.valid == nil || a.valid() }

// validator is implemented by every procfs inode.
type validator interface{ isValid() bool }

// dir is a procfs directory: list gives its entries, lookup finds one (ENOENT if none).
type dir struct {
	attrs
	list   func() []vfs.Dirent
	lookup func(name string) (vfs.Inode, error)
}

var (
	_ vfs.DirInode    = (*dir)(nil)
	_ vfs.Revalidator = (*dir)(nil)
)

// Open implements vfs.Inode (the VFS opens directories itself).
func (*dir) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// Lookup implements vfs.DirInode.
func (d *dir) Lookup(name string) (vfs.Inode, error) {
	if !d.isValid() {
		return nil, unix.ENOENT
	}
	return d.lookup(name)
}

// Readdir implements vfs.DirInode.
func (d *dir) Readdir() ([]vfs.Dirent, error) {
	if !d.isValid() {
		return nil, unix.ENOENT
	}
	return d.list(), nil
}

// Revalidate implements vfs.Revalidator: a cached child is kept while what it describes
// exists.
func (d *dir) Revalidate(_ string, child vfs.Inode) bool {
	if v, ok := child.(validator); ok {
		return v.isValid()
	}
	return true
}

// Mknod implements vfs.DirInode.
func (*dir) Mknod(string, vfs.CreateArgs) (vfs.Inode, error) { return nil, unix.EACCES }

// Link implements vfs.DirInode.
func (*dir) Link(string, vfs.Inode) error { return unix.EACCES }

// Unlink implements vfs.DirInode.
func (*dir) Unlink(string, vfs.Inode) error { return unix.EACCES }

// Rmdir implements vfs.DirInode.
func (*dir) Rmdir(string, vfs.Inode) error { return unix.EACCES }

// Rename implements vfs.DirInode.
func (*dir) Rename(string, vfs.Inode, vfs.DirInode, string, vfs.Inode, uint32) error {
	return unix.EACCES
}

// node is an entry of a fixed directory: how to make its inode.
type node struct {
	name string
	typ  uint8 // DT_*
	make func() vfs.Inode
}

// fixedDir returns a directory of the given nodes (plus extra, for dynamic entries).
func (fs *Filesystem) fixedDir(a attrs, nodes []node) *dir {
	d := &dir{attrs: a}
	d.list = func() []vfs.Dirent {
		out := make([]vfs.Dirent, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, vfs.Dirent{Name: n.name, Type: n.typ, Ino: fs.ino()})
		}
		return out
	}
	d.lookup = func(name string) (vfs.Inode, error) {
		for _, n := range nodes {
			if n.name == name {
				return n.make(), nil
			}
		}
		return nil, unix.ENOENT
	}
	return d
}

// file is a generated file: gen makes its contents for the reading task (nil for
// in-kernel readers), write (if set) takes a write.
type file struct {
	attrs
	gen   func(t *kernel.Task) ([]byte, error)
	write func(t *kernel.Task, data []byte) error
}

var _ vfs.Inode = (*file)(nil)

// Open implements vfs.Inode.
func (f *file) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	if !f.isValid() {
		return nil, unix.ESRCH
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY && f.write == nil {
		return nil, unix.EACCES
	}
	return &fileFD{f: f}, nil
}

// fileFD is an open generated file: the contents are made at the first read and again at
// each read from offset 0, like a seq file's.
type fileFD struct {
	vfs.DefaultImpl
	f *file

	mu sync.Mutex
	// data is the snapshot and have says whether it was taken. Guarded by mu.
	data []byte
	have bool
}

// Read implements vfs.FileDescriptionImpl.
func (fd *fileFD) Read(t *kernel.Task, dst []byte, off int64) (int, error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if !fd.have || off == 0 {
		if !fd.f.isValid() {
			return 0, unix.ESRCH
		}
		b, err := fd.f.gen(t)
		if err != nil {
			return 0, err
		}
		fd.data, fd.have = b, true
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= int64(len(fd.data)) {
		return 0, nil
	}
	return copy(dst, fd.data[off:]), nil
}

// Write implements vfs.FileDescriptionImpl: each write is one complete value.
func (fd *fileFD) Write(t *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	if fd.f.write == nil {
		return 0, off, unix.EINVAL
	}
	if !fd.f.isValid() {
		return 0, off, unix.ESRCH
	}
	if err := fd.f.write(t, src); err != nil {
		return 0, off, err
	}
	return len(src), off + int64(len(src)), nil
}

// Seek implements vfs.FileDescriptionImpl: SEEK_SET and SEEK_CUR, as seq files allow.
func (fd *fileFD) Seek(_ *kernel.Task, cur, off int64, whence int) (int64, error) {
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += cur
	default:
		return 0, unix.EINVAL
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return off, nil
}

// symlink is a generated symlink: target computes it for the task that reads or follows
// it (nil when no task is known).
type symlink struct {
	attrs
	target func(t *kernel.Task) (string, error)
}

var _ vfs.TaskSymlinkInode = (*symlink)(nil)

// Open implements vfs.Inode.
func (*symlink) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.ELOOP }

// Readlink implements vfs.SymlinkInode.
func (s *symlink) Readlink() (string, error) { return s.ReadlinkTask(nil) }

// ReadlinkTask implements vfs.TaskSymlinkInode.
func (s *symlink) ReadlinkTask(t *kernel.Task) (string, error) {
	if !s.isValid() {
		return "", unix.ENOENT
	}
	return s.target(t)
}

// Helpers to build inodes.

func (fs *Filesystem) newFile(mode uint32, gen func(t *kernel.Task) ([]byte, error)) *file {
	return &file{attrs: attrs{ino: fs.ino(), mode: unix.S_IFREG | mode}, gen: gen}
}

func (fs *Filesystem) staticFile(text string) func() vfs.Inode {
	return func() vfs.Inode {
		return fs.newFile(0444, func(*kernel.Task) ([]byte, error) { return []byte(text), nil })
	}
}

func (fs *Filesystem) newSymlink(target func(t *kernel.Task) (string, error)) *symlink {
	return &symlink{attrs: attrs{ino: fs.ino(), mode: unix.S_IFLNK | 0777}, target: target}
}
