package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// statusFlagsMask are the open flags a file description keeps (F_GETFL).
const statusFlagsMask = unix.O_ACCMODE | unix.O_APPEND | unix.O_NONBLOCK | unix.O_DSYNC |
	unix.O_SYNC | unix.O_DIRECT | unix.O_NOATIME | unix.O_ASYNC | unix.O_LARGEFILE |
	unix.O_DIRECTORY | unix.O_NOFOLLOW

// OpenAt is open(2): it resolves pop and opens (or, with O_CREAT, creates) the file. mode is
// the creation mode with the umask already applied; O_CLOEXEC is the caller's business.
func (v *VirtualFilesystem) OpenAt(c *Creds, pop *PathOperation, flags, mode uint32) (*FileDescription, error) {
	follow := flags&unix.O_NOFOLLOW == 0
	if flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL {
		follow = false
	}
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW
	}
	r := v.newResolver(c, pop)
	last, trailing, err := r.walkToParent(pop.Path)
	if err != nil {
		return nil, err
	}
	if flags&unix.O_CREAT == 0 {
		vd, err := r.finish(last, trailing, follow)
		if err != nil {
			return nil, err
		}
		return v.open(c, vd, flags, false)
	}
	for {
		if last == "" || last == "." || last == ".." {
			vd, err := r.finish(last, false, true)
			if err != nil {
				return nil, err
			}
			if flags&unix.O_EXCL != 0 {
				return nil, unix.EEXIST
			}
			return v.open(c, vd, flags, false)
		}
		if trailing {
			return nil, unix.EISDIR
		}
		if len(last) > NameMax {
			return nil, unix.ENAMETOOLONG
		}
		parent := r.cur
		d := parent.Dentry
		d.mu.Lock()
		child, err := d.lookupExistingLocked(last)
		if err != nil {
			d.mu.Unlock()
			return nil, err
		}
		if child == nil {
			nd, err := v.mknodLocked(c, parent, last, CreateArgs{Mode: unix.S_IFREG | mode&07777})
			d.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return v.open(c, VirtualDentry{parent.Mount, nd}, flags, true)
		}
		d.mu.Unlock()
		if flags&unix.O_EXCL != 0 {
			return nil, unix.EEXIST
		}
		vd := v.followMounts(VirtualDentry{parent.Mount, child})
		if !vd.Dentry.IsSymlink() || !follow {
			return v.open(c, vd, flags, false)
		}
		// Follow the symlink: its target is the new last component, resolved from parent
		// (so that O_CREAT creates a dangling symlink's target, as Linux does).
		if r.flags&ResolveNoSymlinks != 0 || r.symlinks >= MaxSymlinkTraversals {
			return nil, unix.ELOOP
		}
		r.symlinks++
		if mvd, ok, err := r.magicLink(vd); err != nil || ok {
			if err != nil {
				return nil, err
			}
			return v.open(c, mvd, flags, false)
		}
		target, err := readlinkFor(r.task, vd.Dentry)
		if err != nil {
			return nil, err
		}
		if target == "" {
			return nil, unix.ENOENT
		}
		if last, trailing, err = r.walkToParent(target); err != nil {
			return nil, err
		}
	}
}

// open opens the file at vd: may_open's checks, O_TRUNC, and the implementation.
func (v *VirtualFilesystem) open(c *Creds, vd VirtualDentry, flags uint32, created bool) (*FileDescription, error) {
	d := vd.Dentry
	if flags&unix.O_PATH != 0 {
		if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
			return nil, unix.ENOTDIR
		}
		fd := &FileDescription{vfs: v, vd: vd, path: true}
		vd.hold()
		fd.InitFlags(unix.O_PATH | flags&(unix.O_DIRECTORY|unix.O_NOFOLLOW))
		notifyOpened(fd)
		v.evictAfterOpen(d)
		return fd, nil
	}
	if !created && flags&unix.O_CREAT != 0 && d.IsDir() {
		return nil, unix.EISDIR
	}
	if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	var acc uint32
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		acc = MayRead
	case unix.O_WRONLY:
		acc = MayWrite
	default:
		acc = MayRead | MayWrite
	}
	if flags&unix.O_TRUNC != 0 {
		acc |= MayWrite
	}
	switch d.ifmt {
	case unix.S_IFLNK:
		return nil, unix.ELOOP
	case unix.S_IFDIR:
		if acc&MayWrite != 0 {
			return nil, unix.EISDIR
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if vd.Mount.Flags()&unix.MS_NODEV != 0 {
			return nil, unix.EACCES
		}
	}
	if !created {
		st, err := d.inode.Stat()
		if err != nil {
			return nil, err
		}
		if acc&MayWrite != 0 && vd.Mount.ReadOnly() && (d.ifmt == unix.S_IFREG || d.ifmt == unix.S_IFDIR) {
			return nil, unix.EROFS
		}
		if err := CheckPermission(c, acc, st.Mode, st.UID, st.GID); err != nil {
			return nil, err
		}
		if flags&unix.O_NOATIME != 0 && !c.IsOwner(st.UID) {
			return nil, unix.EPERM
		}
		if flags&unix.O_TRUNC != 0 && d.ifmt == unix.S_IFREG && st.Size != 0 {
			if err := d.inode.SetStat(&SetStat{Mask: SetSize}); err != nil {
				return nil, err
			}
		}
	}
	var impl FileDescriptionImpl
	if d.IsDir() {
		impl = &dirImpl{vfs: v, vd: vd}
	} else {
		var err error
		if impl, err = d.inode.Open(flags); err != nil {
			return nil, err
		}
	}
	fd := &FileDescription{vfs: v, vd: vd, impl: impl}
	vd.hold()
	if vd.Mount.expiry.Load() {
		vd.Mount.expiry.Store(false) // the mount is in use: MNT_EXPIRE starts over
	}
	fd.InitFlags(flags & statusFlagsMask)
	notifyOpened(fd)
	if flags&unix.O_TRUNC != 0 && d.ifmt == unix.S_IFREG && !created {
		notifyChild(d, InModify) // after IN_OPEN, as Linux's handle_truncate
	}
	v.evictAfterOpen(d)
	return fd, nil
}

// evictAfterOpen lets the dentry cache shrink after an open (which may have created a
// dentry without a walk step); the opened dentry is held by then. No lock is held.
func (v *VirtualFilesystem) evictAfterOpen(d *Dentry) {
	if d.fs.evictable {
		v.maybeEvict()
	}
}

// mayCreateLocked is may_create: the parent is alive and writable and searchable.
//
// Preconditions: parent.Dentry.mu is held.
func mayCreateLocked(c *Creds, parent VirtualDentry) error {
	if parent.Dentry.IsDead() {
		return unix.ENOENT
	}
	st, err := parent.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	return CheckPermission(c, MayWrite|MayExec, st.Mode, st.UID, st.GID)
}

// mknodLocked creates name in parent after the checks Linux makes once it knows name does
// not exist: read-only mount, permissions. It fills in the owner (with setgid directory
// inheritance).
//
// Preconditions: parent.Dentry.mu is held; name does not exist.
func (v *VirtualFilesystem) mknodLocked(c *Creds, parent VirtualDentry, name string, a CreateArgs) (*Dentry, error) {
	if parent.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	if err := mayCreateLocked(c, parent); err != nil {
		return nil, err
	}
	pst, err := parent.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	a.UID, a.GID = c.UID, c.GID
	if pst.Mode&unix.S_ISGID != 0 {
		a.GID = pst.GID
		if a.Mode&unix.S_IFMT == unix.S_IFDIR {
			a.Mode |= unix.S_ISGID
		}
	} else if a.Mode&unix.S_IFMT != unix.S_IFDIR && a.Mode&unix.S_ISGID != 0 && !c.InGroup(a.GID) && !c.HasCap(unix.CAP_FSETID) {
		a.Mode &^= unix.S_ISGID
	}
	di, err := parent.Dentry.dir()
	if err != nil {
		return nil, err
	}
	ino, err := di.Mknod(name, a)
	if err != nil {
		return nil, err
	}
	nd := newDentry(parent.Dentry.fs, ino, a.Mode&unix.S_IFMT)
	parent.Dentry.insertChildLocked(name, nd)
	notifyDir(parent.Dentry, InCreate, name, 0, nd.IsDir())
	return nd, nil
}

// create is the common part of mkdir, mknod and symlink.
func (v *VirtualFilesystem) create(c *Creds, pop *PathOperation, a CreateArgs) error {
	p, err := v.GetParent(c, pop)
	if err != nil {
		return err
	}
	if p.IsDots() {
		return unix.EEXIST
	}
	d := p.Dir.Dentry
	if d.fs.evictable {
		defer v.maybeEvict() // after the unlock below
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	existing, err := d.lookupExistingLocked(p.Name)
	if err != nil {
		return err
	}
	if existing != nil {
		return unix.EEXIST
	}
	if p.Trailing && a.Mode&unix.S_IFMT != unix.S_IFDIR {
		return unix.ENOENT
	}
	_, err = v.mknodLocked(c, p.Dir, p.Name, a)
	return err
}

// MkdirAt is mkdir(2); mode has the umask applied.
func (v *VirtualFilesystem) MkdirAt(c *Creds, pop *PathOperation, mode uint32) error {
	return v.create(c, pop, CreateArgs{Mode: unix.S_IFDIR | mode&(07777)})
}

// MknodAt is mknod(2) for any type but directories; mode has the type and the umask applied.
func (v *VirtualFilesystem) MknodAt(c *Creds, pop *PathOperation, mode uint32, rdev uint64) error {
	switch mode & unix.S_IFMT {
	case 0:
		mode |= unix.S_IFREG
	case unix.S_IFREG, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		if !c.HasCap(unix.CAP_MKNOD) {
			return unix.EPERM
		}
	default:
		return unix.EINVAL
	}
	return v.create(c, pop, CreateArgs{Mode: mode, Rdev: rdev})
}

// SymlinkAt is symlink(2).
func (v *VirtualFilesystem) SymlinkAt(c *Creds, pop *PathOperation, target string) error {
	if target == "" {
		return unix.ENOENT
	}
	return v.create(c, pop, CreateArgs{Mode: unix.S_IFLNK | 0777, Target: target})
}

// ReadlinkAt is readlink(2): EINVAL if the file is not a symlink.
func (v *VirtualFilesystem) ReadlinkAt(c *Creds, pop *PathOperation) (string, error) {
	pop.FollowFinal = false
	vd, err := v.GetDentry(c, pop)
	if err != nil {
		return "", err
	}
	return readlinkFor(pop.Task, vd.Dentry)
}

// Readlink returns d's target, or EINVAL if it is not a symlink.
func Readlink(d *Dentry) (string, error) {
	sl, ok := d.inode.(SymlinkInode)
	if !ok || !d.IsSymlink() {
		return "", unix.EINVAL
	}
	return sl.Readlink()
}

// checkSticky is check_sticky: in a sticky directory only the owner of the file or of the
// directory (or a privileged user) may remove or rename it.
func checkSticky(c *Creds, dirSt, st *Stat) error {
	if dirSt.Mode&unix.S_ISVTX == 0 || c.IsOwner(st.UID) || c.UID == dirSt.UID {
		return nil
	}
	return unix.EPERM
}

// mayDeleteLocked is may_delete.
//
// Preconditions: dir.Dentry.mu is held.
func mayDeleteLocked(c *Creds, dir *Dentry, victim *Dentry, isDir bool) error {
	dst, err := dir.inode.Stat()
	if err != nil {
		return err
	}
	if err := CheckPermission(c, MayWrite|MayExec, dst.Mode, dst.UID, dst.GID); err != nil {
		return err
	}
	vst, err := victim.inode.Stat()
	if err != nil {
		return err
	}
	if err := checkSticky(c, &dst, &vst); err != nil {
		return err
	}
	if isDir {
		if !victim.IsDir() {
			return unix.ENOTDIR
		}
		if victim.parent == nil {
			return unix.EBUSY
		}
	} else if victim.IsDir() {
		return unix.EISDIR
	}
	if dir.IsDead() {
		return unix.ENOENT
	}
	return nil
}

// removableLocked checks that child, found in dir, may be removed by unlink (isDir false)
// or rmdir (isDir true): may_delete, then EBUSY for a mount point. It returns dir's
// directory inode, which does the removal.
//
// Preconditions: dir.mu is held.
func removableLocked(c *Creds, dir *Dentry, child *Dentry, isDir bool) (DirInode, error) {
	if err := mayDeleteLocked(c, dir, child, isDir); err != nil {
		return nil, err
	}
	if child.isMountPoint() {
		return nil, unix.EBUSY
	}
	return dir.dir()
}

// removedChildLocked forgets child, just removed from d's directory inode as name: it
// leaves the cache dead, inotify watchers hear of it, and d may become evictable.
//
// Preconditions: d.mu is held (and child.mu, for a directory).
func (d *Dentry) removedChildLocked(name string, child *Dentry) {
	delete(d.children, name)
	child.dead.Store(true)
	notifyUnlink(d, name, child)
	d.childGoneLocked()
}

// UnlinkAt is unlink(2).
func (v *VirtualFilesystem) UnlinkAt(c *Creds, pop *PathOperation) error {
	p, err := v.GetParent(c, pop)
	if err != nil {
		return err
	}
	if p.IsDots() {
		return unix.EISDIR
	}
	if p.Dir.Mount.ReadOnly() {
		return unix.EROFS
	}
	d := p.Dir.Dentry
	d.mu.Lock()
	defer d.mu.Unlock()
	child, err := d.childLocked(p.Name)
	if err != nil {
		return err
	}
	if p.Trailing {
		if child.IsDir() {
			return unix.EISDIR
		}
		return unix.ENOTDIR
	}
	di, err := removableLocked(c, d, child, false)
	if err != nil {
		return err
	}
	if err := di.Unlink(p.Name, child.inode); err != nil {
		return err
	}
	d.removedChildLocked(p.Name, child)
	return nil
}

// RmdirAt is rmdir(2).
func (v *VirtualFilesystem) RmdirAt(c *Creds, pop *PathOperation) error {
	p, err := v.GetParent(c, pop)
	if err != nil {
		return err
	}
	switch p.Name {
	case "..":
		return unix.ENOTEMPTY
	case ".":
		return unix.EINVAL
	case "":
		return unix.EBUSY
	}
	if p.Dir.Mount.ReadOnly() {
		return unix.EROFS
	}
	d := p.Dir.Dentry
	d.mu.Lock()
	defer d.mu.Unlock()
	child, err := d.childLocked(p.Name)
	if err != nil {
		return err
	}
	di, err := removableLocked(c, d, child, true)
	if err != nil {
		return err
	}
	child.mu.Lock()
	defer child.mu.Unlock()
	if err := di.Rmdir(p.Name, child.inode); err != nil {
		return err
	}
	child.children = nil
	d.removedChildLocked(p.Name, child)
	return nil
}

// LinkAt is link(2): old is resolved by the caller (AT_SYMLINK_FOLLOW, AT_EMPTY_PATH).
func (v *VirtualFilesystem) LinkAt(c *Creds, old VirtualDentry, newPop *PathOperation) error {
	p, err := v.GetParent(c, newPop)
	if err != nil {
		return err
	}
	if p.IsDots() {
		return unix.EEXIST
	}
	d := p.Dir.Dentry
	d.mu.Lock()
	defer d.mu.Unlock()
	existing, err := d.lookupExistingLocked(p.Name)
	if err != nil {
		return err
	}
	if existing != nil {
		return unix.EEXIST
	}
	if p.Trailing {
		return unix.ENOENT
	}
	if p.Dir.Mount.ReadOnly() {
		return unix.EROFS
	}
	if old.Mount != p.Dir.Mount {
		return unix.EXDEV
	}
	if err := mayCreateLocked(c, p.Dir); err != nil {
		return err
	}
	if old.Dentry.IsDir() {
		return unix.EPERM
	}
	ost, err := old.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if ost.Nlink == 0 {
		return unix.ENOENT
	}
	di, err := d.dir()
	if err != nil {
		return err
	}
	if err := di.Link(p.Name, old.Dentry.inode); err != nil {
		return err
	}
	d.insertChildLocked(p.Name, newDentry(d.fs, old.Dentry.inode, old.Dentry.ifmt))
	notifySelf(old.Dentry.inode, InAttrib)
	notifyDir(d, InCreate, p.Name, 0, false)
	return nil
}

// RenameAt is renameat2(2).
func (v *VirtualFilesystem) RenameAt(c *Creds, oldPop, newPop *PathOperation, flags uint32) error {
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE|unix.RENAME_WHITEOUT) != 0 {
		return unix.EINVAL
	}
	if flags&unix.RENAME_NOREPLACE != 0 && flags&unix.RENAME_EXCHANGE != 0 {
		return unix.EINVAL
	}
	if flags&unix.RENAME_WHITEOUT != 0 {
		if flags&unix.RENAME_EXCHANGE != 0 {
			return unix.EINVAL
		}
		return unix.EINVAL // whiteouts come with the overlay
	}
	op, err := v.GetParent(c, oldPop)
	if err != nil {
		return err
	}
	np, err := v.GetParent(c, newPop)
	if err != nil {
		return err
	}
	if op.Dir.Mount != np.Dir.Mount {
		return unix.EXDEV
	}
	if op.IsDots() {
		return unix.EBUSY
	}
	if np.IsDots() {
		if flags&unix.RENAME_NOREPLACE != 0 {
			return unix.EEXIST
		}
		return unix.EBUSY
	}
	if op.Dir.Mount.ReadOnly() {
		return unix.EROFS
	}
	fs := op.Dir.Dentry.fs
	fs.renameMu.Lock()
	defer fs.renameMu.Unlock()
	od, nd := op.Dir.Dentry, np.Dir.Dentry
	od.mu.Lock()
	defer od.mu.Unlock()
	if nd != od {
		nd.mu.Lock()
		defer nd.mu.Unlock()
	}
	oldChild, err := od.childLocked(op.Name)
	if err != nil {
		return err
	}
	newChild, err := nd.lookupExistingLocked(np.Name)
	if err != nil {
		return err
	}
	if flags&unix.RENAME_EXCHANGE != 0 && newChild == nil {
		return unix.ENOENT
	}
	if flags&unix.RENAME_NOREPLACE != 0 && newChild != nil {
		return unix.EEXIST
	}
	if !oldChild.IsDir() {
		if op.Trailing || (flags&unix.RENAME_EXCHANGE == 0 && np.Trailing) {
			return unix.ENOTDIR
		}
	}
	if flags&unix.RENAME_EXCHANGE != 0 && !newChild.IsDir() && np.Trailing {
		return unix.ENOTDIR
	}
	if od != nd {
		if isAncestorLocked(oldChild, nd) {
			return unix.EINVAL
		}
		if newChild != nil && isAncestorLocked(newChild, od) {
			if flags&unix.RENAME_EXCHANGE != 0 {
				return unix.EINVAL
			}
			return unix.ENOTEMPTY
		}
	}
	if newChild != nil && newChild.inode == oldChild.inode {
		return nil
	}
	isDir := oldChild.IsDir()
	if err := mayDeleteLocked(c, od, oldChild, isDir); err != nil {
		return err
	}
	if newChild == nil {
		if err := mayCreateLocked(c, np.Dir); err != nil {
			return err
		}
	} else if flags&unix.RENAME_EXCHANGE == 0 {
		if err := mayDeleteLocked(c, nd, newChild, isDir); err != nil {
			return err
		}
	} else if err := mayDeleteLocked(c, nd, newChild, newChild.IsDir()); err != nil {
		return err
	}
	if od != nd {
		// Moving a directory rewrites its "..": it must be writable.
		for _, moved := range []*Dentry{oldChild, newChild} {
			if moved == nil || !moved.IsDir() || (moved == newChild && flags&unix.RENAME_EXCHANGE == 0) {
				continue
			}
			st, err := moved.inode.Stat()
			if err != nil {
				return err
			}
			if err := CheckPermission(c, MayWrite, st.Mode, st.UID, st.GID); err != nil {
				return err
			}
		}
	}
	if oldChild.isMountPoint() || (newChild != nil && newChild.isMountPoint()) {
		return unix.EBUSY
	}
	odi, err := od.dir()
	if err != nil {
		return err
	}
	ndi, err := nd.dir()
	if err != nil {
		return err
	}
	var replaced Inode
	if newChild != nil {
		replaced = newChild.inode
	}
	if err := odi.Rename(op.Name, oldChild.inode, ndi, np.Name, replaced, flags); err != nil {
		return err
	}
	delete(od.children, op.Name)
	if flags&unix.RENAME_EXCHANGE != 0 {
		delete(nd.children, np.Name)
		od.insertChildLocked(op.Name, newChild)
	} else if newChild != nil {
		delete(nd.children, np.Name)
		newChild.dead.Store(true)
	}
	nd.insertChildLocked(np.Name, oldChild)
	notifyRename(od, op.Name, nd, np.Name, oldChild, newChild, flags&unix.RENAME_EXCHANGE != 0)
	od.childGoneLocked()
	return nil
}

// StatAt is stat(2)/lstat(2).
func (v *VirtualFilesystem) StatAt(c *Creds, pop *PathOperation) (Stat, error) {
	vd, err := v.GetDentry(c, pop)
	if err != nil {
		return Stat{}, err
	}
	return vd.Dentry.Stat()
}

// AccessAt is faccessat(2): mode is F_OK or a mix of R_OK, W_OK, X_OK.
func (v *VirtualFilesystem) AccessAt(c *Creds, pop *PathOperation, mode uint32) error {
	vd, err := v.GetDentry(c, pop)
	if err != nil {
		return err
	}
	return v.Access(c, vd, mode)
}

// Access checks mode (R_OK|W_OK|X_OK) against vd.
func (v *VirtualFilesystem) Access(c *Creds, vd VirtualDentry, mode uint32) error {
	if mode == 0 {
		return nil
	}
	st, err := vd.Dentry.Stat()
	if err != nil {
		return err
	}
	var ats uint32
	if mode&unix.R_OK != 0 {
		ats |= MayRead
	}
	if mode&unix.W_OK != 0 {
		ats |= MayWrite
		t := vd.Dentry.ifmt
		if vd.Mount.ReadOnly() && (t == unix.S_IFREG || t == unix.S_IFDIR || t == unix.S_IFLNK) {
			return unix.EROFS
		}
	}
	if mode&unix.X_OK != 0 {
		ats |= MayExec
	}
	return CheckPermission(c, ats, st.Mode, st.UID, st.GID)
}

// Timestamp is a time for utimensat: Now and Omit are UTIME_NOW and UTIME_OMIT.
type Timestamp struct {
	Time      time.Time
	Now, Omit bool
}

// SetStatOptions are a chmod/chown/utimes/truncate request before permission checks.
type SetStatOptions struct {
	Mask         uint32 // SetMode, SetUID, SetGID, SetSize, SetAtime|SetMtime
	Mode         uint32
	UID, GID     uint32
	Size         uint64
	Atime, Mtime Timestamp
}

// SetStat applies o to vd after Linux's permission checks (chmod_common, chown_common,
// vfs_utimes, vfs_truncate).
func (v *VirtualFilesystem) SetStat(c *Creds, vd VirtualDentry, o *SetStatOptions) error {
	d := vd.Dentry
	if o.Mask&(SetAtime|SetMtime) != 0 && o.Atime.Omit && o.Mtime.Omit && o.Mask&^(SetAtime|SetMtime) == 0 {
		return nil
	}
	if vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	st, err := d.Stat()
	if err != nil {
		return err
	}
	owner := c.IsOwner(st.UID)
	s := SetStat{Mask: o.Mask &^ (SetAtime | SetMtime)}
	if o.Mask&SetMode != 0 {
		if !owner {
			return unix.EPERM
		}
		s.Mode = o.Mode & 07777
		if !c.HasCap(unix.CAP_FSETID) && !c.InGroup(st.GID) && d.ifmt != unix.S_IFDIR {
			s.Mode &^= unix.S_ISGID
		}
	}
	if o.Mask&(SetUID|SetGID) != 0 {
		uid, gid := st.UID, st.GID
		if o.Mask&SetUID != 0 {
			uid = o.UID
		}
		if o.Mask&SetGID != 0 {
			gid = o.GID
		}
		if !c.HasCap(unix.CAP_CHOWN) {
			if uid != st.UID || c.UID != st.UID {
				return unix.EPERM
			}
			if gid != st.GID && !c.InGroup(gid) {
				return unix.EPERM
			}
		}
		s.UID, s.GID = uid, gid
		s.Mask |= SetUID | SetGID
		// A change of owner clears set-user-ID, and set-group-ID when group-executable.
		if d.ifmt != unix.S_IFDIR && st.Mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
			m := st.Mode &^ unix.S_ISUID
			if st.Mode&unix.S_IXGRP != 0 {
				m &^= unix.S_ISGID
			}
			if m != st.Mode && (o.Mask&SetMode) == 0 {
				s.Mask |= SetMode
				s.Mode = m & 07777
			}
		}
	}
	if o.Mask&SetSize != 0 {
		if d.ifmt == unix.S_IFDIR {
			return unix.EISDIR
		}
		if d.ifmt != unix.S_IFREG {
			return unix.EINVAL
		}
		s.Size = o.Size
	}
	if o.Mask&(SetAtime|SetMtime) != 0 {
		now := time.Now()
		allNow := (o.Atime.Now || o.Atime.Omit) && (o.Mtime.Now || o.Mtime.Omit)
		if !owner {
			if !allNow {
				return unix.EPERM
			}
			if err := CheckPermission(c, MayWrite, st.Mode, st.UID, st.GID); err != nil {
				return err
			}
		}
		for _, x := range []struct {
			ts   Timestamp
			bit  uint32
			dest *time.Time
		}{{o.Atime, SetAtime, &s.Atime}, {o.Mtime, SetMtime, &s.Mtime}} {
			if x.ts.Omit {
				continue
			}
			s.Mask |= x.bit
			if x.ts.Now {
				*x.dest = now
			} else {
				*x.dest = x.ts.Time
			}
		}
	}
	if err := d.inode.SetStat(&s); err != nil {
		return err
	}
	notifyChild(d, setStatEvents(s.Mask))
	return nil
}

// Truncate is truncate(2) on a path: a regular file the caller may write.
func (v *VirtualFilesystem) Truncate(c *Creds, vd VirtualDentry, size uint64) error {
	d := vd.Dentry
	if d.IsDir() {
		return unix.EISDIR
	}
	if d.ifmt != unix.S_IFREG {
		return unix.EINVAL
	}
	st, err := d.Stat()
	if err != nil {
		return err
	}
	if err := CheckPermission(c, MayWrite, st.Mode, st.UID, st.GID); err != nil {
		return err
	}
	if vd.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := d.inode.SetStat(&SetStat{Mask: SetSize, Size: size}); err != nil {
		return err
	}
	notifyChild(d, InModify)
	return nil
}

// StatFS is statfs(2) on vd's filesystem.
func (v *VirtualFilesystem) StatFS(vd VirtualDentry) (unix.Statfs_t, error) {
	st, err := vd.Dentry.fs.impl.StatFS()
	if err != nil {
		return st, err
	}
	st.Flags = int64(vd.Mount.Flags()) | 0x20 /* ST_VALID */
	if vd.Mount.ReadOnly() {
		st.Flags |= 1 // ST_RDONLY
	}
	return st, nil
}
