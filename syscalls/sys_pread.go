package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// positionalFile returns fd for pread/pwrite, open for writing (write) or reading: ESPIPE
// for files without positions (host stdio, eventfds...), EISDIR is left to the read itself.
func positionalFile(t *kernel.Task, fd int32, write bool) (*vfs.FileDescription, *kernel.FileRef, error) {
	f, ref, err := vfsFile(t, fd, false, unix.ESPIPE)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case f.Dentry().Type() == unix.S_IFIFO:
		err = unix.ESPIPE
	case write && !f.Writable(), !write && !f.Readable():
		err = unix.EBADF
	}
	if err != nil {
		ref.DecRef()
		return nil, nil, err
	}
	return f, ref, nil
}

func preadTo(t *kernel.Task, f *vfs.FileDescription, addr, n uintptr, off int64) (uintptr, error) {
	if n > 0 && f.Dentry().Type() == unix.S_IFREG {
		return readDirect(t, f, addr, n, off)
	}
	buf := t.Scratch(int(min(n, maxIOChunk)))
	got, err := f.PRead(t, buf, off)
	return copyOutRead(t, addr, buf, got, err)
}

func pwriteFrom(t *kernel.Task, f *vfs.FileDescription, addr, n uintptr, off int64) (uintptr, error) {
	if n > 0 && f.Dentry().Type() == unix.S_IFREG {
		return writeDirect(t, f, addr, n, off)
	}
	buf, err := copyInWrite(t, addr, n)
	if err != nil {
		return 0, err
	}
	return wrote(f.PWrite(t, buf, off))
}

// prw runs pread64 (write false) or pwrite64 (write true).
func prw(t *kernel.Task, args arch.SyscallArguments, write bool) (uintptr, error) {
	off := args.Int64(3)
	if off < 0 || int64(args[2]) < 0 {
		return 0, unix.EINVAL
	}
	f, ref, err := positionalFile(t, args.Int(0), write)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	if write {
		return pwriteFrom(t, f, args.Pointer(1), min(args[2], maxRW), off)
	}
	return preadTo(t, f, args.Pointer(1), min(args[2], maxRW), off)
}

// Pread64 implements Linux syscall pread64(2).
func Pread64(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prw(t, args, false)
}

// Pwrite64 implements Linux syscall pwrite64(2).
func Pwrite64(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prw(t, args, true)
}

// prwv runs preadv/pwritev: segment by segment from off (or, with off -1 for the v2 calls,
// like readv/writev at the file offset).
func prwv(t *kernel.Task, args arch.SyscallArguments, off int64, flags uint32, write bool) (uintptr, error) {
	if flags&^uint32(unix.RWF_HIPRI|unix.RWF_DSYNC|unix.RWF_SYNC|unix.RWF_NOWAIT|unix.RWF_APPEND) != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if off < -1 {
		return 0, unix.EINVAL
	}
	if write && flags&unix.RWF_APPEND != 0 {
		if f, ref, err := vfsFile(t, args.Int(0), false, unix.EBADF); err == nil {
			defer ref.DecRef()
			if f.Dentry().Type() == unix.S_IFREG {
				return writevAppend(t, f, args, off == -1)
			}
		}
	}
	if off == -1 {
		if write {
			return Writev(t, args)
		}
		return Readv(t, args)
	}
	f, ref, err := positionalFile(t, args.Int(0), write)
	if err != nil {
		return 0, err
	}
	defer ref.DecRef()
	iovs, err := readIovecs(t, args.Pointer(1), args.Int(2))
	if err != nil {
		return 0, err
	}
	return eachSegment(iovs, func(iov iovec, done uintptr) (uintptr, error) {
		if write {
			return pwriteFrom(t, f, iov.Base, iov.Len, off+int64(done))
		}
		return preadTo(t, f, iov.Base, iov.Len, off+int64(done))
	})
}

// writevAppend is pwritev2 with RWF_APPEND on a regular file: every segment goes to the end
// of the file; the file offset moves only for the offset -1 form (as write(2) with O_APPEND
// does). It copies through the task's scratch buffer: RWF_APPEND is rare.
func writevAppend(t *kernel.Task, f *vfs.FileDescription, args arch.SyscallArguments, updateOff bool) (uintptr, error) {
	if !f.Writable() {
		return 0, unix.EBADF
	}
	iovs, err := readIovecs(t, args.Pointer(1), args.Int(2))
	if err != nil {
		return 0, err
	}
	var done uintptr
	for _, iov := range iovs {
		for rem := min(iov.Len, maxRW-done); rem > 0; {
			buf := t.Scratch(int(min(rem, maxIOChunk)))
			c, _ := t.CopyIn(iov.Base+iov.Len-rem, buf)
			if c == 0 {
				if done > 0 {
					return done, nil
				}
				return 0, unix.EFAULT
			}
			w, err := f.WriteAppend(t, buf[:c], updateOff)
			done += uintptr(max(w, 0))
			rem -= uintptr(max(w, 0))
			if err != nil || w < c {
				if done > 0 {
					return done, nil
				}
				return 0, err
			}
		}
	}
	return done, nil
}

// Preadv implements Linux syscall preadv(2). The offset comes split in two registers
// (pos_l, pos_h), which on x86-64 means pos_l holds all of it.
func Preadv(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prwv(t, args, args.Int64(3), 0, false)
}

// Pwritev implements Linux syscall pwritev(2).
func Pwritev(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prwv(t, args, args.Int64(3), 0, true)
}

// Preadv2 implements Linux syscall preadv2(2).
func Preadv2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prwv(t, args, args.Int64(3), args.Uint(5), false)
}

// Pwritev2 implements Linux syscall pwritev2(2).
func Pwritev2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return prwv(t, args, args.Int64(3), args.Uint(5), true)
}
