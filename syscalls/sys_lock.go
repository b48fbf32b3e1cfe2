package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Flock implements Linux syscall flock(2): locks of the open file description, on files of
// the VFS (EINVAL for other descriptors, as for files without lock support).
func Flock(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	vfd, ok := f.File.(*vfs.FileDescription)
	if !ok {
		return 0, unix.EINVAL
	}
	// A signal interrupts a wait with ERESTARTSYS: restarted under SA_RESTART (signal(7)).
	return 0, vfd.Flock(t, int(args.Int(1)))
}

// fcntlLock implements fcntl(2)'s F_GETLK, F_SETLK, F_SETLKW and the F_OFD_* variants.
func fcntlLock(t *kernel.Task, f *kernel.FileRef, cmd int32, addr uintptr) (uintptr, error) {
	vfd, ok := f.File.(*vfs.FileDescription)
	if !ok || vfd.IsPath() {
		return 0, unix.EBADF
	}
	var fl unix.Flock_t
	if err := copyInStruct(t, addr, &fl); err != nil {
		return 0, err
	}
	ofd := cmd == unix.F_OFD_GETLK || cmd == unix.F_OFD_SETLK || cmd == unix.F_OFD_SETLKW
	if ofd && fl.Pid != 0 {
		return 0, unix.EINVAL
	}
	var owner any = t.ThreadGroup()
	pid := t.ThreadGroup().TGID()
	if ofd {
		owner, pid = vfd, -1
	}
	var base int64
	switch fl.Whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off, err := vfd.Seek(t, 0, unix.SEEK_CUR)
		if err != nil {
			return 0, err
		}
		base = off
	case unix.SEEK_END:
		st, err := vfd.StatX()
		if err != nil {
			return 0, err
		}
		base = int64(st.Size)
	default:
		return 0, unix.EINVAL
	}
	r, err := vfs.LockRangeOf(base, fl.Start, fl.Len)
	if err != nil {
		return 0, err
	}
	switch fl.Type {
	case unix.F_RDLCK, unix.F_WRLCK, unix.F_UNLCK:
	default:
		return 0, unix.EINVAL
	}
	if cmd == unix.F_GETLK || cmd == unix.F_OFD_GETLK {
		if fl.Type == unix.F_UNLCK {
			return 0, unix.EINVAL
		}
		l, found := vfd.GetLock(owner, fl.Type, r)
		if !found {
			fl.Type = unix.F_UNLCK
		} else {
			fl.Type = l.Type
			fl.Whence = unix.SEEK_SET
			fl.Start = int64(l.Range.Start)
			fl.Len = 0
			if l.Range.End != vfs.LockEOF {
				fl.Len = int64(l.Range.End - l.Range.Start)
			}
			fl.Pid = l.PID
			if tg, ok := l.Owner.(*kernel.ThreadGroup); ok {
				// As Linux's locks_translate_pid: the holder's pid in the caller's pid
				// namespace (0 if it is not visible there).
				fl.Pid = t.PIDNamespace().IDOfThreadGroup(tg)
			}
		}
		return 0, copyOutStruct(t, addr, &fl)
	}
	switch {
	case fl.Type == unix.F_RDLCK && !vfd.Readable(), fl.Type == unix.F_WRLCK && !vfd.Writable():
		return 0, unix.EBADF
	}
	block := cmd == unix.F_SETLKW || cmd == unix.F_OFD_SETLKW
	// As flock, an interrupted wait is ERESTARTSYS (restarted under SA_RESTART).
	return 0, vfd.SetLock(t, owner, pid, fl.Type, r, block)
}

// releasePOSIXLocks drops the calling process's record locks on f's file (close(2)).
func releasePOSIXLocks(t *kernel.Task, f *kernel.FileRef) {
	if vfd, ok := f.File.(*vfs.FileDescription); ok {
		vfd.ReleasePOSIXLocks(t.ThreadGroup())
	}
}

// closeFD closes fd as close(2) does: closing any descriptor of a file drops the process's
// record locks on it.
func closeFD(t *kernel.Task, fd int32) error {
	if f, err := t.FDTable().Get(fd); err == nil {
		defer f.DecRef()
		defer releasePOSIXLocks(t, f)
	}
	return t.FDTable().Remove(fd)
}
