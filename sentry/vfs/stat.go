package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

func statxTimestamp(t time.Time) unix.StatxTimestamp {
	ts := timespec(t)
	return unix.StatxTimestamp{Sec: ts.Sec, Nsec: uint32(ts.Nsec)}
}

// ToStatT converts to struct stat.
func (s *Stat) ToStatT() unix.Stat_t {
	blksize := s.Blksize
	if blksize == 0 {
		blksize = 4096
	}
	return unix.Stat_t{
		Dev: s.Dev, Ino: s.Ino, Nlink: uint64(s.Nlink), Mode: s.Mode, Uid: s.UID, Gid: s.GID,
		Rdev: s.Rdev, Size: int64(s.Size), Blksize: int64(blksize), Blocks: int64(s.Blocks),
		Atim: timespec(s.Atime), Mtim: timespec(s.Mtime), Ctim: timespec(s.Ctime),
	}
}

// ToStatx converts to struct statx with every basic field (and btime if known).
func (s *Stat) ToStatx() unix.Statx_t {
	blksize := s.Blksize
	if blksize == 0 {
		blksize = 4096
	}
	mask := uint32(unix.STATX_BASIC_STATS)
	if !s.Btime.IsZero() {
		mask |= unix.STATX_BTIME
	}
	return unix.Statx_t{
		Mask: mask, Blksize: blksize, Nlink: s.Nlink, Uid: s.UID, Gid: s.GID,
		Mode: uint16(s.Mode), Ino: s.Ino, Size: s.Size, Blocks: s.Blocks,
		Atime: statxTimestamp(s.Atime), Btime: statxTimestamp(s.Btime),
		Ctime: statxTimestamp(s.Ctime), Mtime: statxTimestamp(s.Mtime),
		Rdev_major: unix.Major(s.Rdev), Rdev_minor: unix.Minor(s.Rdev),
		Dev_major: unix.Major(s.Dev), Dev_minor: unix.Minor(s.Dev),
	}
}
