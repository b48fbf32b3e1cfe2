package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// CopyFileRange implements Linux syscall copy_file_range(2) between regular files of the
// same filesystem instance, copying through the sentry with pread/pwrite. With a NULL
// offset pointer the file offset is used and moved; otherwise *off is used and updated.
// Errors follow Linux >= 5.19: EINVAL for flags, non-regular files (EISDIR for
// directories) and overlapping ranges of one file, EOVERFLOW for negative offsets; EBADF for a
// non-readable input, a non-writable or O_APPEND output; EXDEV across filesystems (no
// filesystem here implements cross-filesystem copies).
func CopyFileRange(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	offInAddr, offOutAddr := args.Pointer(1), args.Pointer(3)
	length := args[4]
	if args.Uint(5) != 0 {
		return 0, unix.EINVAL
	}
	in, err := getFile(t, args.Int(0))
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	out, err := getFile(t, args.Int(2))
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	vin, okIn := in.File.(*vfs.FileDescription)
	vout, okOut := out.File.(*vfs.FileDescription)
	if !okIn || !okOut || vin.IsPath() || vout.IsPath() {
		if okIn && vin.IsPath() || okOut && vout.IsPath() {
			return 0, unix.EBADF
		}
		return 0, unix.EINVAL
	}
	if !vin.Readable() || !vout.Writable() || vout.StatusFlags()&unix.O_APPEND != 0 {
		return 0, unix.EBADF
	}
	for _, d := range []*vfs.Dentry{vin.Dentry(), vout.Dentry()} {
		if d.IsDir() {
			return 0, unix.EISDIR
		}
		if d.Type() != unix.S_IFREG {
			return 0, unix.EINVAL
		}
	}
	offset := func(vfd *vfs.FileDescription, addr uintptr) (int64, error) {
		if addr == 0 {
			return vfd.Seek(t, 0, unix.SEEK_CUR)
		}
		var off int64
		if err := copyInStruct(t, addr, &off); err != nil {
			return 0, err
		}
		return off, nil
	}
	posIn, err := offset(vin, offInAddr)
	if err != nil {
		return 0, err
	}
	posOut, err := offset(vout, offOutAddr)
	if err != nil {
		return 0, err
	}
	count := int64(min(length, maxRW))
	// Linux compares the offsets as unsigned: a negative one wraps (EOVERFLOW) unless
	// nothing is to be copied, when the read/write checks refuse it (EINVAL).
	if posIn < 0 || posOut < 0 || posIn+count < posIn || posOut+count < posOut {
		if count == 0 {
			return 0, unix.EINVAL
		}
		return 0, unix.EOVERFLOW
	}
	st, err := vin.StatX()
	if err != nil {
		return 0, err
	}
	// Shorten the copy to the input's end, then refuse overlapping ranges of one file.
	if size := int64(st.Size); posIn >= size {
		count = 0
	} else {
		count = min(count, size-posIn)
	}
	if vin.Dentry().Inode() == vout.Dentry().Inode() && posOut+count > posIn && posOut < posIn+count {
		return 0, unix.EINVAL
	}
	if vin.Dentry().Filesystem() != vout.Dentry().Filesystem() {
		return 0, unix.EXDEV
	}
	if vout.VirtualDentry().Mount.ReadOnly() {
		return 0, unix.EROFS
	}
	if count == 0 {
		return 0, nil
	}
	var done int64
	buf := make([]byte, min(count, spliceChunk))
	for done < count {
		want := buf[:min(int64(len(buf)), count-done)]
		n, rerr := vin.PRead(t, want, posIn+done)
		if n > 0 {
			m, werr := vout.PWrite(t, want[:n], posOut+done)
			done += int64(m)
			if werr != nil || m < n {
				if done == 0 {
					return 0, werr
				}
				break
			}
		}
		if rerr != nil {
			if done == 0 {
				return 0, rerr
			}
			break
		}
		if n == 0 {
			break
		}
	}
	if offInAddr != 0 {
		v := posIn + done
		if err := copyOutStruct(t, offInAddr, &v); err != nil {
			return 0, err
		}
	} else if _, err := vin.Seek(t, posIn+done, unix.SEEK_SET); err != nil {
		return 0, err
	}
	if offOutAddr != 0 {
		v := posOut + done
		if err := copyOutStruct(t, offOutAddr, &v); err != nil {
			return 0, err
		}
	} else if _, err := vout.Seek(t, posOut+done, unix.SEEK_SET); err != nil {
		return 0, err
	}
	return uintptr(done), nil
}
