package proc

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// FDNamer is implemented by files that are not in the VFS tree (pipes, anonymous inodes,
// sockets) to name themselves in /proc/<pid>/fd, as "pipe:[ino]" or "anon_inode:[eventfd]".
type FDNamer interface {
	ProcFDName() string
}

// fdDir is /proc/<pid>/fd (symlinks) or fdinfo (files).
func (x target) fdDir(info bool) *dir {
	mode := uint32(unix.S_IFDIR | 0500)
	if info {
		mode = unix.S_IFDIR | 0555
	}
	typ := uint8(unix.DT_LNK)
	if info {
		typ = unix.DT_REG
	}
	d := &dir{attrs: x.attrs(mode)}
	table := func() *kernel.FDTable {
		if t := x.task(); t != nil {
			return t.FDTable()
		}
		return nil
	}
	d.list = func() []vfs.Dirent {
		ft := table()
		if ft == nil {
			return nil
		}
		var out []vfs.Dirent
		for _, fd := range ft.FDsInRange(0, ^uint32(0)) {
			out = append(out, vfs.Dirent{Name: strconv.Itoa(int(fd)), Type: typ, Ino: x.fs.ino()})
		}
		return out
	}
	d.lookup = func(name string) (vfs.Inode, error) {
		n, err := strconv.ParseInt(name, 10, 32)
		if err != nil || n < 0 || strconv.Itoa(int(n)) != name {
			return nil, unix.ENOENT
		}
		fd := int32(n)
		ft := table()
		if ft == nil {
			return nil, unix.ENOENT
		}
		f, err := ft.Get(fd)
		if err != nil {
			return nil, unix.ENOENT
		}
		f.DecRef()
		open := func() bool {
			if !x.alive() {
				return false
			}
			ft := table()
			if ft == nil {
				return false
			}
			f, err := ft.Get(fd)
			if err != nil {
				return false
			}
			f.DecRef()
			return true
		}
		a := x.attrs(unix.S_IFLNK | 0700)
		a.valid = open
		if info {
			a.mode = unix.S_IFREG | 0444
			return &file{attrs: a, gen: func(r *kernel.Task) ([]byte, error) { return x.fdInfo(r, fd) }}, nil
		}
		return &fdLink{symlink: symlink{attrs: a, target: func(r *kernel.Task) (string, error) { return x.fdTarget(r, fd) }}, x: x, fd: fd}, nil
	}
	return d
}

// Reopener is implemented by files that are not in the VFS tree but that opening
// /proc/<pid>/fd/N opens again (pipes: as a fifo; host descriptors).
type Reopener interface {
	Reopen(flags uint32) (vfs.FileDescriptionImpl, error)
}

// fdLink is /proc/<pid>/fd/N: a magic link to the open file (vfs.MagicLinkInode). Its
// target is the file's location for a file in the VFS tree; for a Reopener, an inode with
// the file's attributes whose open reopens it. Other files (anonymous inodes) are followed
// as their name, which leads nowhere (Linux: ENXIO on open).
type fdLink struct {
	symlink
	x  target
	fd int32
}

var _ vfs.MagicLinkInode = (*fdLink)(nil)

// MagicLink implements vfs.MagicLinkInode.
func (l *fdLink) MagicLink(t *kernel.Task) (vfs.VirtualDentry, vfs.Inode, bool, error) {
	if !l.isValid() {
		return vfs.VirtualDentry{}, nil, false, unix.ENOENT
	}
	f, err := l.x.file(l.fd)
	if err != nil {
		return vfs.VirtualDentry{}, nil, false, err
	}
	defer f.DecRef()
	switch file := f.File.(type) {
	case *vfs.FileDescription:
		return file.VirtualDentry(), nil, true, nil
	case Reopener:
		st, err := f.Stat(t)
		if err != nil {
			return vfs.VirtualDentry{}, nil, false, err
		}
		return vfs.VirtualDentry{}, &reopenInode{st: st, r: file}, true, nil
	}
	return vfs.VirtualDentry{}, nil, false, nil
}

// reopenInode is an open file outside the VFS tree as /proc/<pid>/fd/N reaches it: the
// file's attributes when the link was followed, and an open that reopens it.
type reopenInode struct {
	st unix.Stat_t
	r  Reopener
}

// Stat implements vfs.Inode.
func (i *reopenInode) Stat() (vfs.Stat, error) {
	st := i.st
	return vfs.Stat{Mode: st.Mode, Nlink: uint32(st.Nlink), UID: st.Uid, GID: st.Gid, Size: uint64(st.Size),
		Blocks: uint64(st.Blocks), Ino: st.Ino, Blksize: uint32(st.Blksize), Rdev: st.Rdev,
		Atime: time.Unix(st.Atim.Unix()), Mtime: time.Unix(st.Mtim.Unix()), Ctime: time.Unix(st.Ctim.Unix())}, nil
}

// SetStat implements vfs.Inode: only the truncation of open(2)'s O_TRUNC, for files that
// can (host files); other attribute changes are not the link's to make.
func (i *reopenInode) SetStat(s *vfs.SetStat) error {
	if tr, ok := i.r.(interface{ Truncate(int64) error }); ok && s.Mask == vfs.SetSize {
		return tr.Truncate(int64(s.Size))
	}
	return unix.EPERM
}

// Open implements vfs.Inode.
func (i *reopenInode) Open(flags uint32) (vfs.FileDescriptionImpl, error) { return i.r.Reopen(flags) }

// file returns the open file fd of the target with a reference, or ENOENT.
func (x target) file(fd int32) (*kernel.FileRef, error) {
	t := x.task()
	if t == nil {
		return nil, unix.ENOENT
	}
	ft := t.FDTable()
	if ft == nil {
		return nil, unix.ENOENT
	}
	f, err := ft.Get(fd)
	if err != nil {
		return nil, unix.ENOENT
	}
	return f, nil
}

// fdTarget names the file fd: its path for a VFS file, else as Linux names pipes,
// sockets and anonymous inodes.
func (x target) fdTarget(r *kernel.Task, fd int32) (string, error) {
	f, err := x.file(fd)
	if err != nil {
		return "", err
	}
	defer f.DecRef()
	return x.fileName(r, f.File), nil
}

func (x target) fileName(r *kernel.Task, f kernel.File) string {
	if n, ok := f.(FDNamer); ok {
		return n.ProcFDName()
	}
	if vf, ok := f.(*vfs.FileDescription); ok {
		vd := vf.VirtualDentry()
		if root, fsc := x.readerRoot(r); fsc != nil {
			p, reachable := fsc.VFS().PathFrom(root, vd)
			if vd.Dentry.IsDead() {
				p += " (deleted)"
			}
			if reachable || vd.Dentry.Type() != unix.S_IFIFO {
				return p
			}
		}
	}
	st, err := f.Stat(r)
	var ino uint64
	if err == nil {
		ino = st.Ino
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO:
			return fmt.Sprintf("pipe:[%d]", ino)
		case unix.S_IFSOCK:
			return fmt.Sprintf("socket:[%d]", ino)
		}
	}
	// Anonymous files are named after their package (fsimpl/eventfd: eventfd...).
	tn := reflect.TypeOf(f).String()
	tn = strings.TrimPrefix(tn, "*")
	pkg, _, _ := strings.Cut(tn, ".")
	switch pkg {
	case "epoll":
		return "anon_inode:[eventpoll]"
	case "eventfd", "signalfd", "timerfd", "inotify":
		return "anon_inode:[" + pkg + "]"
	case "pipe":
		return fmt.Sprintf("pipe:[%d]", ino)
	case "host":
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR {
			return fmt.Sprintf("/dev/char/%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		return fmt.Sprintf("host:[%d]", ino)
	}
	return "anon_inode:[" + pkg + "]"
}

// fdInfo is /proc/<pid>/fdinfo/<fd>.
func (x target) fdInfo(r *kernel.Task, fd int32) ([]byte, error) {
	f, err := x.file(fd)
	if err != nil {
		return nil, err
	}
	defer f.DecRef()
	var pos int64
	var mntID uint64
	var ino uint64
	if vf, ok := f.File.(*vfs.FileDescription); ok {
		if !vf.IsPath() {
			pos, _ = vf.Seek(r, 0, unix.SEEK_CUR)
		}
		mntID = vf.VirtualDentry().Mount.ID()
	}
	flags := f.File.StatusFlags()
	if vf, ok := f.File.(*vfs.FileDescription); ok && !vf.IsPath() {
		flags |= linux.O_LARGEFILE // forced by open(2) on 64-bit, as F_GETFL reports
	}
	if st, err := f.File.Stat(r); err == nil {
		ino = st.Ino
	}
	if t := x.task(); t != nil {
		if ce, err := t.FDTable().CloseOnExec(fd); err == nil && ce {
			flags |= unix.O_CLOEXEC
		}
	}
	out := fmt.Sprintf("pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", pos, flags, mntID, ino)
	if in, ok := f.File.(*vfs.Inotify); ok {
		out += in.FDInfo()
	}
	return []byte(out), nil
}
