package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/pipe"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// pipe2 makes a pipe and stores its two descriptors at addr.
func pipe2(t *kernel.Task, addr uintptr, flags uint32) (uintptr, error) {
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT) != 0 {
		return 0, unix.EINVAL
	}
	c := vfs.TaskCreds(t)
	r, w := pipe.New(c.UID, c.GID, flags)
	rr, wr := kernel.NewFileRef(r), kernel.NewFileRef(w)
	defer rr.DecRef()
	defer wr.DecRef()
	cloexec := flags&unix.O_CLOEXEC != 0
	ft := t.FDTable()
	rfd, err := ft.NewFD(rr, 0, cloexec, fdLimit(t))
	if err != nil {
		return 0, err
	}
	wfd, err := ft.NewFD(wr, 0, cloexec, fdLimit(t))
	if err != nil {
		ft.Remove(rfd)
		return 0, err
	}
	fds := [2]int32{rfd, wfd}
	if err := copyOutStruct(t, addr, &fds); err != nil {
		ft.Remove(rfd)
		ft.Remove(wfd)
		return 0, err
	}
	return 0, nil
}

// Pipe implements Linux syscall pipe(2).
func Pipe(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return pipe2(t, args.Pointer(0), 0)
}

// Pipe2 implements Linux syscall pipe2(2).
func Pipe2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return pipe2(t, args.Pointer(0), args.Uint(1))
}

// pipeFcntl handles fcntl's F_GETPIPE_SZ and F_SETPIPE_SZ: EBADF for files that are not
// pipes or fifos.
func pipeFcntl(t *kernel.Task, f *kernel.FileRef, cmd int32, arg uintptr) (uintptr, error) {
	ep, ok := pipe.EndpointOf(f.File)
	if !ok {
		return 0, unix.EBADF
	}
	if cmd == unix.F_GETPIPE_SZ {
		return uintptr(ep.Pipe().Size()), nil
	}
	n, err := ep.Pipe().SetSize(int64(min(uint64(arg), 1<<32)), vfs.TaskCreds(t).HasCap(unix.CAP_SYS_RESOURCE))
	return uintptr(n), err
}
