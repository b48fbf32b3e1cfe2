package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Extended attributes. The syscalls check their arguments (name length: ERANGE; value
// size: E2BIG; flags: EINVAL), resolve the file, and leave permissions and storage to the
// VFS (vfs.XattrInode: tmpfs stores them, the gofer passes user.* to the host, the overlay
// copies them up). Descriptors outside the VFS (pipes, sockets, eventfds) have no
// attributes: Linux's rules for a file that is neither regular nor a directory apply.

const (
	// xattrNameMax is XATTR_NAME_MAX.
	xattrNameMax = 255
	// xattrSizeMax is XATTR_SIZE_MAX, the largest value.
	xattrSizeMax = 1 << 16
	// xattrListMax is XATTR_LIST_MAX, the largest list of names.
	xattrListMax = 1 << 16
)

// xattrFile is the file of an xattr call: a VFS dentry, or (vd.Dentry nil) a descriptor
// outside the VFS.
type xattrFile struct {
	vd vfs.VirtualDentry
}

// xattrPath resolves the file of a path-based xattr call.
func xattrPath(t *kernel.Task, pathAddr uintptr, follow bool) (xattrFile, error) {
	vd, err := resolvePath(t, pathAddr, follow)
	return xattrFile{vd}, err
}

// xattrFD returns the file of an f*xattr call: EBADF for O_PATH descriptors, as Linux.
func xattrFD(t *kernel.Task, fd int32) (xattrFile, error) {
	f, ref, err := vfsFile(t, fd, false, nil)
	if err != nil || f == nil {
		return xattrFile{}, err
	}
	defer ref.DecRef()
	return xattrFile{f.VirtualDentry()}, nil
}

// xattrBy says how an xattr syscall names its file in its first argument: a path,
// followed (getxattr) or not (lgetxattr), or a descriptor (fgetxattr).
type xattrBy int

const (
	xattrByPath xattrBy = iota
	xattrByLinkPath
	xattrByFD
)

// resolve returns the file that the first argument of the call names.
func (by xattrBy) resolve(t *kernel.Task, args arch.SyscallArguments) (xattrFile, error) {
	if by == xattrByFD {
		return xattrFD(t, args.Int(0))
	}
	return xattrPath(t, args.Pointer(0), by == xattrByPath)
}

// xattrName copies in an attribute name: ERANGE if it is empty or longer than
// XATTR_NAME_MAX.
func xattrName(t *kernel.Task, addr uintptr) (string, error) {
	name, err := t.CopyInString(addr, xattrNameMax+1)
	if err == unix.ENAMETOOLONG || (err == nil && name == "") {
		return "", unix.ERANGE
	}
	return name, err
}

// notVFSXattr answers for a descriptor outside the VFS: an inode that is neither a regular
// file nor a directory, on a filesystem that stores no attributes.
func notVFSXattr(t *kernel.Task, name string, write bool) error {
	c := vfs.TaskCreds(t)
	if err := vfs.XattrPermission(c, name, write, unix.S_IFIFO|0600, c.UID, c.GID); err != nil {
		return err
	}
	return unix.EOPNOTSUPP
}

// getxattr copies in the name first, then resolves the file (as Linux since 6.13).
func getxattr(t *kernel.Task, by xattrBy, args arch.SyscallArguments) (uintptr, error) {
	name, err := xattrName(t, args.Pointer(1))
	if err != nil {
		return 0, err
	}
	f, err := by.resolve(t, args)
	if err != nil {
		return 0, err
	}
	if f.vd.Dentry == nil {
		return 0, notVFSXattr(t, name, false)
	}
	val, err := vfs.TaskFSContext(t).VFS().GetXattr(vfs.TaskCreds(t), f.vd, name)
	if err != nil {
		return 0, err
	}
	size := uint64(args[3])
	if size == 0 {
		return uintptr(len(val)), nil
	}
	if uint64(len(val)) > min(size, xattrSizeMax) {
		return 0, unix.ERANGE
	}
	if _, err := t.CopyOut(args.Pointer(2), val); err != nil {
		return 0, err
	}
	return uintptr(len(val)), nil
}

// Getxattr implements Linux syscall getxattr(2).
func Getxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, xattrByPath, args)
}

// Lgetxattr implements Linux syscall lgetxattr(2).
func Lgetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, xattrByLinkPath, args)
}

// Fgetxattr implements Linux syscall fgetxattr(2).
func Fgetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, xattrByFD, args)
}

// Setxattr implements Linux syscall setxattr(2).
func Setxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, xattrByPath, args)
}

// Lsetxattr implements Linux syscall lsetxattr(2).
func Lsetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, xattrByLinkPath, args)
}

// Fsetxattr implements Linux syscall fsetxattr(2).
func Fsetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, xattrByFD, args)
}

// setxattr copies in the name and value first (setxattr_copy), then resolves the file.
func setxattr(t *kernel.Task, by xattrBy, args arch.SyscallArguments) (uintptr, error) {
	flags := uint32(args.Int(4))
	if flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return 0, unix.EINVAL
	}
	name, err := xattrName(t, args.Pointer(1))
	if err != nil {
		return 0, err
	}
	size := uint64(args[3])
	if size > xattrSizeMax {
		return 0, unix.E2BIG
	}
	val := make([]byte, size)
	if size > 0 {
		if _, err := t.CopyIn(args.Pointer(2), val); err != nil {
			return 0, err
		}
	}
	f, err := by.resolve(t, args)
	if err != nil {
		return 0, err
	}
	if f.vd.Dentry == nil {
		return 0, notVFSXattr(t, name, true)
	}
	return 0, vfs.TaskFSContext(t).VFS().SetXattr(vfs.TaskCreds(t), f.vd, name, val, flags)
}

func listxattr(t *kernel.Task, by xattrBy, args arch.SyscallArguments) (uintptr, error) {
	f, err := by.resolve(t, args)
	if err != nil {
		return 0, err
	}
	if f.vd.Dentry == nil {
		return 0, nil
	}
	names, err := vfs.TaskFSContext(t).VFS().ListXattr(vfs.TaskCreds(t), f.vd)
	if err != nil {
		return 0, err
	}
	var total int
	for _, n := range names {
		total += len(n) + 1
	}
	size := uint64(args[2])
	if size == 0 {
		return uintptr(total), nil
	}
	if size = min(size, xattrListMax); uint64(total) > size {
		// A buffer of the largest size that is still too small: the list cannot be had.
		if size == xattrListMax {
			return 0, unix.E2BIG
		}
		return 0, unix.ERANGE
	}
	buf := make([]byte, 0, total)
	for _, n := range names {
		buf = append(append(buf, n...), 0)
	}
	if _, err := t.CopyOut(args.Pointer(1), buf); err != nil {
		return 0, err
	}
	return uintptr(total), nil
}

// Listxattr implements Linux syscall listxattr(2).
func Listxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(t, xattrByPath, args)
}

// Llistxattr implements Linux syscall llistxattr(2).
func Llistxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(t, xattrByLinkPath, args)
}

// Flistxattr implements Linux syscall flistxattr(2).
func Flistxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(t, xattrByFD, args)
}

func removexattr(t *kernel.Task, by xattrBy, args arch.SyscallArguments) (uintptr, error) {
	name, err := xattrName(t, args.Pointer(1))
	if err != nil {
		return 0, err
	}
	f, err := by.resolve(t, args)
	if err != nil {
		return 0, err
	}
	if f.vd.Dentry == nil {
		return 0, notVFSXattr(t, name, true)
	}
	return 0, vfs.TaskFSContext(t).VFS().RemoveXattr(vfs.TaskCreds(t), f.vd, name)
}

// Removexattr implements Linux syscall removexattr(2).
func Removexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return removexattr(t, xattrByPath, args)
}

// Lremovexattr implements Linux syscall lremovexattr(2).
func Lremovexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return removexattr(t, xattrByLinkPath, args)
}

// Fremovexattr implements Linux syscall fremovexattr(2).
func Fremovexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return removexattr(t, xattrByFD, args)
}
