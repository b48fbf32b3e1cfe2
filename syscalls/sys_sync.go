package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Fsync implements Linux syscall fsync(2).
func Fsync(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, ref, err := vfsFile(t, args.Int(0), false, unix.EINVAL)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	return 0, f.Sync()
}

// Fdatasync implements Linux syscall fdatasync(2).
func Fdatasync(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return Fsync(t, args)
}

// Sync implements Linux syscall sync(2). Filesystems here write through (tmpfs has nothing
// to write; the gofer's writes go to host files directly).
func Sync(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) { return 0, nil }

// Syncfs implements Linux syscall syncfs(2).
func Syncfs(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	ref, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if f, ok := ref.File.(*vfs.FileDescription); ok {
		return 0, f.Dentry().Filesystem().Impl().Sync()
	}
	return 0, nil
}

// Fadvise64 implements Linux syscall fadvise64(2): advice is checked and ignored.
func Fadvise64(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	ref, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if _, ok := ref.File.(*vfs.FileDescription); !ok {
		return 0, unix.ESPIPE
	}
	if args.Int64(2) < 0 {
		return 0, unix.EINVAL
	}
	switch args.Int(3) {
	case unix.FADV_NORMAL, unix.FADV_RANDOM, unix.FADV_SEQUENTIAL, unix.FADV_WILLNEED,
		unix.FADV_DONTNEED, unix.FADV_NOREUSE:
		return 0, nil
	}
	return 0, unix.EINVAL
}
