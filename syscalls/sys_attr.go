package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// setStatAt applies o to (dirfd, path), or to fd dirfd when the path is absent (addr 0 for
// futimens) or empty with AT_EMPTY_PATH.
func setStatAt(t *kernel.Task, dirfd int32, addr uintptr, follow, emptyPath bool, o *vfs.SetStatOptions) error {
	fsc, err := fsContext(t)
	if err != nil {
		return err
	}
	var vd vfs.VirtualDentry
	if addr == 0 {
		f, ref, err := vfsFile(t, dirfd, false, unix.EPERM)
		if err != nil {
			return err
		}
		defer ref.DecRef()
		vd = f.VirtualDentry()
	} else {
		path, err := copyInPath(t, addr)
		if err != nil {
			return err
		}
		if vd, err = resolveAt(t, dirfd, path, follow, emptyPath); err != nil {
			return err
		}
	}
	return fsc.VFS().SetStat(vfs.TaskCreds(t), vd, o)
}

// setStatFD applies o to descriptor fd.
func setStatFD(t *kernel.Task, fd int32, o *vfs.SetStatOptions) error {
	f, ref, err := vfsFile(t, fd, false, unix.EPERM)
	if err != nil {
		return err
	}
	defer ref.DecRef()
	return vfs.TaskFSContext(t).VFS().SetStat(vfs.TaskCreds(t), f.VirtualDentry(), o)
}

// Chmod implements Linux syscall chmod(2).
func Chmod(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, setStatAt(t, unix.AT_FDCWD, args.Pointer(0), true, false, &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: args.Uint(1)})
}

// Fchmod implements Linux syscall fchmod(2).
func Fchmod(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, setStatFD(t, args.Int(0), &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: args.Uint(1)})
}

// Fchmodat implements Linux syscall fchmodat(2) (no flags: symlinks are followed).
func Fchmodat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Pointer(1) == 0 {
		return 0, unix.EFAULT
	}
	return 0, setStatAt(t, args.Int(0), args.Pointer(1), true, false, &vfs.SetStatOptions{Mask: vfs.SetMode, Mode: args.Uint(2)})
}

func chownOpts(uid, gid uint32) *vfs.SetStatOptions {
	o := &vfs.SetStatOptions{}
	if uid != ^uint32(0) {
		o.Mask |= vfs.SetUID
		o.UID = uid
	}
	if gid != ^uint32(0) {
		o.Mask |= vfs.SetGID
		o.GID = gid
	}
	return o
}

// Chown implements Linux syscall chown(2).
func Chown(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, setStatAt(t, unix.AT_FDCWD, args.Pointer(0), true, false, chownOpts(args.Uint(1), args.Uint(2)))
}

// Lchown implements Linux syscall lchown(2).
func Lchown(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, setStatAt(t, unix.AT_FDCWD, args.Pointer(0), false, false, chownOpts(args.Uint(1), args.Uint(2)))
}

// Fchown implements Linux syscall fchown(2).
func Fchown(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, setStatFD(t, args.Int(0), chownOpts(args.Uint(1), args.Uint(2)))
}

// Fchownat implements Linux syscall fchownat(2).
func Fchownat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(4)
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	if args.Pointer(1) == 0 {
		return 0, unix.EFAULT
	}
	return 0, setStatAt(t, args.Int(0), args.Pointer(1), flags&unix.AT_SYMLINK_NOFOLLOW == 0,
		flags&unix.AT_EMPTY_PATH != 0, chownOpts(args.Uint(2), args.Uint(3)))
}

// utimeOpts builds a utimes request; nil times mean "now".
func utimeOpts(times *[2]vfs.Timestamp) *vfs.SetStatOptions {
	o := &vfs.SetStatOptions{Mask: vfs.SetAtime | vfs.SetMtime}
	if times == nil {
		o.Atime.Now, o.Mtime.Now = true, true
	} else {
		o.Atime, o.Mtime = times[0], times[1]
	}
	return o
}

// Utimensat implements Linux syscall utimensat(2).
func Utimensat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	dirfd, pathAddr, timesAddr, flags := args.Int(0), args.Pointer(1), args.Pointer(2), args.Int(3)
	var times *[2]vfs.Timestamp
	if timesAddr != 0 {
		var ts [2]unix.Timespec
		if err := copyInStruct(t, timesAddr, &ts); err != nil {
			return 0, err
		}
		times = new([2]vfs.Timestamp)
		for i, x := range ts {
			switch {
			case x.Nsec == unix.UTIME_NOW:
				times[i].Now = true
			case x.Nsec == unix.UTIME_OMIT:
				times[i].Omit = true
			case x.Nsec < 0 || x.Nsec >= 1e9:
				return 0, unix.EINVAL
			default:
				times[i].Time = time.Unix(x.Sec, x.Nsec)
			}
		}
	}
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	if pathAddr == 0 {
		if dirfd == unix.AT_FDCWD {
			return 0, unix.EFAULT
		}
		if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
			return 0, unix.EINVAL
		}
	}
	return 0, setStatAt(t, dirfd, pathAddr, flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0, utimeOpts(times))
}

// futimesat is utimes(2) and futimesat(2): microsecond timevals.
func futimesat(t *kernel.Task, dirfd int32, pathAddr, timesAddr uintptr) error {
	var times *[2]vfs.Timestamp
	if timesAddr != 0 {
		var tv [2]unix.Timeval
		if err := copyInStruct(t, timesAddr, &tv); err != nil {
			return err
		}
		times = new([2]vfs.Timestamp)
		for i, x := range tv {
			if x.Usec < 0 || x.Usec >= 1e6 {
				return unix.EINVAL
			}
			times[i].Time = time.Unix(x.Sec, x.Usec*1000)
		}
	}
	if pathAddr == 0 {
		if dirfd == unix.AT_FDCWD {
			return unix.EFAULT
		}
	}
	return setStatAt(t, dirfd, pathAddr, true, false, utimeOpts(times))
}

// Utimes implements Linux syscall utimes(2).
func Utimes(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Pointer(0) == 0 {
		return 0, unix.EFAULT
	}
	return 0, futimesat(t, unix.AT_FDCWD, args.Pointer(0), args.Pointer(1))
}

// Futimesat implements Linux syscall futimesat(2).
func Futimesat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, futimesat(t, args.Int(0), args.Pointer(1), args.Pointer(2))
}

// Utime implements Linux syscall utime(2).
func Utime(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Pointer(0) == 0 {
		return 0, unix.EFAULT
	}
	var times *[2]vfs.Timestamp
	if args.Pointer(1) != 0 {
		var ub unix.Utimbuf
		if err := copyInStruct(t, args.Pointer(1), &ub); err != nil {
			return 0, err
		}
		times = &[2]vfs.Timestamp{{Time: time.Unix(ub.Actime, 0)}, {Time: time.Unix(ub.Modtime, 0)}}
	}
	return 0, setStatAt(t, unix.AT_FDCWD, args.Pointer(0), true, false, utimeOpts(times))
}

// Truncate implements Linux syscall truncate(2).
func Truncate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	length := args.Int64(1)
	if length < 0 {
		return 0, unix.EINVAL
	}
	vd, err := resolvePath(t, args.Pointer(0), true)
	if err != nil {
		return 0, err
	}
	return 0, vfs.TaskFSContext(t).VFS().Truncate(vfs.TaskCreds(t), vd, uint64(length))
}

// Ftruncate implements Linux syscall ftruncate(2).
func Ftruncate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	length := args.Int64(1)
	if length < 0 {
		return 0, unix.EINVAL
	}
	f, ref, err := vfsFile(t, args.Int(0), false, unix.EINVAL)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if f.Dentry().Type() != unix.S_IFREG || !f.Writable() {
		return 0, unix.EINVAL
	}
	if f.VirtualDentry().Mount.ReadOnly() {
		return 0, unix.EROFS
	}
	if err := f.Dentry().Inode().SetStat(&vfs.SetStat{Mask: vfs.SetSize, Size: uint64(length)}); err != nil {
		return 0, err
	}
	vfs.NotifyModify(f)
	return 0, nil
}

// Fallocate implements Linux syscall fallocate(2) for mode 0.
func Fallocate(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	mode, off, length := args.Int(1), args.Int64(2), args.Int64(3)
	if off < 0 || length <= 0 {
		return 0, unix.EINVAL
	}
	f, ref, err := vfsFile(t, args.Int(0), false, unix.ESPIPE)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if mode != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if f.VirtualDentry().Mount.ReadOnly() && f.Writable() {
		return 0, unix.EROFS
	}
	return 0, f.Allocate(off, length)
}
