// Package tmpfs is an in-memory filesystem: regular files, directories, symlinks, hard links
// and special files (fifos, sockets and device nodes, which exist but cannot be opened here;
// devtmpfs-like users such as fsimpl/dev attach device openers).
//
// File data lives in the sandbox's memory file (sentry/memfile) when the mount options carry
// one (vfs.MountOptions.Private: the *kernel.Kernel, as runsc/boot passes, or a
// *memfile.File), as sparse 4 KiB pages each holding one memory-file reference; it is then
// counted with application memory, and regular files are mm.Mappables, so that MAP_SHARED
// mappings use the file's own pages (read/write and every mapping see the same bytes).
// Without a memory file (unit tests) the pages are in Go memory and shared mappings fall back
// to the syscall layer's copies. Either way the instance's size limit bounds the pages
// (ENOSPC beyond it; SIGBUS for a fault that cannot allocate). Pages are allocated by writes
// and by faults of shared mappings (fallocate only checks room against the limit); a
// truncate frees the pages past the new size; an unlinked file's pages are freed once the
// file is unreachable (closed and unmapped), by a GC cleanup, so memory-file usage lags
// until the next collection.
//
// Locking: filesystem.mu guards every directory's entries and every link count; inode.mu
// guards an inode's attributes and data. Order: filesystem.mu, then inode.mu (of one inode
// at a time). The VFS calls directory operations with its own dentry locks held (see package
// vfs) and tmpfs never calls back into the VFS. Translate (mm.Mappable) is called with the
// memory manager's lock held and takes inode.mu, then memfile's lock; tmpfs never calls
// into mm.
package tmpfs

import (
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/pipe"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "tmpfs"

const pageSize = 4096

// tmpfsMagic is TMPFS_MAGIC.
const tmpfsMagic = 0x01021994

// maxLinks is the link count limit (EMLINK).
const maxLinks = ^uint32(0) >> 1

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

// NewFilesystem implements vfs.FilesystemType. Options: mode=, uid=, gid=, size= (bytes,
// with k/m/g suffixes).
func (fsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	fs, root, err := New(opts)
	if err != nil {
		return nil, nil, err
	}
	return fs, root, nil
}

// Filesystem is a tmpfs instance.
type Filesystem struct {
	nextIno  atomic.Uint64
	maxPages int64
	// usedPages counts allocated data pages (a separate object: page cleanups of
	// unreachable files use it after the filesystem may be gone).
	usedPages *atomic.Int64
	// mf holds file data when set (see fileData); nil: Go memory.
	mf     *memfile.File
	inodes atomic.Int64

	// mu guards directory entries and link counts of every inode.
	mu sync.Mutex
}

var _ vfs.FilesystemImpl = (*Filesystem)(nil)

// New makes a tmpfs instance (for filesystems built on tmpfs, like dev).
func New(opts vfs.MountOptions) (*Filesystem, *Dir, error) {
	mode, uid, gid := uint32(01777), opts.Creds.UID, opts.Creds.GID
	fs := &Filesystem{maxPages: defaultPages(), usedPages: new(atomic.Int64), mf: memFileOf(opts.Private)}
	for _, o := range strings.Split(opts.Data, ",") {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "":
		case "mode":
			m, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return nil, nil, unix.EINVAL
			}
			mode = uint32(m) & 07777
		case "uid", "gid":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return nil, nil, unix.EINVAL
			}
			if k == "uid" {
				uid = uint32(n)
			} else {
				gid = uint32(n)
			}
		case "size":
			n, err := parseSize(val)
			if err != nil {
				return nil, nil, unix.EINVAL
			}
			fs.maxPages = (n + pageSize - 1) / pageSize
		default:
			return nil, nil, unix.EINVAL
		}
	}
	root := fs.newDir(vfs.CreateArgs{Mode: unix.S_IFDIR | mode, UID: uid, GID: gid})
	root.nlink = 2
	return fs, root, nil
}

// memFileOf returns the memory file that mount options' Private value carries: the kernel's
// (runsc/boot passes the kernel to every sentry filesystem) or a memory file given directly
// (filesystems built on tmpfs, tests). nil keeps file data in Go memory.
func memFileOf(private any) *memfile.File {
	switch p := private.(type) {
	case *kernel.Kernel:
		if p != nil {
			return p.MemFile
		}
	case *memfile.File:
		return p
	}
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

// defaultPages is Linux's default tmpfs size: half of physical memory.
func defaultPages() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil || si.Totalram == 0 {
		return 1 << 20
	}
	return int64(uint64(si.Totalram)*uint64(si.Unit)/2) / pageSize
}

// StatFS implements vfs.FilesystemImpl.
func (fs *Filesystem) StatFS() (unix.Statfs_t, error) {
	used := fs.usedPages.Load()
	return unix.Statfs_t{
		Type: tmpfsMagic, Bsize: pageSize, Frsize: pageSize, Namelen: vfs.NameMax,
		Blocks: uint64(fs.maxPages), Bfree: uint64(fs.maxPages - used), Bavail: uint64(fs.maxPages - used),
		Files: uint64(fs.maxPages), Ffree: uint64(fs.maxPages - fs.inodes.Load()),
	}, nil
}

// Sync implements vfs.FilesystemImpl.
func (fs *Filesystem) Sync() error { return nil }

// inode holds what every tmpfs file has.
type inode struct {
	fs  *Filesystem
	ino uint64

	// nlink is the link count. Guarded by fs.mu.
	nlink uint32

	mu sync.Mutex
	// The attributes below are guarded by mu.
	mode                       uint32
	uid, gid                   uint32
	rdev                       uint64
	atime, mtime, ctime, btime time.Time
	// xattrs holds the extended attributes (xattr.go); nil until the first is set.
	xattrs map[string][]byte
}

func (fs *Filesystem) initInode(i *inode, a vfs.CreateArgs) {
	now := time.Now()
	*i = inode{fs: fs, ino: fs.nextIno.Add(1), nlink: 1, mode: a.Mode, uid: a.UID, gid: a.GID,
		rdev: a.Rdev, atime: now, mtime: now, ctime: now, btime: now}
	fs.inodes.Add(1)
}

func (i *inode) stat() vfs.Stat {
	i.fs.mu.Lock()
	nlink := i.nlink
	i.fs.mu.Unlock()
	i.mu.Lock()
	defer i.mu.Unlock()
	return vfs.Stat{
		Mode: i.mode, Nlink: nlink, UID: i.uid, GID: i.gid, Ino: i.ino, Blksize: pageSize,
		Rdev: i.rdev, Atime: i.atime, Mtime: i.mtime, Ctime: i.ctime, Btime: i.btime,
	}
}

// setStatLocked applies everything but the size.
//
// Preconditions: i.mu is held.
func (i *inode) setStatLocked(s *vfs.SetStat, now time.Time) {
	if s.Mask&(vfs.SetUID|vfs.SetGID) != 0 {
		i.killPrivLocked() // chown drops file capabilities
	}
	s.ApplyModeOwner(&i.mode, &i.uid, &i.gid)
	if s.Mask&vfs.SetAtime != 0 {
		i.atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		i.mtime = s.Mtime
	}
	if s.Mask != 0 {
		i.ctime = now
	}
}

func (i *inode) touchCtime() {
	i.mu.Lock()
	i.ctime = time.Now()
	i.mu.Unlock()
}

// linkCountLocked returns a pointer to the inode's link count.
//
// Preconditions: fs.mu is held.
func linkCountLocked(ino vfs.Inode) *uint32 {
	switch x := ino.(type) {
	case *Dir:
		return &x.nlink
	case *Regular:
		return &x.nlink
	case *Symlink:
		return &x.nlink
	case *Special:
		return &x.nlink
	}
	return new(uint32)
}

func base(ino vfs.Inode) *inode {
	switch x := ino.(type) {
	case *Dir:
		return &x.inode
	case *Regular:
		return &x.inode
	case *Symlink:
		return &x.inode
	case *Special:
		return &x.inode
	}
	return nil
}

// Dir is a directory.
type Dir struct {
	inode
	// entries maps names to children. Guarded by fs.mu.
	entries map[string]dirEntry
	// seq orders entries by creation for Readdir. Guarded by fs.mu.
	seq uint64
}

type dirEntry struct {
	ino vfs.Inode
	seq uint64
}

var _ vfs.DirInode = (*Dir)(nil)

func (fs *Filesystem) newDir(a vfs.CreateArgs) *Dir {
	d := &Dir{entries: make(map[string]dirEntry)}
	fs.initInode(&d.inode, a)
	d.nlink = 2
	return d
}

// Stat implements vfs.Inode.
func (d *Dir) Stat() (vfs.Stat, error) {
	st := d.stat()
	d.fs.mu.Lock()
	st.Size = uint64(len(d.entries)+2) * 20 // tmpfs reports BOGO_DIRENT_SIZE per entry
	d.fs.mu.Unlock()
	return st, nil
}

// SetStat implements vfs.Inode.
func (d *Dir) SetStat(s *vfs.SetStat) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.setStatLocked(s, time.Now())
	return nil
}

// Open implements vfs.Inode (the VFS opens directories itself).
func (d *Dir) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// Lookup implements vfs.DirInode.
func (d *Dir) Lookup(name string) (vfs.Inode, error) {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if e, ok := d.entries[name]; ok {
		return e.ino, nil
	}
	return nil, unix.ENOENT
}

// Readdir implements vfs.DirInode.
func (d *Dir) Readdir() ([]vfs.Dirent, error) {
	d.fs.mu.Lock()
	type ent struct {
		name string
		e    dirEntry
	}
	list := make([]ent, 0, len(d.entries))
	for n, e := range d.entries {
		list = append(list, ent{n, e})
	}
	d.fs.mu.Unlock()
	sort.Slice(list, func(a, b int) bool { return list[a].e.seq < list[b].e.seq })
	out := make([]vfs.Dirent, len(list))
	for k, x := range list {
		b := base(x.e.ino)
		b.mu.Lock()
		mode := b.mode
		b.mu.Unlock()
		out[k] = vfs.Dirent{Name: x.name, Ino: b.ino, Type: vfs.DirentType(mode)}
	}
	return out, nil
}

// addLocked adds a child and updates the directory's times.
//
// Preconditions: fs.mu is held.
func (d *Dir) addLocked(name string, child vfs.Inode) {
	d.seq++
	d.entries[name] = dirEntry{child, d.seq}
	d.touchMtime()
}

func (d *Dir) touchMtime() {
	now := time.Now()
	d.mu.Lock()
	d.mtime, d.ctime = now, now
	d.mu.Unlock()
}

// Mknod implements vfs.DirInode.
func (d *Dir) Mknod(name string, a vfs.CreateArgs) (vfs.Inode, error) {
	var child vfs.Inode
	switch a.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		child = d.fs.NewRegular(a)
	case unix.S_IFDIR:
		child = d.fs.newDir(a)
	case unix.S_IFLNK:
		child = d.fs.newSymlink(a)
	case unix.S_IFCHR:
		var open Opener
		if charDevices != nil {
			open = charDevices(unix.Major(a.Rdev), unix.Minor(a.Rdev))
		}
		child = d.fs.NewSpecial(a, open)
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFBLK:
		child = d.fs.NewSpecial(a, nil)
	default:
		return nil, unix.EINVAL
	}
	return child, d.Add(name, child)
}

// Add links an inode made by this filesystem's New* functions as name.
func (d *Dir) Add(name string, child vfs.Inode) error {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if _, ok := d.entries[name]; ok {
		return unix.EEXIST
	}
	if _, isDir := child.(*Dir); isDir {
		if d.nlink >= maxLinks {
			return unix.EMLINK
		}
		d.nlink++
	}
	d.addLocked(name, child)
	return nil
}

// Link implements vfs.DirInode.
func (d *Dir) Link(name string, target vfs.Inode) error {
	b := base(target)
	if b == nil || b.fs != d.fs {
		return unix.EXDEV
	}
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if _, ok := d.entries[name]; ok {
		return unix.EEXIST
	}
	n := linkCountLocked(target)
	if *n >= maxLinks {
		return unix.EMLINK
	}
	*n++
	d.addLocked(name, target)
	b.touchCtime()
	return nil
}

// Unlink implements vfs.DirInode.
func (d *Dir) Unlink(name string, child vfs.Inode) error {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	e, ok := d.entries[name]
	if !ok || e.ino != child {
		return unix.ENOENT
	}
	delete(d.entries, name)
	d.touchMtime()
	n := linkCountLocked(child)
	*n--
	base(child).touchCtime()
	if *n == 0 {
		d.fs.inodes.Add(-1)
	}
	return nil
}

// Rmdir implements vfs.DirInode.
func (d *Dir) Rmdir(name string, child vfs.Inode) error {
	cd, ok := child.(*Dir)
	if !ok {
		return unix.ENOTDIR
	}
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	e, ok := d.entries[name]
	if !ok || e.ino != child {
		return unix.ENOENT
	}
	if len(cd.entries) != 0 {
		return unix.ENOTEMPTY
	}
	delete(d.entries, name)
	d.nlink--
	cd.nlink = 0
	d.fs.inodes.Add(-1)
	d.touchMtime()
	cd.touchCtime()
	return nil
}

// Rename implements vfs.DirInode.
func (d *Dir) Rename(oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	nd, ok := newDir.(*Dir)
	if !ok || nd.fs != d.fs {
		return unix.EXDEV
	}
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if e, ok := d.entries[oldName]; !ok || e.ino != child {
		return unix.ENOENT
	}
	_, childIsDir := child.(*Dir)
	if flags&unix.RENAME_EXCHANGE != 0 {
		_, replIsDir := replaced.(*Dir)
		d.entries[oldName] = dirEntry{replaced, d.entries[oldName].seq}
		nd.entries[newName] = dirEntry{child, nd.entries[newName].seq}
		if d != nd && childIsDir != replIsDir {
			if childIsDir {
				d.nlink--
				nd.nlink++
			} else {
				d.nlink++
				nd.nlink--
			}
		}
		base(replaced).touchCtime()
	} else {
		if replaced != nil {
			if rd, ok := replaced.(*Dir); ok {
				if len(rd.entries) != 0 {
					return unix.ENOTEMPTY
				}
				rd.nlink = 0
				nd.nlink--
				d.fs.inodes.Add(-1)
			} else {
				n := linkCountLocked(replaced)
				*n--
				if *n == 0 {
					d.fs.inodes.Add(-1)
				}
			}
			base(replaced).touchCtime()
		}
		delete(d.entries, oldName)
		nd.seq++
		nd.entries[newName] = dirEntry{child, nd.seq}
		if childIsDir && d != nd {
			d.nlink--
			nd.nlink++
		}
	}
	base(child).touchCtime()
	d.touchMtime()
	if nd != d {
		nd.touchMtime()
	}
	return nil
}

// Symlink is a symbolic link.
type Symlink struct {
	inode
	target string
}

var _ vfs.SymlinkInode = (*Symlink)(nil)

func (fs *Filesystem) newSymlink(a vfs.CreateArgs) *Symlink {
	s := &Symlink{target: a.Target}
	fs.initInode(&s.inode, a)
	return s
}

// NewSymlink makes a symlink for Dir.Add.
func (fs *Filesystem) NewSymlink(target string, uid, gid uint32) *Symlink {
	return fs.newSymlink(vfs.CreateArgs{Mode: unix.S_IFLNK | 0777, UID: uid, GID: gid, Target: target})
}

// Stat implements vfs.Inode.
func (s *Symlink) Stat() (vfs.Stat, error) {
	st := s.stat()
	st.Size = uint64(len(s.target))
	return st, nil
}

// SetStat implements vfs.Inode.
func (s *Symlink) SetStat(ss *vfs.SetStat) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStatLocked(ss, time.Now())
	return nil
}

// Open implements vfs.Inode.
func (s *Symlink) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.ELOOP }

// Readlink implements vfs.SymlinkInode.
func (s *Symlink) Readlink() (string, error) {
	s.mu.Lock()
	s.atime = time.Now()
	s.mu.Unlock()
	return s.target, nil
}

// Opener opens a special file (a device) for the given open flags.
type Opener func(flags uint32) (vfs.FileDescriptionImpl, error)

// charDevices says how a character device node made by mknod(2) opens: the sandbox's
// devices (fsimpl/dev registers them, as it imports this package); nil for a device it does
// not implement. Set once, from an init function.
var charDevices func(major, minor uint32) Opener

// RegisterCharDevices sets how character device nodes made by mknod(2) open, so that
// `mknod null c 1 3` in a tmpfs gives a working /dev/null as on Linux. Called from init.
func RegisterCharDevices(f func(major, minor uint32) Opener) { charDevices = f }

// Special is a fifo, socket or device node.
type Special struct {
	inode
	open Opener
	// fifo is a fifo's pipe, made at its first open; it lives as long as the inode.
	fifoOnce sync.Once
	fifo     *pipe.Pipe
}

// NewSpecial makes a special file; open (may be nil) is how it opens.
func (fs *Filesystem) NewSpecial(a vfs.CreateArgs, open Opener) *Special {
	s := &Special{open: open}
	fs.initInode(&s.inode, a)
	return s
}

// Stat implements vfs.Inode.
func (s *Special) Stat() (vfs.Stat, error) { return s.stat(), nil }

// SetStat implements vfs.Inode.
func (s *Special) SetStat(ss *vfs.SetStat) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStatLocked(ss, time.Now())
	return nil
}

// Open implements vfs.Inode: devices open with their Opener; fifos open their pipe (the
// open is finished by vfs.WaitOpen); sockets and unknown devices give ENXIO, as Linux's do.
func (s *Special) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	if s.open != nil {
		return s.open(flags)
	}
	if s.mode&unix.S_IFMT == unix.S_IFIFO {
		s.fifoOnce.Do(func() { s.fifo = pipe.NewFifo() })
		return s.fifo.Open(flags)
	}
	return nil, unix.ENXIO
}

// Regular is a regular file.
type Regular struct {
	inode
	// size is the file size. Guarded by mu.
	size int64
	// d holds the data. Its maps are guarded by mu.
	d *fileData
	// mappings are the memory managers that map the file MAP_SHARED (zapped on truncate).
	mappings mm.MappingSet
}

// fileData is a regular file's pages: in the memory file when the filesystem has one (each
// page holding one memory-file reference of the file's own), else in Go memory. Missing
// pages read as zeros. It is apart from Regular so that a cleanup attached to the Regular
// can free the pages once the file is unreachable (unlinked, closed and unmapped): tmpfs
// has no other notion of an inode's last reference.
type fileData struct {
	mf   *memfile.File
	used *atomic.Int64
	// pages holds Go-memory pages (mf nil); mpages the memory-file offsets of pages (mf set).
	pages  map[int64]*[pageSize]byte
	mpages map[int64]uint64
}

// release frees every page (the Regular's cleanup).
func (d *fileData) release() {
	d.used.Add(-int64(d.count()))
	offs := make([]uint64, 0, len(d.mpages))
	for _, off := range d.mpages {
		offs = append(offs, off)
	}
	d.decRefRuns(offs)
	d.pages, d.mpages = nil, nil
}

// decRefRuns drops one reference on each memory-file page in offs (which it sorts), one
// DecRef per contiguous run: a file's pages are mostly allocated in runs, and the memory
// file's cost is per call.
func (d *fileData) decRefRuns(offs []uint64) {
	slices.Sort(offs)
	for i := 0; i < len(offs); {
		j := i + 1
		for j < len(offs) && offs[j] == offs[j-1]+pageSize {
			j++
		}
		d.mf.DecRef(offs[i], uint64(j-i)*pageSize)
		i = j
	}
}

func (d *fileData) count() int { return len(d.pages) + len(d.mpages) }

// page returns the page with index idx, or nil if it is a hole.
func (d *fileData) page(idx int64) []byte {
	if d.mf == nil {
		if p := d.pages[idx]; p != nil {
			return p[:]
		}
		return nil
	}
	if off, ok := d.mpages[idx]; ok {
		return d.mf.Slice(off, pageSize)
	}
	return nil
}

// allocate gives pages to the holes among indices [first, last), as far as the size limit
// allows, in index order, and reports whether all of them got one. Memory-file pages are
// allocated as one range.
func (d *fileData) allocate(first, last int64, maxPages int64) bool {
	var missing []int64
	for idx := first; idx < last; idx++ {
		if d.page(idx) == nil {
			missing = append(missing, idx)
		}
	}
	if len(missing) == 0 {
		return true
	}
	n := int64(len(missing))
	for {
		u := d.used.Load()
		n = min(n, maxPages-u)
		if n <= 0 {
			return false
		}
		if d.used.CompareAndSwap(u, u+n) {
			break
		}
	}
	if d.mf == nil {
		for _, idx := range missing[:n] {
			d.pages[idx] = new([pageSize]byte)
		}
		return n == int64(len(missing))
	}
	off, err := d.mf.Allocate(uint64(n) * pageSize)
	if err != nil {
		d.used.Add(-n)
		return false
	}
	for k, idx := range missing[:n] {
		d.mpages[idx] = off + uint64(k)*pageSize
	}
	return n == int64(len(missing))
}

// free drops the page idx.
func (d *fileData) free(idx int64) {
	if d.mf == nil {
		if d.pages[idx] != nil {
			delete(d.pages, idx)
			d.used.Add(-1)
		}
		return
	}
	if off, ok := d.mpages[idx]; ok {
		delete(d.mpages, idx)
		d.mf.DecRef(off, pageSize)
		d.used.Add(-1)
	}
}

// indices returns the indices of the allocated pages.
func (d *fileData) indices() []int64 {
	out := make([]int64, 0, d.count())
	for idx := range d.pages {
		out = append(out, idx)
	}
	for idx := range d.mpages {
		out = append(out, idx)
	}
	return out
}

// NewRegular makes a regular file.
func (fs *Filesystem) NewRegular(a vfs.CreateArgs) *Regular {
	d := &fileData{mf: fs.mf, used: fs.usedPages}
	if fs.mf == nil {
		d.pages = make(map[int64]*[pageSize]byte)
	} else {
		d.mpages = make(map[int64]uint64)
	}
	r := &Regular{d: d}
	fs.initInode(&r.inode, a)
	runtime.AddCleanup(r, (*fileData).release, d)
	return r
}

// Stat implements vfs.Inode.
func (r *Regular) Stat() (vfs.Stat, error) {
	st := r.stat()
	r.mu.Lock()
	st.Size = uint64(r.size)
	st.Blocks = uint64(r.d.count()) * (pageSize / 512)
	r.mu.Unlock()
	return st, nil
}

// SetStat implements vfs.Inode.
func (r *Regular) SetStat(s *vfs.SetStat) error {
	r.mu.Lock()
	now := time.Now()
	shrunk := false
	if s.Mask&vfs.SetSize != 0 {
		if s.Size > uint64(maxFileSize) {
			r.mu.Unlock()
			return unix.EFBIG
		}
		r.killPrivLocked() // any truncate, even to the same size
		if int64(s.Size) != r.size {
			shrunk = int64(s.Size) < r.size
			r.truncateLocked(int64(s.Size))
			r.mtime = now
			r.ctime = now
		}
	}
	r.setStatLocked(s, now)
	r.mu.Unlock()
	if shrunk {
		// Zap the pages past the new end from every mapping (after unlocking: the memory
		// managers' locks come first), as Linux does.
		r.mappings.Invalidate(r, s.Size)
	}
	return nil
}

// maxFileSize is MAX_LFS_FILESIZE.
const maxFileSize = int64(^uint64(0) >> 1)

// truncateLocked sets the size, freeing pages beyond it and zeroing the tail of the last.
// Memory-file pages that are mapped stay alive through the mappings' own references (see
// mm.Mappable) until the caller zaps them (Mappings().Invalidate, after unlocking).
//
// Preconditions: r.mu is held.
func (r *Regular) truncateLocked(n int64) {
	if n < r.size {
		var freed []uint64
		for _, idx := range r.d.indices() {
			start := idx * pageSize
			if start >= n {
				if off, ok := r.d.mpages[idx]; ok {
					delete(r.d.mpages, idx)
					freed = append(freed, off)
					r.d.used.Add(-1)
				} else {
					r.d.free(idx)
				}
			} else if start+pageSize > n {
				clear(r.d.page(idx)[n-start:])
			}
		}
		r.d.decRefRuns(freed)
	}
	r.size = n
}

// ReadAt reads at off.
func (r *Regular) ReadAt(dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if off >= r.size {
		return 0, nil
	}
	n := int(min(int64(len(dst)), r.size-off))
	for done := 0; done < n; {
		idx, po := (off+int64(done))/pageSize, (off+int64(done))%pageSize
		c := min(n-done, int(pageSize-po))
		if p := r.d.page(idx); p != nil {
			copy(dst[done:done+c], p[po:])
		} else {
			clear(dst[done : done+c])
		}
		done += c
	}
	now := time.Now()
	// relatime: update atime when it is older than the last change or a day old.
	if !r.atime.After(r.mtime) || !r.atime.After(r.ctime) || now.Sub(r.atime) > 24*time.Hour {
		r.atime = now
	}
	return n, nil
}

// WriteAt writes at off (or at the end if appendMode) and returns the end offset.
func (r *Regular) WriteAt(src []byte, off int64, appendMode bool) (int, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if appendMode {
		off = r.size
	}
	if off < 0 {
		return 0, off, unix.EINVAL
	}
	if len(src) == 0 {
		return 0, off, nil
	}
	if off > maxFileSize-int64(len(src)) {
		return 0, off, unix.EFBIG
	}
	// Allocate the missing pages at once (one memory-file range for the write); past the
	// size limit the write is short.
	r.d.allocate(off/pageSize, (off+int64(len(src))+pageSize-1)/pageSize, r.fs.maxPages)
	done := 0
	for done < len(src) {
		pos := off + int64(done)
		idx, po := pos/pageSize, pos%pageSize
		p := r.d.page(idx)
		if p == nil {
			break
		}
		done += copy(p[po:], src[done:])
	}
	if end := off + int64(done); end > r.size {
		r.size = end
	}
	if done > 0 {
		now := time.Now()
		r.mtime, r.ctime = now, now
		// A write by anyone clears set-user-ID (file_remove_privs; capabilities are not
		// modelled, so the bits go whoever writes).
		r.mode &^= unix.S_ISUID
		r.killPrivLocked()
		if r.mode&unix.S_IXGRP != 0 {
			r.mode &^= unix.S_ISGID
		}
	}
	if done == 0 {
		return 0, off, unix.ENOSPC
	}
	return done, off + int64(done), nil
}

// MemoryFile implements mm.Mappable.
func (r *Regular) MemoryFile() *memfile.File { return r.d.mf }

// Mappings implements mm.Mappable.
func (r *Regular) Mappings() *mm.MappingSet { return &r.mappings }

// Translate implements mm.Mappable.
func (r *Regular) Translate(off, length uint64, allocate bool) ([]mm.Translation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.d.mf == nil {
		return nil, unix.ENODEV
	}
	eof := (uint64(r.size) + pageSize - 1) &^ (pageSize - 1)
	end := min(off+length, eof)
	if off >= end {
		return nil, nil
	}
	first, last := int64(off/pageSize), int64(end/pageSize)
	if allocate && !r.d.allocate(first, last, r.fs.maxPages) {
		return nil, unix.ENOSPC
	}
	var out []mm.Translation
	for idx := first; idx < last; idx++ {
		moff, ok := r.d.mpages[idx]
		if !ok {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Off+out[n-1].Len == uint64(idx)*pageSize && out[n-1].MemOff+out[n-1].Len == moff {
			out[n-1].Len += pageSize
			continue
		}
		out = append(out, mm.Translation{Off: uint64(idx) * pageSize, Len: pageSize, MemOff: moff})
	}
	for _, t := range out {
		r.d.mf.IncRef(t.MemOff, t.Len)
	}
	return out, nil
}

// Open implements vfs.Inode.
func (r *Regular) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	return &regularFD{r: r}, nil
}

// regularFD is an open regular file.
type regularFD struct {
	vfs.DefaultImpl
	r *Regular
}

var _ mm.MappableProvider = (*regularFD)(nil)

// Mappable implements mm.MappableProvider: files of a tmpfs with a memory file map shared.
func (f *regularFD) Mappable() mm.Mappable {
	if f.r.d.mf == nil {
		return nil
	}
	return f.r
}

// Read implements vfs.FileDescriptionImpl.
func (f *regularFD) Read(_ *kernel.Task, dst []byte, off int64) (int, error) {
	return f.r.ReadAt(dst, off)
}

// Write implements vfs.FileDescriptionImpl.
func (f *regularFD) Write(_ *kernel.Task, src []byte, off int64, appendMode bool) (int, int64, error) {
	return f.r.WriteAt(src, off, appendMode)
}

// Seek implements vfs.FileDescriptionImpl.
func (f *regularFD) Seek(_ *kernel.Task, cur, off int64, whence int) (int64, error) {
	f.r.mu.Lock()
	size := f.r.size
	f.r.mu.Unlock()
	return vfs.GenericSeek(cur, off, whence, size)
}

// Allocate implements vfs.FileDescriptionImpl: the file grows to off+length (pages are
// allocated when written; the size limit is checked now).
func (f *regularFD) Allocate(off, length int64) error {
	if off > maxFileSize-length {
		return unix.EFBIG
	}
	r := f.r
	r.mu.Lock()
	defer r.mu.Unlock()
	end := off + length
	if end > r.size {
		if need := (end-r.size)/pageSize - (r.fs.maxPages - r.fs.usedPages.Load()); need > 0 {
			return unix.ENOSPC
		}
		r.size = end
		r.ctime = time.Now()
	}
	return nil
}
