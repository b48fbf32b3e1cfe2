package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/pipe"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

const (
	spliceFMove     = 1
	spliceFNonblock = 2
	spliceFMore     = 4
	spliceFGift     = 8
	spliceFAll      = spliceFMove | spliceFNonblock | spliceFMore | spliceFGift
)

// spliceChunk bounds the bytes one splice or sendfile step moves through the sentry.
const spliceChunk = 1 << 16

// fileEnd is a file on the non-pipe side of a splice or sendfile, with an optional
// explicit offset (off_in/off_out, sendfile's offset).
type fileEnd struct {
	f   *kernel.FileRef
	vfd *vfs.FileDescription // non-nil for positional (VFS) files
	off *int64               // nil: use (and move) the file offset
}

// newFileEnd prepares f for I/O at the int64 offset stored at offAddr (0 for none): ESPIPE
// when an offset is given for a file without positions, EINVAL for a negative one.
func newFileEnd(t *kernel.Task, f *kernel.FileRef, offAddr uintptr) (*fileEnd, error) {
	fe := &fileEnd{f: f}
	if vfd, ok := f.File.(*vfs.FileDescription); ok && vfd.Dentry().Type() == unix.S_IFREG {
		fe.vfd = vfd
	}
	if offAddr != 0 {
		if fe.vfd == nil {
			return nil, unix.ESPIPE
		}
		var off int64
		if err := copyInStruct(t, offAddr, &off); err != nil {
			return nil, err
		}
		if off < 0 {
			return nil, unix.EINVAL
		}
		fe.off = &off
	}
	return fe, nil
}

func (fe *fileEnd) read(t *kernel.Task, dst []byte) (int, error) {
	if fe.off != nil {
		n, err := fe.vfd.PRead(t, dst, *fe.off)
		*fe.off += int64(n)
		return n, err
	}
	return fe.f.Read(t, dst)
}

func (fe *fileEnd) write(t *kernel.Task, src []byte) (int, error) {
	if fe.off != nil {
		n, err := fe.vfd.PWrite(t, src, *fe.off)
		*fe.off += int64(n)
		return n, err
	}
	return fe.f.Write(t, src)
}

// storeOff writes an explicit offset back to offAddr.
func (fe *fileEnd) storeOff(t *kernel.Task, offAddr uintptr) error {
	if fe.off == nil {
		return nil
	}
	return copyOutStruct(t, offAddr, fe.off)
}

func readable(f *kernel.FileRef) bool { return f.StatusFlags()&unix.O_ACCMODE != unix.O_WRONLY }
func writable(f *kernel.FileRef) bool { return f.StatusFlags()&unix.O_ACCMODE != unix.O_RDONLY }

// transferFiles returns the input and output files of a transfer between descriptors
// (splice, tee, sendfile): EBADF unless in is open for reading and out for writing. The
// caller drops both references with release.
func transferFiles(t *kernel.Task, infd, outfd int32) (in, out *kernel.FileRef, release func(), err error) {
	if in, err = getFile(t, infd); err != nil {
		return nil, nil, nil, err
	}
	if out, err = getFile(t, outfd); err != nil {
		in.DecRef()
		return nil, nil, nil, err
	}
	release = func() { in.DecRef(); out.DecRef() }
	if !readable(in) || !writable(out) {
		release()
		return nil, nil, nil, unix.EBADF
	}
	return in, out, release, nil
}

// Splice implements Linux syscall splice(2): pipe to pipe, pipe to file and file to pipe.
func Splice(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	offInAddr, offOutAddr := args.Pointer(1), args.Pointer(3)
	length, flags := args[4], args.Uint(5)
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	in, out, release, err := transferFiles(t, args.Int(0), args.Int(2))
	if err != nil {
		return 0, err
	}
	defer release()
	if length == 0 {
		return 0, nil
	}
	n := int(min(length, maxRW))
	nonblock := flags&spliceFNonblock != 0
	ip, inPipe := pipe.EndpointOf(in.File)
	op, outPipe := pipe.EndpointOf(out.File)
	switch {
	case inPipe && outPipe:
		if offInAddr != 0 || offOutAddr != 0 {
			return 0, unix.ESPIPE
		}
		nb := nonblock || in.NonBlocking() || out.NonBlocking()
		m, err := pipe.Transfer(t, ip, op, n, nb, false)
		return uintptr(m), err
	case inPipe:
		if offInAddr != 0 {
			return 0, unix.ESPIPE
		}
		if out.StatusFlags()&unix.O_APPEND != 0 {
			return 0, unix.EINVAL
		}
		fe, err := newFileEnd(t, out, offOutAddr)
		if err != nil {
			return 0, err
		}
		has, err := ip.WaitData(t, nonblock || in.NonBlocking())
		if err != nil || !has {
			return 0, err
		}
		buf := make([]byte, min(n, spliceChunk))
		got := ip.Peek(buf)
		w, err := fe.write(t, buf[:got])
		ip.Consume(w)
		if w > 0 {
			return uintptr(w), fe.storeOff(t, offOutAddr)
		}
		return 0, err
	case outPipe:
		if offOutAddr != 0 {
			return 0, unix.ESPIPE
		}
		fe, err := newFileEnd(t, in, offInAddr)
		if err != nil {
			return 0, err
		}
		room, err := op.WaitRoom(t, nonblock || out.NonBlocking())
		if err != nil {
			return 0, err
		}
		buf := make([]byte, min(n, room, spliceChunk))
		got, err := fe.read(t, buf)
		if got == 0 {
			return 0, err
		}
		w, err := op.Write(t, buf[:got], false)
		if w > 0 {
			return uintptr(w), fe.storeOff(t, offInAddr)
		}
		return 0, err
	}
	return 0, unix.EINVAL
}

// Tee implements Linux syscall tee(2): it copies data between two pipes without consuming it.
func Tee(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	length, flags := args[2], args.Uint(3)
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	in, out, release, err := transferFiles(t, args.Int(0), args.Int(1))
	if err != nil {
		return 0, err
	}
	defer release()
	if length == 0 {
		return 0, nil
	}
	ip, inPipe := pipe.EndpointOf(in.File)
	op, outPipe := pipe.EndpointOf(out.File)
	if !inPipe || !outPipe {
		return 0, unix.EINVAL
	}
	nb := flags&spliceFNonblock != 0 || in.NonBlocking() || out.NonBlocking()
	m, err := pipe.Transfer(t, ip, op, int(min(length, maxRW)), nb, true)
	return uintptr(m), err
}

// Vmsplice implements Linux syscall vmsplice(2): user memory into a pipe's write end, or a
// pipe's read end into user memory. The data is copied (SPLICE_F_GIFT is ignored).
func Vmsplice(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Uint(3)
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	f, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	ep, ok := pipe.EndpointOf(f.File)
	if !ok {
		return 0, unix.EBADF
	}
	iovs, err := readIovecs(t, args.Pointer(1), args.Int(2))
	if err != nil {
		return 0, err
	}
	var total uintptr
	for _, iov := range iovs {
		total += iov.Len
	}
	total = min(total, maxIOChunk)
	if total == 0 {
		return 0, nil
	}
	nonblock := flags&spliceFNonblock != 0 || f.NonBlocking()
	buf := make([]byte, total)
	if writable(f) && ep.Writable() {
		off := 0
		for _, iov := range iovs {
			if off == len(buf) {
				break
			}
			c := min(int(iov.Len), len(buf)-off)
			if _, err := t.CopyIn(iov.Base, buf[off:off+c]); err != nil {
				return 0, unix.EFAULT
			}
			off += c
		}
		w, err := ep.Write(t, buf, nonblock)
		if w > 0 {
			return uintptr(w), nil
		}
		return 0, err
	}
	if !readable(f) || !ep.Readable() {
		return 0, unix.EBADF
	}
	has, err := ep.WaitData(t, nonblock)
	if err != nil || !has {
		return 0, err
	}
	got := ep.Peek(buf)
	off := 0
	for _, iov := range iovs {
		if off == got {
			break
		}
		c := min(int(iov.Len), got-off)
		if _, err := t.CopyOut(iov.Base, buf[off:off+c]); err != nil {
			if off == 0 {
				return 0, unix.EFAULT
			}
			break
		}
		off += c
	}
	ep.Consume(off)
	return uintptr(off), nil
}

// Sendfile implements Linux syscall sendfile(2): count bytes from in_fd (at *offset if
// given, which is then updated; else at and moving its file offset) to out_fd.
func Sendfile(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	offAddr := args.Pointer(2)
	in, out, release, err := transferFiles(t, args.Int(1), args.Int(0))
	if err != nil {
		return 0, err
	}
	defer release()
	if out.StatusFlags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	fe, err := newFileEnd(t, in, offAddr)
	if err != nil {
		return 0, err
	}
	if fe.off == nil && fe.vfd != nil {
		// Read at the file offset and move it by what was written, not what was read.
		cur, err := fe.vfd.Seek(t, 0, unix.SEEK_CUR)
		if err != nil {
			return 0, err
		}
		fe.off = &cur
		defer func() { fe.vfd.Seek(t, *fe.off, unix.SEEK_SET) }()
	}
	count := int64(min(args[3], maxRW))
	var done int64
	buf := make([]byte, min(count, spliceChunk))
	for done < count {
		want := buf[:min(int64(len(buf)), count-done)]
		var start int64
		if fe.off != nil {
			start = *fe.off
		}
		got, rerr := fe.read(t, want)
		if got == 0 {
			if done == 0 && rerr != nil {
				return 0, rerr
			}
			break
		}
		w, werr := out.Write(t, want[:got])
		done += int64(w)
		if fe.off != nil {
			*fe.off = start + int64(w)
		}
		if werr != nil || w < got {
			if done == 0 {
				return 0, werr
			}
			break
		}
		if got < len(want) {
			break
		}
	}
	if offAddr != 0 {
		if err := fe.storeOff(t, offAddr); err != nil {
			return 0, err
		}
	}
	return uintptr(done), nil
}
