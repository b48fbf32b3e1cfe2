package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

func permsFromProt(prot int) (platform.AccessType, error) {
	if prot&^(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC|unix.PROT_GROWSDOWN|unix.PROT_GROWSUP) != 0 {
		return platform.AccessType{}, unix.EINVAL
	}
	return platform.AccessType{
		Read:    prot&unix.PROT_READ != 0,
		Write:   prot&unix.PROT_WRITE != 0,
		Execute: prot&unix.PROT_EXEC != 0,
	}, nil
}

// Brk implements Linux syscall brk(2).
func Brk(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return t.MM().Brk(args.Pointer(0)), nil
}

// Mmap implements Linux syscall mmap(2). File mappings come with the files milestone: a
// mapping of a descriptor returns ENODEV, as Linux does for a file without mmap support.
func Mmap(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	addr, length, prot, flags, fd, off := args.Pointer(0), args[1], int(args.Int(2)), int(args.Int(3)), args.Int(4), args[5]
	perms, err := permsFromProt(prot)
	if err != nil {
		return 0, err
	}
	typ := flags & unix.MAP_TYPE
	if typ != unix.MAP_SHARED && typ != unix.MAP_PRIVATE && typ != unix.MAP_SHARED_VALIDATE {
		return 0, unix.EINVAL
	}
	if length == 0 || off%linux.PageSize != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		if _, err := t.FDTable().Get(fd); err != nil {
			return 0, unix.EBADF
		}
		return 0, unix.ENODEV
	}
	opts := mm.MMapOpts{
		Addr:      addr,
		Length:    length,
		Perms:     perms,
		Fixed:     flags&unix.MAP_FIXED != 0,
		NoReplace: flags&unix.MAP_FIXED_NOREPLACE != 0,
		Shared:    typ != unix.MAP_PRIVATE,
		GrowsDown: flags&unix.MAP_GROWSDOWN != 0,
	}
	if opts.NoReplace {
		opts.Fixed = false
	}
	return t.MM().MMap(opts)
}

// Munmap implements Linux syscall munmap(2).
func Munmap(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.MM().MUnmap(args.Pointer(0), args[1])
}

// Mprotect implements Linux syscall mprotect(2).
func Mprotect(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	perms, err := permsFromProt(int(args.Int(2)))
	if err != nil {
		return 0, err
	}
	return 0, t.MM().MProtect(args.Pointer(0), args[1], perms)
}

// Mremap implements Linux syscall mremap(2).
func Mremap(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return t.MM().MRemap(args.Pointer(0), args[1], args[2], int(args.Int(3)), args.Pointer(4))
}

// Madvise implements Linux syscall madvise(2).
func Madvise(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.MM().MAdvise(args.Pointer(0), args[1], int(args.Int(2)))
}
