package gofer

import (
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/proto"
)

// checkName enforces the one-component rule for every name on the wire.
func checkName(name string) error {
	switch {
	case len(name) > proto.NameMax:
		return unix.ENAMETOOLONG
	case name == "", name == ".", name == "..", strings.ContainsAny(name, "/\x00"):
		return unix.EINVAL
	}
	return nil
}

// noOpenat2 is set once openat2 is found missing (ENOSYS; a seccomp filter should refuse it that way too).
var noOpenat2 atomic.Bool

// lookupAt opens name in the directory dirFD as an O_PATH descriptor without following a
// symlink: a symlink yields a descriptor of the symlink itself.
//
// Preconditions: checkName(name) == nil.
func lookupAt(dirFD int, name string) (int, error) {
	const flags = unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if !noOpenat2.Load() {
		fd, err := retryEINTR(func() (int, error) {
			return unix.Openat2(dirFD, name, &unix.OpenHow{
				Flags:   flags,
				Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
			})
		})
		if err != unix.ENOSYS {
			return fd, err
		}
		noOpenat2.Store(true)
	}
	return retryEINTR(func() (int, error) { return unix.Openat(dirFD, name, flags, 0) })
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		fd, err := f()
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// reopen opens the file of the O_PATH descriptor fd with flags, through /proc/self/fd.
// The magic link leads to the very inode fd refers to, whatever has been renamed since.
func (s *Server) reopen(fd int, flags int) (int, error) {
	return retryEINTR(func() (int, error) {
		return unix.Openat(s.procSelfFD, itoa(fd), flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	})
}

// fstat stats an O_PATH descriptor (a symlink's own attributes for a symlink).
func fstat(fd int) (proto.Stat, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(fd, "", &st, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return proto.Stat{}, err
	}
	return toStat(&st), nil
}

func toStat(st *unix.Stat_t) proto.Stat {
	ts := func(t unix.Timespec) proto.Timespec {
		return proto.Timespec{Sec: t.Sec, Nsec: uint32(t.Nsec)}
	}
	return proto.Stat{
		Mode:    st.Mode,
		Nlink:   uint64(st.Nlink),
		UID:     st.Uid,
		GID:     st.Gid,
		Size:    uint64(st.Size),
		Blocks:  uint64(st.Blocks),
		Blksize: uint32(st.Blksize),
		Atime:   ts(st.Atim),
		Mtime:   ts(st.Mtim),
		Ctime:   ts(st.Ctim),
		Ino:     st.Ino,
		Dev:     st.Dev,
		Rdev:    st.Rdev,
	}
}

// chown sets the owner of an O_PATH descriptor (the symlink itself for a symlink).
// NoID leaves a field alone.
func chown(fd int, uid, gid uint32) error {
	if uid == proto.NoID && gid == proto.NoID {
		return nil
	}
	return unix.Fchownat(fd, "", int(int32(uid)), int(int32(gid)), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
}

// newOwnerErr is the error for a new file whose owner could not be set to what the sentry
// asked: EOVERFLOW, as Linux answers a create by a process whose fsuid has no mapping, for
// the EINVAL of an id the gofer's user namespace does not map (rootless mode maps one).
func newOwnerErr(err error) error {
	if err == unix.EINVAL {
		return unix.EOVERFLOW
	}
	return err
}

func itoa(fd int) string { return strconv.Itoa(fd) }
