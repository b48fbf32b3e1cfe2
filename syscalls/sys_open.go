package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// noteFifos explains what path-based syscalls leave out.
const noteFifos = "fifos open as pipes (fifo(7)); sockets and unknown devices return ENXIO"

// copyInPath reads a path argument: ENAMETOOLONG beyond PATH_MAX, EFAULT on a bad pointer.
func copyInPath(t *kernel.Task, addr uintptr) (string, error) {
	return t.CopyInString(addr, vfs.PathMax)
}

// fsContext returns t's filesystem context (ENOENT for a task without a filesystem).
func fsContext(t *kernel.Task) (*vfs.FSContext, error) {
	c := vfs.TaskFSContext(t)
	if c == nil {
		return nil, unix.ENOENT
	}
	return c, nil
}

// pathOp builds the PathOperation for (dirfd, path).
func pathOp(t *kernel.Task, dirfd int32, path string, follow bool) (*vfs.PathOperation, error) {
	if path == "" {
		return nil, unix.ENOENT
	}
	return vfs.TaskPathOperation(t, dirfd, path, follow)
}

// vfsFile returns fd's VFS file description. O_PATH descriptions are refused with EBADF
// unless allowPath (the *at dirfds, fstat, fchdir...); files outside the VFS (host stdio,
// eventfd, epoll) give notVFS.
func vfsFile(t *kernel.Task, fd int32, allowPath bool, notVFS error) (*vfs.FileDescription, *kernel.FileRef, error) {
	ref, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	f, ok := ref.File.(*vfs.FileDescription)
	if !ok {
		ref.DecRef()
		return nil, nil, notVFS
	}
	if f.IsPath() && !allowPath {
		ref.DecRef()
		return nil, nil, unix.EBADF
	}
	return f, ref, nil
}

// resolveAt resolves (dirfd, path) for the *at syscalls: AT_EMPTY_PATH with "" means dirfd
// itself (any descriptor, O_PATH included).
func resolveAt(t *kernel.Task, dirfd int32, path string, follow, emptyPath bool) (vfs.VirtualDentry, error) {
	fsc, err := fsContext(t)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	if path == "" && emptyPath {
		if dirfd == unix.AT_FDCWD {
			return fsc.Cwd(), nil
		}
		f, ref, err := vfsFile(t, dirfd, true, unix.EBADF)
		if err != nil {
			return vfs.VirtualDentry{}, err
		}
		defer ref.DecRef()
		return f.VirtualDentry(), nil
	}
	pop, err := pathOp(t, dirfd, path, follow)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	return fsc.VFS().GetDentry(vfs.TaskCreds(t), pop)
}

// resolvePath copies in the path at addr and resolves it from the working directory, as
// the path-only syscalls (chdir, statfs, truncate, mount...) do.
func resolvePath(t *kernel.Task, addr uintptr, follow bool) (vfs.VirtualDentry, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	return resolveAt(t, unix.AT_FDCWD, path, follow, false)
}

// validOpenFlags are the flags openat2 accepts (VALID_OPEN_FLAGS).
const validOpenFlags = unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC |
	unix.O_APPEND | unix.O_NONBLOCK | unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT | unix.O_LARGEFILE |
	unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NOATIME | unix.O_CLOEXEC | unix.O_PATH | unix.O_TMPFILE |
	unix.O_SYNC

// openAt is the common part of the open family; strict is openat2's stricter flag checking.
func openAt(t *kernel.Task, dirfd int32, pathAddr uintptr, flags uint64, mode uint64, resolve uint64, strict bool) (uintptr, error) {
	if strict {
		if flags&^validOpenFlags != 0 {
			return 0, unix.EINVAL
		}
		if flags&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
			if mode&^07777 != 0 {
				return 0, unix.EINVAL
			}
		} else if mode != 0 {
			return 0, unix.EINVAL
		}
		if resolve&^(vfs.ResolveNoXdev|vfs.ResolveNoMagiclinks|vfs.ResolveNoSymlinks|vfs.ResolveBeneath|vfs.ResolveInRoot|vfs.ResolveCached) != 0 {
			return 0, unix.EINVAL
		}
		if resolve&(vfs.ResolveBeneath|vfs.ResolveInRoot) == vfs.ResolveBeneath|vfs.ResolveInRoot {
			return 0, unix.EINVAL
		}
		if flags&unix.O_PATH != 0 && flags&^(unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC) != 0 {
			return 0, unix.EINVAL
		}
		if resolve&vfs.ResolveCached != 0 && flags&(unix.O_TRUNC|unix.O_CREAT|unix.O_TMPFILE) != 0 {
			return 0, unix.EAGAIN
		}
	}
	fl := uint32(flags)
	if fl&unix.O_TMPFILE == unix.O_TMPFILE {
		// O_TMPFILE must come with write access; the unnamed file itself is not supported
		// yet.
		if fl&unix.O_ACCMODE == unix.O_RDONLY {
			return 0, unix.EINVAL
		}
		return 0, unix.EOPNOTSUPP
	}
	if fl&(unix.O_CREAT|unix.O_DIRECTORY) == unix.O_CREAT|unix.O_DIRECTORY {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return 0, err
	}
	fsc, err := fsContext(t)
	if err != nil {
		return 0, err
	}
	pop, err := pathOp(t, dirfd, path, fl&unix.O_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	pop.Resolve = resolve
	f, err := fsc.VFS().OpenAt(vfs.TaskCreds(t), pop, fl, uint32(mode)&07777&^fsc.Umask())
	if err != nil {
		return 0, err
	}
	ref := kernel.NewFileRef(f)
	defer ref.DecRef()
	if err := vfs.WaitOpen(t, f); err != nil {
		return 0, err
	}
	fd, err := t.FDTable().NewFD(ref, 0, fl&unix.O_CLOEXEC != 0, fdLimit(t))
	return uintptr(fd), err
}

// Open implements Linux syscall open(2).
func Open(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return openAt(t, unix.AT_FDCWD, args.Pointer(0), uint64(args.Uint(1)), uint64(args.Uint(2)), 0, false)
}

// Openat implements Linux syscall openat(2).
func Openat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return openAt(t, args.Int(0), args.Pointer(1), uint64(args.Uint(2)), uint64(args.Uint(3)), 0, false)
}

// Creat implements Linux syscall creat(2).
func Creat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return openAt(t, unix.AT_FDCWD, args.Pointer(0), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, uint64(args.Uint(1)), 0, false)
}

// openHow is struct open_how.
type openHow struct {
	Flags, Mode, Resolve uint64
}

// Openat2 implements Linux syscall openat2(2).
func Openat2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	size := args[3]
	if size < 24 {
		return 0, unix.EINVAL
	}
	if size > 4096 {
		return 0, unix.E2BIG
	}
	var how openHow
	if err := copyInStruct(t, args.Pointer(2), &how); err != nil {
		return 0, err
	}
	if size > 24 {
		// A newer struct: its extra bytes must be zero (copy_struct_from_user).
		extra := make([]byte, size-24)
		if _, err := t.CopyIn(args.Pointer(2)+24, extra); err != nil {
			return 0, unix.EFAULT
		}
		for _, b := range extra {
			if b != 0 {
				return 0, unix.E2BIG
			}
		}
	}
	return openAt(t, args.Int(0), args.Pointer(1), how.Flags, how.Mode, how.Resolve, true)
}

// CloseRange implements Linux syscall close_range(2).
func CloseRange(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	first, last, flags := args.Uint(0), args.Uint(1), args.Uint(2)
	if flags&^uint32(unix.CLOSE_RANGE_CLOEXEC|unix.CLOSE_RANGE_UNSHARE) != 0 || first > last {
		return 0, unix.EINVAL
	}
	// CLOSE_RANGE_UNSHARE: the table is not unshared here; closing in a shared table is
	// what a caller without sharing sees too.
	for _, fd := range t.FDTable().FDsInRange(first, last) {
		if flags&unix.CLOSE_RANGE_CLOEXEC != 0 {
			t.FDTable().SetCloseOnExec(fd, true)
		} else {
			closeFD(t, fd)
		}
	}
	return 0, nil
}
