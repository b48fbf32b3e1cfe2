package syscalls

import (
	"math"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Close implements Linux syscall close(2).
func Close(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, closeFD(t, args.Int(0))
}

// Dup implements Linux syscall dup(2).
func Dup(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, false, fdLimit(t))
	return uintptr(fd), err
}

func dup3(t *kernel.Task, oldfd, newfd int32, flags int32) (uintptr, error) {
	if flags&^unix.O_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	f, err := getFile(t, oldfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if old, err := t.FDTable().Get(newfd); err == nil {
		// Replacing a descriptor closes it: the process's record locks on its file go.
		defer old.DecRef()
		defer releasePOSIXLocks(t, old)
	}
	if err := t.FDTable().SetFD(newfd, f, flags&unix.O_CLOEXEC != 0, fdLimit(t)); err != nil {
		return 0, err
	}
	return uintptr(newfd), nil
}

// Dup2 implements Linux syscall dup2(2).
func Dup2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	oldfd, newfd := args.Int(0), args.Int(1)
	if oldfd == newfd {
		f, err := getFile(t, oldfd)
		if err != nil {
			return 0, err
		}
		f.DecRef()
		return uintptr(newfd), nil
	}
	return dup3(t, oldfd, newfd, 0)
}

// Dup3 implements Linux syscall dup3(2).
func Dup3(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Int(0) == args.Int(1) {
		return 0, unix.EINVAL
	}
	return dup3(t, args.Int(0), args.Int(1), args.Int(2))
}

// Fcntl implements Linux syscall fcntl(2) for descriptor and status flags and duplication.
// Locks and the rest come with files.
func Fcntl(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	fd, cmd := args.Int(0), args.Int(1)
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		min := args.Int(2)
		if min < 0 || uint64(min) >= fdLimit(t) {
			return 0, unix.EINVAL
		}
		nfd, err := t.FDTable().NewFD(f, min, cmd == unix.F_DUPFD_CLOEXEC, fdLimit(t))
		return uintptr(nfd), err
	case unix.F_GETFD:
		ce, err := t.FDTable().CloseOnExec(fd)
		if ce {
			return unix.FD_CLOEXEC, err
		}
		return 0, err
	case unix.F_SETFD:
		return 0, t.FDTable().SetCloseOnExec(fd, args.Int(2)&unix.FD_CLOEXEC != 0)
	case unix.F_GETFL:
		fl := f.StatusFlags()
		if vf, ok := f.File.(*vfs.FileDescription); ok && !vf.IsPath() {
			fl |= linux.O_LARGEFILE // as open(2) sets it; pipe(2), eventfd and the like do not
		}
		return uintptr(fl), nil
	case unix.F_SETFL:
		f.SetStatusFlags(args.Uint(2))
		return 0, nil
	case unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ:
		return pipeFcntl(t, f, cmd, args[2])
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW, unix.F_OFD_GETLK, unix.F_OFD_SETLK, unix.F_OFD_SETLKW:
		return fcntlLock(t, f, cmd, args.Pointer(2))
	}
	return 0, unix.EINVAL
}

// Fstat implements Linux syscall fstat(2).
func Fstat(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	st, err := f.Stat(t)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, args.Pointer(1), &st)
}

// Ioctl implements Linux syscall ioctl(2): FIOCLEX/FIONCLEX/FIONBIO here, the rest by the file.
func Ioctl(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	fd := args.Int(0)
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	switch args[1] {
	case linux.FIOCLEX:
		return 0, t.FDTable().SetCloseOnExec(fd, true)
	case linux.FIONCLEX:
		return 0, t.FDTable().SetCloseOnExec(fd, false)
	case unix.TIOCINQ: // FIONREAD
		// For a regular file the bytes from the offset to the end (as Linux's do_vfs_ioctl);
		// other files answer in their own Ioctl.
		if vf, ok := f.File.(*vfs.FileDescription); ok && !vf.IsPath() && vf.Dentry().Type() == unix.S_IFREG {
			st, err := vf.Stat(t)
			if err != nil {
				return 0, err
			}
			pos, err := vf.Seek(t, 0, unix.SEEK_CUR)
			if err != nil {
				return 0, err
			}
			n := int32(min(max(st.Size-pos, 0), math.MaxInt32))
			return 0, copyOutStruct(t, args.Pointer(2), &n)
		}
	case linux.FIONBIO:
		var v int32
		if err := copyInStruct(t, args.Pointer(2), &v); err != nil {
			return 0, err
		}
		fl := f.StatusFlags() &^ unix.O_NONBLOCK
		if v != 0 {
			fl |= unix.O_NONBLOCK
		}
		f.SetStatusFlags(fl)
		return 0, nil
	}
	return f.Ioctl(t, args[1], args[2])
}
