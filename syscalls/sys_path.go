package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// pathArg copies in a path and builds its PathOperation; it returns the VFS too.
func pathArg(t *kernel.Task, dirfd int32, addr uintptr, follow bool) (*vfs.VirtualFilesystem, *vfs.PathOperation, error) {
	fsc, err := fsContext(t)
	if err != nil {
		return nil, nil, err
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return nil, nil, err
	}
	pop, err := pathOp(t, dirfd, path, follow)
	if err != nil {
		return nil, nil, err
	}
	return fsc.VFS(), pop, nil
}

func mkdirat(t *kernel.Task, dirfd int32, addr uintptr, mode uint32) error {
	v, pop, err := pathArg(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	return v.MkdirAt(vfs.TaskCreds(t), pop, mode&07777&^vfs.TaskFSContext(t).Umask())
}

// Mkdir implements Linux syscall mkdir(2).
func Mkdir(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, mkdirat(t, unix.AT_FDCWD, args.Pointer(0), args.Uint(1))
}

// Mkdirat implements Linux syscall mkdirat(2).
func Mkdirat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, mkdirat(t, args.Int(0), args.Pointer(1), args.Uint(2))
}

func mknodat(t *kernel.Task, dirfd int32, addr uintptr, mode uint32, dev uint32) error {
	v, pop, err := pathArg(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	if mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EPERM
	}
	perm := mode & 07777 &^ vfs.TaskFSContext(t).Umask()
	rdev := unix.Mkdev((dev>>8)&0xfff, dev&0xff|(dev>>12)&0xfff00)
	return v.MknodAt(vfs.TaskCreds(t), pop, mode&unix.S_IFMT|perm, rdev)
}

// Mknod implements Linux syscall mknod(2).
func Mknod(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, mknodat(t, unix.AT_FDCWD, args.Pointer(0), args.Uint(1), args.Uint(2))
}

// Mknodat implements Linux syscall mknodat(2).
func Mknodat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, mknodat(t, args.Int(0), args.Pointer(1), args.Uint(2), args.Uint(3))
}

func rmdir(t *kernel.Task, dirfd int32, addr uintptr) error {
	v, pop, err := pathArg(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	return v.RmdirAt(vfs.TaskCreds(t), pop)
}

func unlink(t *kernel.Task, dirfd int32, addr uintptr) error {
	v, pop, err := pathArg(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	return v.UnlinkAt(vfs.TaskCreds(t), pop)
}

// Rmdir implements Linux syscall rmdir(2).
func Rmdir(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, rmdir(t, unix.AT_FDCWD, args.Pointer(0))
}

// Unlink implements Linux syscall unlink(2).
func Unlink(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, unlink(t, unix.AT_FDCWD, args.Pointer(0))
}

// Unlinkat implements Linux syscall unlinkat(2).
func Unlinkat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(2)
	if flags&^unix.AT_REMOVEDIR != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.AT_REMOVEDIR != 0 {
		return 0, rmdir(t, args.Int(0), args.Pointer(1))
	}
	return 0, unlink(t, args.Int(0), args.Pointer(1))
}

func renameat(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags uint32) error {
	v, oldPop, err := pathArg(t, olddirfd, oldAddr, false)
	if err != nil {
		return err
	}
	_, newPop, err := pathArg(t, newdirfd, newAddr, false)
	if err != nil {
		return err
	}
	return v.RenameAt(vfs.TaskCreds(t), oldPop, newPop, flags)
}

// Rename implements Linux syscall rename(2).
func Rename(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, renameat(t, unix.AT_FDCWD, args.Pointer(0), unix.AT_FDCWD, args.Pointer(1), 0)
}

// Renameat implements Linux syscall renameat(2).
func Renameat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, renameat(t, args.Int(0), args.Pointer(1), args.Int(2), args.Pointer(3), 0)
}

// Renameat2 implements Linux syscall renameat2(2).
func Renameat2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, renameat(t, args.Int(0), args.Pointer(1), args.Int(2), args.Pointer(3), args.Uint(4))
}

func linkat(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags int32) error {
	if flags&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	oldPath, err := copyInPath(t, oldAddr)
	if err != nil {
		return err
	}
	emptyPath := flags&unix.AT_EMPTY_PATH != 0
	if emptyPath && oldPath == "" && !vfs.TaskCreds(t).HasCap(unix.CAP_DAC_READ_SEARCH) {
		// Linking an open file by descriptor needs CAP_DAC_READ_SEARCH.
		return unix.ENOENT
	}
	old, err := resolveAt(t, olddirfd, oldPath, flags&unix.AT_SYMLINK_FOLLOW != 0, emptyPath)
	if err != nil {
		return err
	}
	v, newPop, err := pathArg(t, newdirfd, newAddr, false)
	if err != nil {
		return err
	}
	return v.LinkAt(vfs.TaskCreds(t), old, newPop)
}

// Link implements Linux syscall link(2).
func Link(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, linkat(t, unix.AT_FDCWD, args.Pointer(0), unix.AT_FDCWD, args.Pointer(1), 0)
}

// Linkat implements Linux syscall linkat(2).
func Linkat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, linkat(t, args.Int(0), args.Pointer(1), args.Int(2), args.Pointer(3), args.Int(4))
}

func symlinkat(t *kernel.Task, targetAddr uintptr, dirfd int32, addr uintptr) error {
	target, err := copyInPath(t, targetAddr)
	if err != nil {
		return err
	}
	v, pop, err := pathArg(t, dirfd, addr, false)
	if err != nil {
		return err
	}
	return v.SymlinkAt(vfs.TaskCreds(t), pop, target)
}

// Symlink implements Linux syscall symlink(2).
func Symlink(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, symlinkat(t, args.Pointer(0), unix.AT_FDCWD, args.Pointer(1))
}

// Symlinkat implements Linux syscall symlinkat(2).
func Symlinkat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, symlinkat(t, args.Pointer(0), args.Int(1), args.Pointer(2))
}

func readlinkat(t *kernel.Task, dirfd int32, addr, buf uintptr, size int32) (uintptr, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return 0, err
	}
	if size <= 0 {
		return 0, unix.EINVAL
	}
	// An empty path reads the symlink dirfd refers to (opened with O_PATH|O_NOFOLLOW).
	vd, err := resolveAt(t, dirfd, path, false, true)
	if err != nil {
		return 0, err
	}
	target, err := vfs.ReadlinkTask(t, vd.Dentry)
	if err != nil {
		if path == "" {
			return 0, unix.ENOENT
		}
		return 0, err
	}
	b := []byte(target)
	if len(b) > int(size) {
		b = b[:size]
	}
	if _, err := t.CopyOut(buf, b); err != nil {
		return 0, unix.EFAULT
	}
	return uintptr(len(b)), nil
}

// Readlink implements Linux syscall readlink(2).
func Readlink(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return readlinkat(t, unix.AT_FDCWD, args.Pointer(0), args.Pointer(1), args.Int(2))
}

// Readlinkat implements Linux syscall readlinkat(2).
func Readlinkat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return readlinkat(t, args.Int(0), args.Pointer(1), args.Pointer(2), args.Int(3))
}

func faccessat(t *kernel.Task, dirfd int32, addr uintptr, mode uint32, flags int32) error {
	if mode&^7 != 0 {
		return unix.EINVAL
	}
	if flags&^(unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return unix.EINVAL
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return err
	}
	vd, err := resolveAt(t, dirfd, path, flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return err
	}
	c := vfs.TaskCreds(t)
	if flags&unix.AT_EACCESS == 0 {
		cr := t.ThreadGroup().Creds()
		// access(2) checks as the real ids: a real uid 0 gets the permitted set as effective,
		// any other real uid no capabilities.
		c = &vfs.Creds{UID: cr.RealUID, GID: cr.RealGID, Groups: cr.Groups}
		if cr.RealUID == 0 {
			c.Caps = cr.Caps.Permitted
		}
	}
	return vfs.TaskFSContext(t).VFS().Access(c, vd, mode)
}

// Access implements Linux syscall access(2).
func Access(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, faccessat(t, unix.AT_FDCWD, args.Pointer(0), args.Uint(1), 0)
}

// Faccessat implements Linux syscall faccessat(2) (which has no flags argument).
func Faccessat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, faccessat(t, args.Int(0), args.Pointer(1), args.Uint(2), 0)
}

// Faccessat2 implements Linux syscall faccessat2(2).
func Faccessat2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, faccessat(t, args.Int(0), args.Pointer(1), args.Uint(2), args.Int(3))
}
