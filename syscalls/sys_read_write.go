package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// maxIOChunk bounds the sentry buffer one read or write uses; larger requests return short
// counts, as Linux's do at its own limits. Regular files do I/O on the application's pages
// directly (rw_direct.go) and are bounded only by maxRW.
const maxIOChunk = 1 << 20

// maxRW is MAX_RW_COUNT: Linux never transfers more than this in one call.
const maxRW = 0x7ffff000

func getFile(t *kernel.Task, fd int32) (*kernel.FileRef, error) {
	return t.FDTable().Get(fd)
}

func readTo(t *kernel.Task, f *kernel.FileRef, addr, n uintptr) (uintptr, error) {
	if f.StatusFlags()&unix.O_ACCMODE == unix.O_WRONLY {
		return 0, unix.EBADF
	}
	if vf := directFile(f.File); vf != nil && n > 0 {
		return readDirect(t, vf, addr, n, -1)
	}
	n = min(n, maxIOChunk)
	buf := t.Scratch(int(n))
	got, err := f.Read(t, buf)
	if got > 0 {
		c, cerr := t.CopyOut(addr, buf[:got])
		if cerr != nil && c == 0 {
			return 0, unix.EFAULT
		}
		return uintptr(c), nil
	}
	return 0, err
}

func writeFrom(t *kernel.Task, f *kernel.FileRef, addr, n uintptr) (uintptr, error) {
	if f.StatusFlags()&unix.O_ACCMODE == unix.O_RDONLY {
		return 0, unix.EBADF
	}
	if vf := directFile(f.File); vf != nil && n > 0 {
		return writeDirect(t, vf, addr, n, -1)
	}
	n = min(n, maxIOChunk)
	buf := t.Scratch(int(n))
	c, err := t.CopyIn(addr, buf)
	if err != nil && c == 0 && n > 0 {
		return 0, unix.EFAULT
	}
	w, err := f.Write(t, buf[:c])
	if w > 0 {
		return uintptr(w), nil
	}
	return 0, err
}

// Read implements Linux syscall read(2).
func Read(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if int64(args[2]) < 0 {
		return 0, unix.EINVAL
	}
	return readTo(t, f, args.Pointer(1), min(args[2], maxRW))
}

// Write implements Linux syscall write(2).
func Write(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if int64(args[2]) < 0 {
		return 0, unix.EINVAL
	}
	return writeFrom(t, f, args.Pointer(1), min(args[2], maxRW))
}

type iovec struct {
	Base uintptr
	Len  uintptr
}

const iovMax = 1024

func readIovecs(t *kernel.Task, addr uintptr, cnt int32) ([]iovec, error) {
	if cnt < 0 || cnt > iovMax {
		return nil, unix.EINVAL
	}
	iovs := make([]iovec, cnt)
	var total uintptr
	for i := range iovs {
		if err := copyInStruct(t, addr+uintptr(i)*16, &iovs[i]); err != nil {
			return nil, err
		}
		if int64(iovs[i].Len) < 0 {
			return nil, unix.EINVAL
		}
		total += iovs[i].Len
		if int64(total) < 0 {
			return nil, unix.EINVAL
		}
	}
	return iovs, nil
}

// rwv runs a vectored read or write: segment by segment, stopping at the first short or
// failed transfer (the count so far wins over a later error, as in Linux).
func rwv(t *kernel.Task, args arch.SyscallArguments, op func(*kernel.Task, *kernel.FileRef, uintptr, uintptr) (uintptr, error)) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iovs, err := readIovecs(t, args.Pointer(1), args.Int(2))
	if err != nil {
		return 0, err
	}
	var done uintptr
	for _, iov := range iovs {
		if iov.Len == 0 {
			continue
		}
		n, err := op(t, f, iov.Base, iov.Len)
		done += n
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if n < iov.Len {
			break
		}
	}
	return done, nil
}

// Readv implements Linux syscall readv(2).
func Readv(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return rwv(t, args, readTo)
}

// Writev implements Linux syscall writev(2).
func Writev(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return rwv(t, args, writeFrom)
}

// Lseek implements Linux syscall lseek(2).
func Lseek(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	whence := int(args.Int(2))
	if whence < 0 || whence > 4 {
		return 0, unix.EINVAL
	}
	off, err := f.Seek(t, args.Int64(1), whence)
	return uintptr(off), err
}
