package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// statAt returns the attributes of (dirfd, path); with AT_EMPTY_PATH and "" it stats dirfd,
// which may be any file (host stdio and eventfds included).
func statAt(t *kernel.Task, dirfd int32, pathAddr uintptr, flags int32) (vfs.Stat, *unix.Stat_t, error) {
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	if path == "" && flags&unix.AT_EMPTY_PATH != 0 && dirfd != unix.AT_FDCWD {
		ref, err := getFile(t, dirfd)
		if err != nil {
			return vfs.Stat{}, nil, err
		}
		defer ref.DecRef()
		if f, ok := ref.File.(*vfs.FileDescription); ok {
			st, err := f.StatX()
			return st, nil, err
		}
		st, err := ref.Stat(t)
		return vfs.Stat{}, &st, err
	}
	vd, err := resolveAt(t, dirfd, path, flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	st, err := vd.Dentry.Stat()
	return st, nil, err
}

func writeStat(t *kernel.Task, addr uintptr, st vfs.Stat, raw *unix.Stat_t) error {
	if raw == nil {
		s := st.ToStatT()
		raw = &s
	}
	return copyOutStruct(t, addr, raw)
}

// Stat implements Linux syscall stat(2).
func Stat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	st, raw, err := statAt(t, unix.AT_FDCWD, args.Pointer(0), 0)
	if err != nil {
		return 0, err
	}
	return 0, writeStat(t, args.Pointer(1), st, raw)
}

// Lstat implements Linux syscall lstat(2).
func Lstat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	st, raw, err := statAt(t, unix.AT_FDCWD, args.Pointer(0), unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return 0, err
	}
	return 0, writeStat(t, args.Pointer(1), st, raw)
}

// Newfstatat implements Linux syscall newfstatat(2).
func Newfstatat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(3)
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT) != 0 {
		return 0, unix.EINVAL
	}
	st, raw, err := statAt(t, args.Int(0), args.Pointer(1), flags)
	if err != nil {
		return 0, err
	}
	return 0, writeStat(t, args.Pointer(2), st, raw)
}

// Statx implements Linux syscall statx(2).
func Statx(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags, mask := args.Int(2), args.Uint(3)
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH|unix.AT_NO_AUTOMOUNT|atStatxSyncType) != 0 {
		return 0, unix.EINVAL
	}
	if flags&atStatxSyncType == atStatxSyncType {
		return 0, unix.EINVAL
	}
	if mask&unix.STATX__RESERVED != 0 {
		return 0, unix.EINVAL
	}
	st, raw, err := statAt(t, args.Int(0), args.Pointer(1), flags)
	if err != nil {
		return 0, err
	}
	var sx unix.Statx_t
	if raw != nil {
		sx = unix.Statx_t{
			Mask: unix.STATX_BASIC_STATS, Blksize: uint32(raw.Blksize), Nlink: uint32(raw.Nlink),
			Uid: raw.Uid, Gid: raw.Gid, Mode: uint16(raw.Mode), Ino: raw.Ino, Size: uint64(raw.Size),
			Blocks:     uint64(raw.Blocks),
			Atime:      unix.StatxTimestamp{Sec: raw.Atim.Sec, Nsec: uint32(raw.Atim.Nsec)},
			Mtime:      unix.StatxTimestamp{Sec: raw.Mtim.Sec, Nsec: uint32(raw.Mtim.Nsec)},
			Ctime:      unix.StatxTimestamp{Sec: raw.Ctim.Sec, Nsec: uint32(raw.Ctim.Nsec)},
			Rdev_major: unix.Major(raw.Rdev), Rdev_minor: unix.Minor(raw.Rdev),
			Dev_major: unix.Major(raw.Dev), Dev_minor: unix.Minor(raw.Dev),
		}
	} else {
		sx = st.ToStatx()
	}
	return 0, copyOutStruct(t, args.Pointer(4), &sx)
}

// Statfs implements Linux syscall statfs(2).
func Statfs(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	vd, err := resolvePath(t, args.Pointer(0), true)
	if err != nil {
		return 0, err
	}
	st, err := vfs.TaskFSContext(t).VFS().StatFS(vd)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, args.Pointer(1), &st)
}

// Fstatfs implements Linux syscall fstatfs(2).
func Fstatfs(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, ref, err := vfsFile(t, args.Int(0), true, unix.ENOSYS)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	st, err := vfs.TaskFSContext(t).VFS().StatFS(f.VirtualDentry())
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, args.Pointer(1), &st)
}

// atStatxSyncType is AT_STATX_SYNC_TYPE (AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC).
const atStatxSyncType = 0x6000
