package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// InotifyInit1 implements Linux syscall inotify_init1(2).
func InotifyInit1(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Uint(0)
	if flags&^(unix.IN_NONBLOCK|unix.IN_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	return installFile(t, vfs.NewInotify(flags&unix.IN_NONBLOCK), flags&unix.IN_CLOEXEC != 0)
}

// InotifyInit implements Linux syscall inotify_init(2).
func InotifyInit(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return installFile(t, vfs.NewInotify(0), false)
}

// inotifyFile returns the inotify instance at fd: EBADF if none, EINVAL if not inotify.
func inotifyFile(t *kernel.Task, fd int32) (*vfs.Inotify, *kernel.FileRef, error) {
	ref, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	in, ok := ref.File.(*vfs.Inotify)
	if !ok {
		ref.DecRef()
		return nil, nil, unix.EINVAL
	}
	return in, ref, nil
}

// InotifyAddWatch implements Linux syscall inotify_add_watch(2), with its checks in Linux's
// order: the mask, the descriptor, the path (IN_DONT_FOLLOW, IN_ONLYDIR), read permission.
func InotifyAddWatch(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	mask := args.Uint(2)
	if mask&^vfs.InAllBits != 0 || mask&vfs.InAllBits == 0 {
		return 0, unix.EINVAL
	}
	in, ref, err := inotifyFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if mask&vfs.InMaskAdd != 0 && mask&vfs.InMaskCreate != 0 {
		return 0, unix.EINVAL
	}
	vd, err := resolvePath(t, args.Pointer(1), mask&vfs.InDontFollow == 0)
	if err != nil {
		return 0, err
	}
	if mask&vfs.InOnlyDir != 0 && !vd.Dentry.IsDir() {
		return 0, unix.ENOTDIR
	}
	st, err := vd.Dentry.Stat()
	if err != nil {
		return 0, err
	}
	if err := vfs.CheckPermission(vfs.TaskCreds(t), vfs.MayRead, st.Mode, st.UID, st.GID); err != nil {
		return 0, err
	}
	wd, err := in.AddWatch(vd.Dentry, mask)
	return uintptr(wd), err
}

// InotifyRmWatch implements Linux syscall inotify_rm_watch(2).
func InotifyRmWatch(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	in, ref, err := inotifyFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	return 0, in.RmWatch(args.Int(1))
}
