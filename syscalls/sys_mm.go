package syscalls

import (
	"errors"
	"io"
	"math"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
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
	m := t.MM()
	if addr := args.Pointer(0); addr != 0 {
		// RLIMIT_AS: a brk that would exceed it leaves the break where it is.
		if cur := m.Brk(0); addr > cur && exceedsAddressSpaceLimit(t, addr-cur) {
			return cur, nil
		}
	}
	return m.Brk(args.Pointer(0)), nil
}

// Mmap implements Linux syscall mmap(2). File mappings are described at mmapFile.
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
	if exceedsAddressSpaceLimit(t, length) {
		return 0, unix.ENOMEM
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		return mmapFile(t, opts, fd, uint64(off))
	}
	return t.MM().MMap(opts)
}

// mmapFileChunk bounds the buffer that file mappings are filled through.
const mmapFileChunk = 1 << 20

// mmapFile maps the file fd at off as opts says.
//
//   - MAP_SHARED of a file whose description provides an mm.Mappable (tmpfs regular files,
//     including the overlay's upper layer, which a file opened for writing is in, and gofer
//     regular files, whose pages are then cached in the memory file and written back to the
//     host file) maps the file's pages: writes through the mapping are the file's data,
//     read(2)/write(2) and every other mapping (in this or any process, across fork) see
//     the same bytes, pages are allocated (or read in) on first touch, a page wholly past
//     the end of the file raises SIGBUS, and a shrinking truncate zaps the pages past the
//     new end from every mapping (see mm.Mappable). mprotect(PROT_WRITE) is EACCES if the
//     descriptor was not open for writing.
//
// Other file mappings are copies made at mmap time:
//
//   - MAP_PRIVATE of a regular file is a private anonymous mapping, created writable, filled
//     from the file with pread, then given the requested protection (PROT_NONE included).
//     Writes to it are private, as they should be. Unlike Linux, later writes to the file
//     are not seen through the mapping (Linux shows them until a page is first written),
//     and pages wholly past the end of the file read as zeros instead of raising SIGBUS.
//     The part past EOF of the last page is zero, as in Linux.
//   - MAP_SHARED without PROT_WRITE of another regular file without a Mappable (only
//     without a memory file, in tests) is mapped the same way, as a snapshot; with
//     PROT_WRITE it cannot be honoured (writes would not reach the file): ENODEV.
//   - /dev/zero maps as anonymous memory, as Linux's does. Other files (directories, other
//     devices, pipes, sockets, eventfd, epoll...) fail with ENODEV.
//
// Errors, in Linux's order: EBADF for a descriptor that is not open (or is O_PATH); EACCES
// if it is not open for reading, or for MAP_SHARED with PROT_WRITE if it is not open for
// writing; EPERM for PROT_EXEC of a file on a noexec mount; ENODEV as above. Another
// thread of the process can see the mapping while it is being filled.
func mmapFile(t *kernel.Task, opts mm.MMapOpts, fd int32, off uint64) (uintptr, error) {
	ref, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, unix.EBADF
	}
	defer ref.DecRef()
	if off >= math.MaxInt64 || uint64(opts.Length) > math.MaxInt64-off { // file_mmap_ok
		return 0, unix.EOVERFLOW
	}
	f, ok := ref.File.(*vfs.FileDescription)
	if ok && f.IsPath() {
		return 0, unix.EBADF
	}
	acc := ref.File.StatusFlags() & unix.O_ACCMODE
	if opts.Shared && opts.Perms.Write && acc != unix.O_WRONLY && acc != unix.O_RDWR {
		return 0, unix.EACCES
	}
	if acc != unix.O_RDONLY && acc != unix.O_RDWR {
		return 0, unix.EACCES
	}
	if !ok {
		return 0, unix.ENODEV // not a VFS file: pipes, sockets, eventfd, epoll, host stdio
	}
	if opts.Perms.Execute && f.VirtualDentry().Mount.Flags()&unix.MS_NOEXEC != 0 {
		return 0, unix.EPERM
	}
	switch f.Dentry().Type() {
	case unix.S_IFREG:
	case unix.S_IFCHR:
		if st, err := f.StatX(); err == nil && st.Rdev == unix.Mkdev(1, 5) { // /dev/zero
			return t.MM().MMap(opts)
		}
		return 0, unix.ENODEV
	default:
		return 0, unix.ENODEV
	}
	var mappable mm.Mappable
	if mp, ok := f.Impl().(mm.MappableProvider); ok && opts.Shared {
		mappable = mp.Mappable()
	}
	if mappable == nil && opts.Shared && opts.Perms.Write {
		return 0, unix.ENODEV // the file's pages cannot be shared
	}
	if fsc := vfs.TaskFSContext(t); fsc != nil {
		opts.Name, _ = fsc.VFS().PathFrom(fsc.Root(), f.VirtualDentry())
	}
	if mappable != nil {
		opts.Mappable, opts.Offset = mappable, off
		opts.DenyWrite = acc == unix.O_RDONLY
		return t.MM().MMap(opts)
	}

	length, ok := linux.PageRoundUp(opts.Length)
	if !ok {
		return 0, unix.ENOMEM
	}
	perms := opts.Perms
	opts.Perms = platform.ReadWrite
	m := t.MM()
	addr, err := m.MMap(opts)
	if err != nil {
		return 0, err
	}
	fail := func(err error) (uintptr, error) {
		m.MUnmap(addr, length)
		return 0, err
	}
	// Whole pages are filled: the file's bytes past length in the last page are visible,
	// as in Linux.
	buf := t.Scratch(int(min(length, mmapFileChunk)))
	for done := uintptr(0); done < length; {
		chunk := buf[:min(uintptr(len(buf)), length-done)]
		n, err := f.PRead(t, chunk, int64(off)+int64(done))
		if n > 0 {
			if c, cerr := m.CopyOut(addr+done, chunk[:n]); cerr != nil || c != n {
				return fail(unix.ENOMEM)
			}
			done += uintptr(n)
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			break
		}
		if err != nil {
			var errno unix.Errno
			if !errors.As(err, &errno) {
				errno = unix.EIO
			}
			return fail(errno)
		}
	}
	if perms != platform.ReadWrite {
		if err := m.MProtect(addr, length, perms); err != nil {
			return fail(err)
		}
	}
	return addr, nil
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
	if oldLen, newLen := args[1], args[2]; newLen > oldLen && exceedsAddressSpaceLimit(t, newLen-oldLen) {
		return 0, unix.ENOMEM
	}
	return t.MM().MRemap(args.Pointer(0), args[1], args[2], int(args.Int(3)), args.Pointer(4))
}

// Madvise implements Linux syscall madvise(2).
func Madvise(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.MM().MAdvise(args.Pointer(0), args[1], int(args.Int(2)))
}

// Msync implements Linux syscall msync(2). Shared file mappings use the file's own pages
// (mmapFile): for tmpfs files they are the data, and there is nothing to write back; gofer
// files' pages cache the host file and are written back to it (for MS_ASYNC too, at once).
// Copied mappings have no way back to the file. Errors: EINVAL for unknown flags, MS_SYNC
// with MS_ASYNC, or an unaligned addr; ENOMEM if part of the range is not mapped; EIO if
// writing back fails.
func Msync(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	addr, length, flags := args.Pointer(0), args[1], int(args.Int(2))
	if flags&^(unix.MS_ASYNC|unix.MS_INVALIDATE|unix.MS_SYNC) != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0 {
		return 0, unix.EINVAL
	}
	return 0, t.MM().Sync(addr, length)
}
