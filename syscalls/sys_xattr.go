package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Extended attributes. The sandbox's filesystems do not store them yet (the gofer protocol
// carries them; the VFS has no xattr operations), so every call checks its arguments and
// resolves its file exactly as Linux does — ENOENT, ENOTDIR, EBADF, EFAULT, ERANGE come out
// right — and then reports what a filesystem without xattr support reports: EOPNOTSUPP.
// Programs such as ls(1) and cp(1) treat that as "no attributes".

// xattrNameMax is XATTR_NAME_MAX.
const xattrNameMax = 255

// xattrPath resolves the file of a path-based xattr call.
func xattrPath(t *kernel.Task, pathAddr uintptr, follow bool) error {
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return err
	}
	_, err = resolveAt(t, unix.AT_FDCWD, path, follow, false)
	return err
}

// xattrName checks an attribute name as Linux does: ERANGE if it is empty or longer than
// XATTR_NAME_MAX.
func xattrName(t *kernel.Task, addr uintptr) error {
	name, err := t.CopyInString(addr, xattrNameMax+1)
	if err == unix.ENAMETOOLONG || (err == nil && name == "") {
		return unix.ERANGE
	}
	return err
}

func xattrFD(t *kernel.Task, fd int32) error {
	ref, err := getFile(t, fd)
	if err != nil {
		return err
	}
	ref.DecRef()
	return nil
}

func getxattr(t *kernel.Task, resolve func() error, nameAddr uintptr) (uintptr, error) {
	if err := resolve(); err != nil {
		return 0, err
	}
	if err := xattrName(t, nameAddr); err != nil {
		return 0, err
	}
	return 0, unix.EOPNOTSUPP
}

// Getxattr implements Linux syscall getxattr(2).
func Getxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrPath(t, args.Pointer(0), true) }, args.Pointer(1))
}

// Lgetxattr implements Linux syscall lgetxattr(2).
func Lgetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrPath(t, args.Pointer(0), false) }, args.Pointer(1))
}

// Fgetxattr implements Linux syscall fgetxattr(2).
func Fgetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrFD(t, args.Int(0)) }, args.Pointer(1))
}

// Setxattr implements Linux syscall setxattr(2).
func Setxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, func() error { return xattrPath(t, args.Pointer(0), true) }, args)
}

// Lsetxattr implements Linux syscall lsetxattr(2).
func Lsetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, func() error { return xattrPath(t, args.Pointer(0), false) }, args)
}

// Fsetxattr implements Linux syscall fsetxattr(2).
func Fsetxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return setxattr(t, func() error { return xattrFD(t, args.Int(0)) }, args)
}

func setxattr(t *kernel.Task, resolve func() error, args arch.SyscallArguments) (uintptr, error) {
	if flags := args.Int(4); flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return 0, unix.EINVAL
	}
	if args[3] > 1<<16 { // XATTR_SIZE_MAX
		return 0, unix.E2BIG
	}
	return getxattr(t, resolve, args.Pointer(1))
}

func listxattr(resolve func() error) (uintptr, error) {
	if err := resolve(); err != nil {
		return 0, err
	}
	return 0, unix.EOPNOTSUPP
}

// Listxattr implements Linux syscall listxattr(2).
func Listxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(func() error { return xattrPath(t, args.Pointer(0), true) })
}

// Llistxattr implements Linux syscall llistxattr(2).
func Llistxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(func() error { return xattrPath(t, args.Pointer(0), false) })
}

// Flistxattr implements Linux syscall flistxattr(2).
func Flistxattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return listxattr(func() error { return xattrFD(t, args.Int(0)) })
}

// Removexattr implements Linux syscall removexattr(2).
func Removexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrPath(t, args.Pointer(0), true) }, args.Pointer(1))
}

// Lremovexattr implements Linux syscall lremovexattr(2).
func Lremovexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrPath(t, args.Pointer(0), false) }, args.Pointer(1))
}

// Fremovexattr implements Linux syscall fremovexattr(2).
func Fremovexattr(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return getxattr(t, func() error { return xattrFD(t, args.Int(0)) }, args.Pointer(1))
}
