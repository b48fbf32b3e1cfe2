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
	buf := t.Scratch(int(min(n, maxIOChunk)))
	got, err := f.Read(t, buf)
	return copyOutRead(t, addr, buf, got, err)
}

// copyOutRead ends a read through the task's scratch buffer buf: the got bytes read are
// copied out to addr (a fault after some of them gives the count copied, before any
// EFAULT); with nothing read, the read's error (or 0 for the end of the file) is the result.
func copyOutRead(t *kernel.Task, addr uintptr, buf []byte, got int, err error) (uintptr, error) {
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
	buf, err := copyInWrite(t, addr, n)
	if err != nil {
		return 0, err
	}
	return wrote(f.Write(t, buf))
}

// copyInWrite starts a write through the task's scratch buffer: it copies in up to n bytes
// (at most maxIOChunk) from addr and returns those it could, EFAULT if none (n > 0).
func copyInWrite(t *kernel.Task, addr, n uintptr) ([]byte, error) {
	buf := t.Scratch(int(min(n, maxIOChunk)))
	c, err := t.CopyIn(addr, buf)
	if err != nil && c == 0 && n > 0 {
		return nil, unix.EFAULT
	}
	return buf[:c], nil
}

// wrote is the result of a write that transferred w bytes: the count, or err if none.
func wrote(w int, err error) (uintptr, error) {
	if w > 0 {
		return uintptr(w), nil
	}
	return 0, err
}

// rw runs read (op readTo) or write (op writeFrom) at the file offset.
func rw(t *kernel.Task, args arch.SyscallArguments, op rwOp) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if int64(args[2]) < 0 {
		return 0, unix.EINVAL
	}
	return op(t, f, args.Pointer(1), min(args[2], maxRW))
}

// rwOp is readTo or writeFrom: a transfer of up to n bytes at addr through f's offset.
type rwOp func(t *kernel.Task, f *kernel.FileRef, addr, n uintptr) (uintptr, error)

// Read implements Linux syscall read(2).
func Read(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return rw(t, args, readTo)
}

// Write implements Linux syscall write(2).
func Write(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return rw(t, args, writeFrom)
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
func rwv(t *kernel.Task, args arch.SyscallArguments, op rwOp) (uintptr, error) {
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iovs, err := readIovecs(t, args.Pointer(1), args.Int(2))
	if err != nil {
		return 0, err
	}
	return eachSegment(iovs, func(iov iovec, _ uintptr) (uintptr, error) {
		return op(t, f, iov.Base, iov.Len)
	})
}

// eachSegment transfers the segments of a vectored read or write in order with op, which
// is given the segment and the count so far; it stops at the first short or failed
// transfer, and the count so far wins over a later error, as in Linux. op does not escape
// (a closure passed in stays on the caller's stack).
func eachSegment(iovs []iovec, op func(iov iovec, done uintptr) (uintptr, error)) (uintptr, error) {
	var done uintptr
	for _, iov := range iovs {
		if iov.Len == 0 {
			continue
		}
		n, err := op(iov, done)
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
