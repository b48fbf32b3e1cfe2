package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Getdents64 implements Linux syscall getdents64(2).
func Getdents64(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, ref, err := vfsFile(t, args.Int(0), false, unix.ENOTDIR)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	size := int(min(args.Uint(2), maxIOChunk))
	buf := make([]byte, 0, size)
	err = f.IterDirents(func(d vfs.Dirent, next int64) bool {
		reclen := (19 + len(d.Name) + 1 + 7) &^ 7
		if len(buf)+reclen > size {
			return false
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], d.Ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(next))
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = d.Type
		copy(rec[19:], d.Name)
		buf = append(buf, rec...)
		return true
	})
	vfs.NotifyAccess(f)
	if len(buf) == 0 {
		if err != nil {
			return 0, err
		}
		// Nothing fit: EINVAL if there was an entry, 0 at the end of the directory. Ask for
		// one more to tell.
		more := false
		f.IterDirents(func(vfs.Dirent, int64) bool { more = true; return false })
		if more {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	if _, err := t.CopyOut(args.Pointer(1), buf); err != nil {
		return 0, unix.EFAULT
	}
	return uintptr(len(buf)), nil
}

// Getcwd implements Linux syscall getcwd(2).
func Getcwd(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	fsc, err := fsContext(t)
	if err != nil {
		return 0, err
	}
	cwd := fsc.Cwd()
	if cwd.Dentry.IsDead() {
		return 0, unix.ENOENT
	}
	path, reachable := fsc.VFS().PathFrom(fsc.Root(), cwd)
	if !reachable {
		path = "(unreachable)" + path
	}
	b := append([]byte(path), 0)
	if uintptr(len(b)) > args[1] {
		return 0, unix.ERANGE
	}
	if _, err := t.CopyOut(args.Pointer(0), b); err != nil {
		return 0, unix.EFAULT
	}
	return uintptr(len(b)), nil
}

// checkChdir requires vd to be a directory the task may search.
func checkChdir(t *kernel.Task, vd vfs.VirtualDentry) error {
	if !vd.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	return vfs.TaskFSContext(t).VFS().Access(vfs.TaskCreds(t), vd, unix.X_OK)
}

// searchableDir resolves the path at addr to a directory the task may search: the new
// working directory of chdir, or root of chroot.
func searchableDir(t *kernel.Task, addr uintptr) (vfs.VirtualDentry, error) {
	vd, err := resolvePath(t, addr, true)
	if err == nil {
		err = checkChdir(t, vd)
	}
	return vd, err
}

// Chdir implements Linux syscall chdir(2).
func Chdir(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	vd, err := searchableDir(t, args.Pointer(0))
	if err != nil {
		return 0, err
	}
	vfs.TaskFSContext(t).SetCwd(vd)
	return 0, nil
}

// Fchdir implements Linux syscall fchdir(2).
func Fchdir(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, ref, err := vfsFile(t, args.Int(0), true, unix.ENOTDIR)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if err := checkChdir(t, f.VirtualDentry()); err != nil {
		return 0, err
	}
	vfs.TaskFSContext(t).SetCwd(f.VirtualDentry())
	return 0, nil
}

// Chroot implements Linux syscall chroot(2) (uid 0 stands for CAP_SYS_CHROOT).
func Chroot(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	vd, err := searchableDir(t, args.Pointer(0))
	if err != nil {
		return 0, err
	}
	if !vfs.TaskCreds(t).HasCap(unix.CAP_SYS_CHROOT) {
		return 0, unix.EPERM
	}
	vfs.TaskFSContext(t).SetRoot(vd)
	return 0, nil
}

// Umask implements Linux syscall umask(2).
func Umask(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	fsc, err := fsContext(t)
	if err != nil {
		return 0o22, nil
	}
	return uintptr(fsc.SwapUmask(args.Uint(0) & 0777)), nil
}
