package gofer

import (
	"bytes"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/proto"
)

// dispatch runs one request. It returns the response and the descriptors to donate with it
// (closed by the caller after sending), or an error that becomes an errno.
func (c *connection) dispatch(m proto.Message) (proto.Message, []int, error) {
	switch m := m.(type) {
	case *proto.AttachReq:
		return c.attach(m)
	case *proto.WalkReq:
		return c.walk(m)
	case *proto.OpenReq:
		return c.open(m)
	case *proto.CreateReq:
		return c.create(m)
	case *proto.MkdirReq:
		return c.mkdir(m)
	case *proto.MknodReq:
		return c.mknod(m)
	case *proto.SymlinkReq:
		return c.symlink(m)
	case *proto.LinkReq:
		return c.link(m)
	case *proto.UnlinkReq:
		return c.unlink(m)
	case *proto.RenameReq:
		return c.rename(m)
	case *proto.ReadlinkReq:
		return c.readlink(m)
	case *proto.GetdentsReq:
		return c.getdents(m)
	case *proto.StatReq:
		return c.stat(m)
	case *proto.SetAttrReq:
		return c.setAttr(m)
	case *proto.StatFSReq:
		return c.statFS(m)
	case *proto.GetXattrReq:
		return c.getXattr(m)
	case *proto.SetXattrReq:
		return c.setXattr(m)
	case *proto.ListXattrReq:
		return c.listXattr(m)
	case *proto.RemoveXattrReq:
		return c.removeXattr(m)
	case *proto.CloseReq:
		return c.close(m)
	}
	return nil, nil, unix.ENOSYS
}

func (c *connection) attach(m *proto.AttachReq) (proto.Message, []int, error) {
	mnt, ok := c.s.mounts[m.Name]
	if !ok {
		return nil, nil, unix.ENOENT
	}
	fd, err := unix.FcntlInt(uintptr(mnt.rootFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	in, err := c.addStat(fd, mnt)
	if err != nil {
		return nil, nil, err
	}
	ro := uint8(0)
	if mnt.readOnly {
		ro = 1
	}
	return &proto.AttachResp{Root: in, ReadOnly: ro}, nil, nil
}

// addStat stats fd and adds it to the handle table (taking ownership of fd).
func (c *connection) addStat(fd int, mnt *mount) (proto.Inode, error) {
	st, err := fstat(fd)
	if err != nil {
		unix.Close(fd)
		return proto.Inode{}, err
	}
	h, err := c.add(fd, mnt, st.Mode&unix.S_IFMT)
	if err != nil {
		return proto.Inode{}, err
	}
	return proto.Inode{Handle: h, Stat: st}, nil
}

// dirNode returns the directory node of h; with write set, its mount must be writable.
func (c *connection) dirNode(h proto.Handle, write bool) (*node, error) {
	n, err := c.get(h)
	if err != nil {
		return nil, err
	}
	switch {
	case !n.isDir():
		err = unix.ENOTDIR
	case write && n.mnt.readOnly:
		err = unix.EROFS
	}
	if err != nil {
		n.decRef()
		return nil, err
	}
	return n, nil
}

func (c *connection) walk(m *proto.WalkReq) (proto.Message, []int, error) {
	for _, name := range m.Names {
		if err := checkName(name); err != nil {
			return nil, nil, err
		}
	}
	dir, err := c.get(m.Dir)
	if err != nil {
		return nil, nil, err
	}
	defer dir.decRef()
	resp := &proto.WalkResp{Inodes: make([]proto.Inode, 0, len(m.Names))}
	cur, curType := dir.fd, dir.ftype
	for _, name := range m.Names {
		if curType != unix.S_IFDIR {
			// Only reached past a non-directory that is not a symlink.
			resp.Errno = uint32(unix.ENOTDIR)
			break
		}
		fd, err := lookupAt(cur, name)
		if err != nil {
			resp.Errno = uint32(toErrno(err))
			break
		}
		in, err := c.addStat(fd, dir.mnt)
		if err != nil {
			resp.Errno = uint32(toErrno(err))
			break
		}
		resp.Inodes = append(resp.Inodes, in)
		curType = in.Stat.Mode & unix.S_IFMT
		if curType == unix.S_IFLNK {
			break // never followed: the client resolves it
		}
		// The node stays in the table until the client closes it, so its fd is valid
		// here unless the client closes the handle concurrently; then lookups fail
		// with EBADF, harmlessly.
		n, err := c.get(in.Handle)
		if err != nil {
			resp.Errno = uint32(toErrno(err))
			break
		}
		cur = n.fd
		defer n.decRef()
	}
	if len(resp.Inodes) == len(m.Names) {
		resp.Errno = 0
	}
	return resp, nil, nil
}

// openFlags are the open(2) flags a client may pass to open and create; O_CREAT, O_EXCL,
// O_NOFOLLOW, O_CLOEXEC and O_NOCTTY are accepted and ignored (the server sets what it needs).
const (
	openFlags = unix.O_ACCMODE | unix.O_APPEND | unix.O_TRUNC | unix.O_DIRECTORY |
		unix.O_NONBLOCK | unix.O_SYNC | unix.O_DSYNC | unix.O_DIRECT | unix.O_NOATIME |
		unix.O_LARGEFILE
	ignoredFlags = unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NOCTTY
)

func checkOpenFlags(flags uint32, ro bool) (int, error) {
	f := int(flags)
	if f&^(openFlags|ignoredFlags) != 0 || f&unix.O_ACCMODE == unix.O_ACCMODE {
		return 0, unix.EINVAL // O_PATH, O_TMPFILE and unknown bits
	}
	if ro && (f&unix.O_ACCMODE != unix.O_RDONLY || f&unix.O_TRUNC != 0) {
		return 0, unix.EROFS
	}
	return f & openFlags, nil
}

func (c *connection) open(m *proto.OpenReq) (proto.Message, []int, error) {
	n, err := c.get(m.Handle)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	flags, err := checkOpenFlags(m.Flags, n.mnt.readOnly)
	if err != nil {
		return nil, nil, err
	}
	switch n.ftype {
	case unix.S_IFREG:
		if flags&unix.O_DIRECTORY != 0 {
			return nil, nil, unix.ENOTDIR
		}
	case unix.S_IFDIR:
		if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
			return nil, nil, unix.EISDIR
		}
	case unix.S_IFLNK:
		return nil, nil, unix.ELOOP
	case unix.S_IFCHR, unix.S_IFBLK:
		return nil, nil, unix.EPERM
	default: // FIFOs and sockets live in the sentry.
		return nil, nil, unix.ENXIO
	}
	fd, err := c.s.reopen(n.fd, flags)
	if err != nil {
		return nil, nil, err
	}
	return &proto.OpenResp{}, []int{fd}, nil
}

func (c *connection) create(m *proto.CreateReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	dir, err := c.dirNode(m.Dir, true)
	if err != nil {
		return nil, nil, err
	}
	defer dir.decRef()
	flags, err := checkOpenFlags(m.Flags, false)
	if err != nil {
		return nil, nil, err
	}
	if flags&unix.O_DIRECTORY != 0 {
		return nil, nil, unix.EINVAL
	}
	flags |= unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := retryEINTR(func() (int, error) { return unix.Openat(dir.fd, m.Name, flags, m.Mode&07777) })
	if err != nil {
		return nil, nil, err
	}
	undo := func() {
		unix.Close(fd)
		unix.Unlinkat(dir.fd, m.Name, 0)
	}
	if m.UID != proto.NoID || m.GID != proto.NoID {
		if err := unix.Fchown(fd, int(int32(m.UID)), int(int32(m.GID))); err != nil {
			undo()
			return nil, nil, newOwnerErr(err)
		}
	}
	pathFD, err := c.s.reopen(fd, unix.O_PATH)
	if err != nil {
		undo()
		return nil, nil, err
	}
	in, err := c.addStat(pathFD, dir.mnt)
	if err != nil {
		undo()
		return nil, nil, err
	}
	return &proto.CreateResp{Inode: in}, []int{fd}, nil
}

// makeNode runs mk, which makes the file name in dir (a writable directory handle), then
// looks the new file up, sets its owner (proto.NoID leaves one as made) and adds a handle
// for it. A file made but not handed out is removed again.
func (c *connection) makeNode(op proto.Op, dirH proto.Handle, name string, uid, gid uint32, mk func(dir *node) error) (proto.Message, []int, error) {
	dir, err := c.dirNode(dirH, true)
	if err != nil {
		return nil, nil, err
	}
	defer dir.decRef()
	if err := mk(dir); err != nil {
		return nil, nil, err
	}
	fd, err := lookupAt(dir.fd, name)
	if err == nil {
		if err = chown(fd, uid, gid); err != nil {
			unix.Close(fd)
			err = newOwnerErr(err)
		}
	}
	if err != nil {
		flags := 0
		if op == proto.OpMkdir {
			flags = unix.AT_REMOVEDIR
		}
		unix.Unlinkat(dir.fd, name, flags)
		return nil, nil, err
	}
	in, err := c.addStat(fd, dir.mnt)
	if err != nil {
		return nil, nil, err
	}
	return proto.NewInodeResp(op, in), nil, nil
}

func (c *connection) mkdir(m *proto.MkdirReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	return c.makeNode(proto.OpMkdir, m.Dir, m.Name, m.UID, m.GID, func(dir *node) error {
		return unix.Mkdirat(dir.fd, m.Name, m.Mode&07777)
	})
}

func (c *connection) mknod(m *proto.MknodReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	mode := m.Mode
	switch mode & unix.S_IFMT {
	case 0:
		mode |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		return nil, nil, unix.EPERM // device files are never created
	default:
		return nil, nil, unix.EINVAL
	}
	return c.makeNode(proto.OpMknod, m.Dir, m.Name, m.UID, m.GID, func(dir *node) error {
		return unix.Mknodat(dir.fd, m.Name, mode&(unix.S_IFMT|07777), 0)
	})
}

func (c *connection) symlink(m *proto.SymlinkReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	switch {
	case m.Target == "":
		return nil, nil, unix.ENOENT
	case len(m.Target) > proto.PathMax:
		return nil, nil, unix.ENAMETOOLONG
	case strings.IndexByte(m.Target, 0) >= 0:
		return nil, nil, unix.EINVAL
	}
	return c.makeNode(proto.OpSymlink, m.Dir, m.Name, m.UID, m.GID, func(dir *node) error {
		return unix.Symlinkat(m.Target, dir.fd, m.Name)
	})
}

func (c *connection) link(m *proto.LinkReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	return c.makeNode(proto.OpLink, m.Dir, m.Name, proto.NoID, proto.NoID, func(dir *node) error {
		target, err := c.get(m.Target)
		if err != nil {
			return err
		}
		defer target.decRef()
		switch {
		case target.mnt != dir.mnt:
			return unix.EXDEV
		case target.isDir():
			return unix.EPERM
		}
		// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it, go through the magic link.
		err = unix.Linkat(target.fd, "", dir.fd, m.Name, unix.AT_EMPTY_PATH)
		if err == unix.ENOENT || err == unix.EPERM {
			err = unix.Linkat(c.s.procSelfFD, itoa(target.fd), dir.fd, m.Name, unix.AT_SYMLINK_FOLLOW)
		}
		return err
	})
}

func (c *connection) unlink(m *proto.UnlinkReq) (proto.Message, []int, error) {
	if err := checkName(m.Name); err != nil {
		return nil, nil, err
	}
	if m.Flags&^unix.AT_REMOVEDIR != 0 {
		return nil, nil, unix.EINVAL
	}
	dir, err := c.dirNode(m.Dir, true)
	if err != nil {
		return nil, nil, err
	}
	defer dir.decRef()
	if err := unix.Unlinkat(dir.fd, m.Name, int(m.Flags)); err != nil {
		return nil, nil, err
	}
	return proto.NewEmptyResp(proto.OpUnlink), nil, nil
}

func (c *connection) rename(m *proto.RenameReq) (proto.Message, []int, error) {
	if err := checkName(m.OldName); err != nil {
		return nil, nil, err
	}
	if err := checkName(m.NewName); err != nil {
		return nil, nil, err
	}
	const allowed = unix.RENAME_NOREPLACE | unix.RENAME_EXCHANGE
	if m.Flags&^allowed != 0 || m.Flags == allowed {
		return nil, nil, unix.EINVAL // RENAME_WHITEOUT is the overlay's business, not ours
	}
	oldDir, err := c.dirNode(m.OldDir, true)
	if err != nil {
		return nil, nil, err
	}
	defer oldDir.decRef()
	newDir, err := c.dirNode(m.NewDir, true)
	if err != nil {
		return nil, nil, err
	}
	defer newDir.decRef()
	if oldDir.mnt != newDir.mnt {
		return nil, nil, unix.EXDEV
	}
	// The kernel refuses a directory moved into its own subtree with EINVAL.
	if err := unix.Renameat2(oldDir.fd, m.OldName, newDir.fd, m.NewName, uint(m.Flags)); err != nil {
		return nil, nil, err
	}
	return proto.NewEmptyResp(proto.OpRename), nil, nil
}

func (c *connection) readlink(m *proto.ReadlinkReq) (proto.Message, []int, error) {
	n, err := c.get(m.Handle)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	if n.ftype != unix.S_IFLNK {
		return nil, nil, unix.EINVAL
	}
	buf := make([]byte, proto.PathMax+1)
	l, err := unix.Readlinkat(n.fd, "", buf)
	if err != nil {
		return nil, nil, err
	}
	return &proto.ReadlinkResp{Target: string(buf[:l])}, nil, nil
}

// getdentsMax bounds the entries of one getdents response.
const getdentsMax = proto.MaxPayload - 64

func (c *connection) getdents(m *proto.GetdentsReq) (proto.Message, []int, error) {
	n, err := c.get(m.Dir)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	if !n.isDir() {
		return nil, nil, unix.ENOTDIR
	}
	limit := min(int(m.MaxBytes), getdentsMax)
	if limit < proto.DirentSize(strings.Repeat("x", proto.NameMax)) {
		return nil, nil, unix.EINVAL
	}
	n.dirMu.Lock()
	defer n.dirMu.Unlock()
	if n.dirFD < 0 {
		fd, err := c.s.reopen(n.fd, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			return nil, nil, err
		}
		n.dirFD = fd
	}
	// Each request seeks to the client's position, so the stream's own position never
	// matters and entries that do not fit are simply read again next time.
	if _, err := unix.Seek(n.dirFD, int64(m.Offset), 0); err != nil {
		return nil, nil, err
	}
	resp := &proto.GetdentsResp{}
	used := 4
	buf := make([]byte, 32<<10)
	for {
		nr, err := unix.Getdents(n.dirFD, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if nr == 0 {
			return resp, nil, nil
		}
		for b := buf[:nr]; len(b) >= 19; {
			reclen := int(le16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return nil, nil, unix.EIO
			}
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			de := proto.Dirent{Ino: le64(b), Off: le64(b[8:]), Type: b[18], Name: string(name)}
			b = b[reclen:]
			if de.Name == "." || de.Name == ".." {
				continue
			}
			if used+proto.DirentSize(de.Name) > limit {
				return resp, nil, nil
			}
			used += proto.DirentSize(de.Name)
			resp.Dirents = append(resp.Dirents, de)
		}
	}
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (c *connection) stat(m *proto.StatReq) (proto.Message, []int, error) {
	n, err := c.get(m.Handle)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	return statResp(proto.OpStat, n.fd)
}

func (c *connection) setAttr(m *proto.SetAttrReq) (proto.Message, []int, error) {
	n, err := c.get(m.Handle)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	if m.Mask != 0 && n.mnt.readOnly {
		return nil, nil, unix.EROFS
	}
	if m.Mask&proto.SetAttrSize != 0 {
		switch n.ftype {
		case unix.S_IFREG:
		case unix.S_IFDIR:
			return nil, nil, unix.EISDIR
		default:
			return nil, nil, unix.EINVAL
		}
		if m.Size > 1<<63-1 {
			return nil, nil, unix.EINVAL
		}
		fd, err := c.s.reopen(n.fd, unix.O_WRONLY|unix.O_NONBLOCK)
		if err != nil {
			return nil, nil, err
		}
		err = unix.Ftruncate(fd, int64(m.Size))
		unix.Close(fd)
		if err != nil {
			return nil, nil, err
		}
	}
	if m.Mask&proto.SetAttrMode != 0 {
		if n.ftype == unix.S_IFLNK {
			return nil, nil, unix.EOPNOTSUPP
		}
		if err := unix.Fchmodat(c.s.procSelfFD, itoa(n.fd), m.Mode&07777, 0); err != nil {
			return nil, nil, err
		}
	}
	if m.Mask&(proto.SetAttrUID|proto.SetAttrGID) != 0 {
		uid, gid := proto.NoID, proto.NoID
		if m.Mask&proto.SetAttrUID != 0 {
			uid = m.UID
		}
		if m.Mask&proto.SetAttrGID != 0 {
			gid = m.GID
		}
		if err := chown(n.fd, uid, gid); err != nil {
			return nil, nil, err
		}
	}
	if m.Mask&(proto.SetAttrAtime|proto.SetAttrMtime) != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		for i, t := range []struct {
			bit uint32
			ts  proto.Timespec
		}{{proto.SetAttrAtime, m.Atime}, {proto.SetAttrMtime, m.Mtime}} {
			if m.Mask&t.bit == 0 {
				continue
			}
			if t.ts.Nsec >= 1e9 && t.ts.Nsec != unix.UTIME_NOW && t.ts.Nsec != unix.UTIME_OMIT {
				return nil, nil, unix.EINVAL
			}
			ts[i] = unix.Timespec{Sec: t.ts.Sec, Nsec: int64(t.ts.Nsec)}
		}
		if err := unix.UtimesNanoAt(n.fd, "", ts, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, nil, err
		}
	}
	return statResp(proto.OpSetAttr, n.fd)
}

// statResp answers op with the attributes of fd, as they are after the operation.
func statResp(op proto.Op, fd int) (proto.Message, []int, error) {
	st, err := fstat(fd)
	if err != nil {
		return nil, nil, err
	}
	return proto.NewStatResp(op, st), nil, nil
}

func (c *connection) statFS(m *proto.StatFSReq) (proto.Message, []int, error) {
	n, err := c.get(m.Handle)
	if err != nil {
		return nil, nil, err
	}
	defer n.decRef()
	var st unix.Statfs_t
	if err := unix.Fstatfs(n.fd, &st); err != nil {
		return nil, nil, err
	}
	return &proto.StatFSResp{StatFS: proto.StatFS{
		Type: uint64(st.Type), Bsize: uint64(st.Bsize), Blocks: st.Blocks, Bfree: st.Bfree,
		Bavail: st.Bavail, Files: st.Files, Ffree: st.Ffree, Namelen: uint64(st.Namelen),
		Frsize: uint64(st.Frsize), Flags: uint64(st.Flags),
	}}, nil, nil
}

// xattrPrefix is the only extended attribute namespace served: trusted.* and security.*
// (file capabilities, SELinux labels) are the host's, never the container's.
const xattrPrefix = "user."

func checkXattrName(name string) error {
	switch {
	case name == "" || len(name) > proto.XattrNameMax:
		return unix.ERANGE
	case strings.IndexByte(name, 0) >= 0:
		return unix.EINVAL
	case !strings.HasPrefix(name, xattrPrefix):
		return unix.EOPNOTSUPP
	}
	return nil
}

// xattrFD opens a handle's file for an f*xattr call. Only regular files and directories
// can carry user.* attributes, as on Linux.
func (c *connection) xattrFD(h proto.Handle, write bool) (int, error) {
	n, err := c.get(h)
	if err != nil {
		return -1, err
	}
	defer n.decRef()
	if write && n.mnt.readOnly {
		return -1, unix.EROFS
	}
	if n.ftype != unix.S_IFREG && n.ftype != unix.S_IFDIR {
		return -1, unix.EPERM
	}
	return c.s.reopen(n.fd, unix.O_RDONLY|unix.O_NONBLOCK)
}

func (c *connection) getXattr(m *proto.GetXattrReq) (proto.Message, []int, error) {
	if err := checkXattrName(m.Name); err != nil {
		return nil, nil, err
	}
	fd, err := c.xattrFD(m.Handle, false)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, proto.XattrSizeMax)
	l, err := unix.Fgetxattr(fd, m.Name, buf)
	if err != nil {
		return nil, nil, err
	}
	return &proto.GetXattrResp{Value: buf[:l]}, nil, nil
}

func (c *connection) setXattr(m *proto.SetXattrReq) (proto.Message, []int, error) {
	if err := checkXattrName(m.Name); err != nil {
		return nil, nil, err
	}
	if len(m.Value) > proto.XattrSizeMax {
		return nil, nil, unix.E2BIG
	}
	if m.Flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return nil, nil, unix.EINVAL
	}
	fd, err := c.xattrFD(m.Handle, true)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	if err := unix.Fsetxattr(fd, m.Name, m.Value, int(m.Flags)); err != nil {
		return nil, nil, err
	}
	return proto.NewEmptyResp(proto.OpSetXattr), nil, nil
}

func (c *connection) listXattr(m *proto.ListXattrReq) (proto.Message, []int, error) {
	fd, err := c.xattrFD(m.Handle, false)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, proto.XattrSizeMax)
	l, err := unix.Flistxattr(fd, buf)
	if err != nil {
		return nil, nil, err
	}
	resp := &proto.ListXattrResp{Names: []string{}}
	for _, name := range strings.Split(string(buf[:l]), "\x00") {
		if strings.HasPrefix(name, xattrPrefix) {
			resp.Names = append(resp.Names, name)
		}
	}
	return resp, nil, nil
}

func (c *connection) removeXattr(m *proto.RemoveXattrReq) (proto.Message, []int, error) {
	if err := checkXattrName(m.Name); err != nil {
		return nil, nil, err
	}
	fd, err := c.xattrFD(m.Handle, true)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	if err := unix.Fremovexattr(fd, m.Name); err != nil {
		return nil, nil, err
	}
	return proto.NewEmptyResp(proto.OpRemoveXattr), nil, nil
}

// close releases every handle listed; an unknown one makes the request fail with EBADF,
// but the others are still released.
func (c *connection) close(m *proto.CloseReq) (proto.Message, []int, error) {
	var err error
	for _, h := range m.Handles {
		if e := c.remove(h); e != nil {
			err = e
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return proto.NewEmptyResp(proto.OpClose), nil, nil
}
