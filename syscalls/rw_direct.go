package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Direct I/O between regular files and application memory.
//
// read(2), pread(2) and their vectored forms on a regular file read straight into the
// application's pages (mm.Pin resolves them to the sentry's view of the memory file): a
// gofer or host-backed file is then read by one host pread into the application's memory,
// a tmpfs file by one copy from its pages. Writes send from the application's pages the
// same way. Other files (pipes, sockets, terminals, event files) keep the copy through a
// sentry buffer: their reads may block for any time, and a page pinned across that would
// receive data the application may already have unmapped.
//
// Faults follow Linux: the transfer stops at the first page that is not accessible, with a
// short count, or EFAULT if that is the first page. The pinned run is at most what one
// contiguous memory-file run backs, so a transfer is one file operation per run (usually
// one for a whole buffer); nothing is allocated.

// directFile returns f as a regular-file description whose I/O may use application pages
// directly, or nil.
func directFile(f kernel.File) *vfs.FileDescription {
	if vf, ok := f.(*vfs.FileDescription); ok && vf.Dentry().Type() == unix.S_IFREG {
		return vf
	}
	return nil
}

// readDirect reads up to n (> 0) bytes of f into application memory at addr: at the file
// offset if off is negative, else at off (pread).
func readDirect(t *kernel.Task, f *vfs.FileDescription, addr, n uintptr, off int64) (uintptr, error) {
	m := t.MM()
	var done uintptr
	for done < n {
		p, err := m.Pin(addr+done, n-done, true)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return readFaultResult(t, f, off)
		}
		var got int
		if off < 0 {
			got, err = f.Read(t, p.Data)
		} else {
			got, err = f.PRead(t, p.Data, off+int64(done))
		}
		m.Unpin(p)
		if got > 0 {
			done += uintptr(got)
		}
		if err != nil || got < len(p.Data) {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// readFaultResult is read(2)'s result when the first byte of the buffer cannot be written:
// 0 at the end of the file (Linux does not touch the buffer then), else EFAULT with the
// offset unchanged.
func readFaultResult(t *kernel.Task, f *vfs.FileDescription, off int64) (uintptr, error) {
	if off < 0 {
		cur, err := f.Seek(t, 0, unix.SEEK_CUR)
		if err != nil {
			return 0, unix.EFAULT
		}
		off = cur
	}
	if got, err := f.PRead(t, t.Scratch(1), off); got == 0 && err == nil {
		return 0, nil
	}
	return 0, unix.EFAULT
}

// writeDirect writes up to n (> 0) bytes of application memory at addr to f: at the file
// offset (or the end, for O_APPEND) if off is negative, else at off (pwrite).
func writeDirect(t *kernel.Task, f *vfs.FileDescription, addr, n uintptr, off int64) (uintptr, error) {
	m := t.MM()
	var done uintptr
	for done < n {
		p, err := m.Pin(addr+done, n-done, false)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EFAULT
		}
		var w int
		if off < 0 {
			w, err = f.Write(t, p.Data)
		} else {
			w, err = f.PWrite(t, p.Data, off+int64(done))
		}
		m.Unpin(p)
		if w > 0 {
			done += uintptr(w)
		}
		if err != nil || w < len(p.Data) {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}
