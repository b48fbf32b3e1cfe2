package vfs

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// FileDescription is an open file of the VFS. It implements kernel.File.
type FileDescription struct {
	kernel.FileBase
	vfs *VirtualFilesystem
	vd  VirtualDentry
	// impl is the filesystem's implementation (nil for O_PATH).
	impl FileDescriptionImpl
	// path is set for O_PATH descriptions, which do no I/O.
	path bool

	offMu sync.Mutex
	// off is the file offset. Guarded by offMu.
	off int64
}

var _ kernel.File = (*FileDescription)(nil)

// Waitable is implemented by FileDescriptionImpls whose readiness changes (devices, pipes).
type Waitable = waiter.Waitable

// NewFileDescription wraps impl, an open file at vd, with the given status flags. It is for
// filesystems and callers that build files outside OpenAt.
func (v *VirtualFilesystem) NewFileDescription(vd VirtualDentry, impl FileDescriptionImpl, flags uint32) *FileDescription {
	fd := &FileDescription{vfs: v, vd: vd, impl: impl}
	if vd.Mount != nil {
		vd.hold()
	}
	fd.InitFlags(flags)
	if vd.Dentry != nil {
		notifyOpened(fd)
	}
	return fd
}

// VirtualDentry returns the file's location.
func (fd *FileDescription) VirtualDentry() VirtualDentry { return fd.vd }

// Dentry returns the file's dentry.
func (fd *FileDescription) Dentry() *Dentry { return fd.vd.Dentry }

// Impl returns the filesystem's implementation (nil for O_PATH).
func (fd *FileDescription) Impl() FileDescriptionImpl { return fd.impl }

// IsPath reports whether fd was opened with O_PATH.
func (fd *FileDescription) IsPath() bool { return fd.path }

// Readable reports whether fd was opened for reading.
func (fd *FileDescription) Readable() bool {
	a := fd.StatusFlags() & unix.O_ACCMODE
	return !fd.path && (a == unix.O_RDONLY || a == unix.O_RDWR)
}

// Writable reports whether fd was opened for writing.
func (fd *FileDescription) Writable() bool {
	a := fd.StatusFlags() & unix.O_ACCMODE
	return !fd.path && (a == unix.O_WRONLY || a == unix.O_RDWR)
}

// Read implements kernel.File.
func (fd *FileDescription) Read(t *kernel.Task, dst []byte) (int, error) {
	if !fd.Readable() {
		return 0, unix.EBADF
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	n, err := fd.impl.Read(t, dst, fd.off)
	fd.off += int64(n)
	if n > 0 {
		notifyChild(fd.vd.Dentry, InAccess)
	}
	return n, err
}

// PRead reads at off without moving the file offset (pread(2)).
func (fd *FileDescription) PRead(t *kernel.Task, dst []byte, off int64) (int, error) {
	if !fd.Readable() {
		return 0, unix.EBADF
	}
	n, err := fd.impl.Read(t, dst, off)
	if n > 0 {
		notifyChild(fd.vd.Dentry, InAccess)
	}
	return n, err
}

// Write implements kernel.File.
func (fd *FileDescription) Write(t *kernel.Task, src []byte) (int, error) {
	if !fd.Writable() {
		return 0, unix.EBADF
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	n, end, err := fd.impl.Write(t, src, fd.off, fd.StatusFlags()&unix.O_APPEND != 0)
	if n > 0 || err == nil {
		fd.off = end
	}
	if n > 0 {
		notifyChild(fd.vd.Dentry, InModify)
	}
	return n, err
}

// PWrite writes at off without moving the file offset (pwrite(2)). As in Linux, a file
// opened with O_APPEND appends regardless of off.
func (fd *FileDescription) PWrite(t *kernel.Task, src []byte, off int64) (int, error) {
	if !fd.Writable() {
		return 0, unix.EBADF
	}
	n, _, err := fd.impl.Write(t, src, off, fd.StatusFlags()&unix.O_APPEND != 0)
	if n > 0 {
		notifyChild(fd.vd.Dentry, InModify)
	}
	return n, err
}

// WriteAppend writes src at the end of the file whatever the description's O_APPEND
// (pwritev2's RWF_APPEND). With updateOff the file offset moves past the write, as for
// write(2); without, it stays (the positional form).
func (fd *FileDescription) WriteAppend(t *kernel.Task, src []byte, updateOff bool) (int, error) {
	if !fd.Writable() {
		return 0, unix.EBADF
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	n, end, err := fd.impl.Write(t, src, fd.off, true)
	if updateOff && (n > 0 || err == nil) {
		fd.off = end
	}
	if n > 0 {
		notifyChild(fd.vd.Dentry, InModify)
	}
	return n, err
}

// Seek implements kernel.File.
func (fd *FileDescription) Seek(t *kernel.Task, offset int64, whence int) (int64, error) {
	if fd.path {
		return 0, unix.EBADF
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	n, err := fd.impl.Seek(t, fd.off, offset, whence)
	if err != nil {
		return 0, err
	}
	fd.off = n
	return n, nil
}

// Stat implements kernel.File.
func (fd *FileDescription) Stat(t *kernel.Task) (unix.Stat_t, error) {
	st, err := fd.vd.Dentry.Stat()
	if err != nil {
		return unix.Stat_t{}, err
	}
	return st.ToStatT(), nil
}

// StatX returns the file's attributes.
func (fd *FileDescription) StatX() (Stat, error) { return fd.vd.Dentry.Stat() }

// Ioctl implements kernel.File.
func (fd *FileDescription) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	if fd.path {
		return 0, unix.EBADF
	}
	return fd.impl.Ioctl(t, cmd, arg)
}

// Readiness implements kernel.File.
func (fd *FileDescription) Readiness(mask waiter.EventMask) waiter.EventMask {
	if w, ok := fd.impl.(Waitable); ok {
		return w.Readiness(mask)
	}
	if fd.path {
		return 0
	}
	return fd.FileBase.Readiness(mask)
}

// EventRegister implements kernel.File.
func (fd *FileDescription) EventRegister(e *waiter.Entry) {
	if w, ok := fd.impl.(Waitable); ok {
		w.EventRegister(e)
	}
}

// EventUnregister implements kernel.File.
func (fd *FileDescription) EventUnregister(e *waiter.Entry) {
	if w, ok := fd.impl.(Waitable); ok {
		w.EventUnregister(e)
	}
}

// SetStatusFlags implements kernel.File: O_PATH files keep their flags.
func (fd *FileDescription) SetStatusFlags(f uint32) {
	if fd.path {
		return
	}
	fd.FileBase.SetStatusFlags(f)
}

// Release implements kernel.File.
func (fd *FileDescription) Release() {
	notifyClosed(fd)
	if fd.vd.Mount != nil {
		fd.vd.release()
	}
	fd.releaseFileLocks()
	if fd.impl != nil {
		fd.impl.Release()
	}
}

// Sync is fsync(2).
func (fd *FileDescription) Sync() error {
	if fd.path {
		return unix.EBADF
	}
	return fd.impl.Sync()
}

// Allocate is fallocate(2) with mode 0.
func (fd *FileDescription) Allocate(off, length int64) error {
	if !fd.Writable() {
		return unix.EBADF
	}
	if fd.vd.Dentry.IsDir() {
		return unix.EISDIR
	}
	if fd.vd.Dentry.Type() != unix.S_IFREG {
		return unix.ENODEV
	}
	if err := fd.impl.Allocate(off, length); err != nil {
		return err
	}
	notifyChild(fd.vd.Dentry, InModify)
	return nil
}

// DirIterator is implemented by directory FileDescriptionImpls.
type DirIterator interface {
	// IterDirents emits entries from position off until emit returns false, and returns
	// the position after the last entry emitted.
	IterDirents(off int64, emit func(d Dirent, next int64) bool) (int64, error)
}

// IterDirents is getdents(2): entries from the file offset, advancing it.
func (fd *FileDescription) IterDirents(emit func(d Dirent, next int64) bool) error {
	if fd.path {
		return unix.EBADF
	}
	it, ok := fd.impl.(DirIterator)
	if !ok {
		return unix.ENOTDIR
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	off, err := it.IterDirents(fd.off, emit)
	fd.off = off
	return err
}

// dirImpl is the generic directory file: getdents over DirInode.Readdir, with "." and "..".
type dirImpl struct {
	DefaultImpl
	vfs *VirtualFilesystem
	vd  VirtualDentry

	// entries is the listing taken when iteration starts at offset 0. Guarded by the
	// FileDescription's offMu (all callers hold it).
	entries []Dirent
}

// Read implements FileDescriptionImpl.
func (*dirImpl) Read(*kernel.Task, []byte, int64) (int, error) { return 0, unix.EISDIR }

// Write implements FileDescriptionImpl.
func (*dirImpl) Write(*kernel.Task, []byte, int64, bool) (int, int64, error) {
	return 0, 0, unix.EBADF
}

// Seek implements FileDescriptionImpl: as tmpfs's dcache_dir_lseek, SEEK_SET and SEEK_CUR.
func (*dirImpl) Seek(_ *kernel.Task, cur, off int64, whence int) (int64, error) {
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

// IterDirents implements DirIterator. Position 0 is ".", 1 is "..", 2+i is entries[i].
func (di *dirImpl) IterDirents(off int64, emit func(Dirent, int64) bool) (int64, error) {
	d := di.vd.Dentry
	if off == 0 || di.entries == nil {
		if d.IsDead() {
			di.entries = []Dirent{}
		} else {
			dir, err := d.dir()
			if err != nil {
				return off, err
			}
			ents, err := dir.Readdir()
			if err != nil {
				return off, err
			}
			di.entries = ents
		}
	}
	for ; ; off++ {
		var de Dirent
		switch {
		case off == 0:
			st, _ := d.inode.Stat()
			de = Dirent{Name: ".", Ino: st.Ino, Type: unix.DT_DIR}
		case off == 1:
			p := d.Parent()
			if d == di.vd.Mount.root {
				if pv, ok := di.vfs.mountParent(di.vd.Mount); ok {
					p = pv.Dentry
				}
			}
			st, _ := p.inode.Stat()
			de = Dirent{Name: "..", Ino: st.Ino, Type: unix.DT_DIR}
		case off-2 < int64(len(di.entries)):
			de = di.entries[off-2]
		default:
			return off, nil
		}
		if !emit(de, off+1) {
			return off, nil
		}
	}
}
