package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/signalfd"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Signalfd4 implements Linux syscall signalfd4(2).
func Signalfd4(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return signalfdImpl(t, args.Int(0), args.Pointer(1), uint64(args[2]), args.Uint(3))
}

// Signalfd implements Linux syscall signalfd(2).
func Signalfd(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return signalfdImpl(t, args.Int(0), args.Pointer(1), uint64(args[2]), 0)
}

// signalfdImpl creates a signalfd (fd -1) or changes the mask of signalfd fd.
func signalfdImpl(t *kernel.Task, fd int32, maskAddr uintptr, size uint64, flags uint32) (uintptr, error) {
	if flags&^(unix.SFD_CLOEXEC|unix.SFD_NONBLOCK) != 0 || size != sigSetSize {
		return 0, unix.EINVAL
	}
	var mask uint64
	if err := copyInStruct(t, maskAddr, &mask); err != nil {
		return 0, err
	}
	if fd == -1 {
		return installFile(t, signalfd.New(t, mask, flags), flags&unix.SFD_CLOEXEC != 0)
	}
	ref, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	sf, ok := ref.File.(*signalfd.File)
	if !ok {
		return 0, unix.EINVAL
	}
	sf.SetMask(mask)
	return uintptr(fd), nil
}
