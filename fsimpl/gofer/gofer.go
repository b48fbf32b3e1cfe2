// Package gofer is the filesystem the sentry sees through a gofer (gofer/client): the
// container's root and bind mounts, served by a separate host process.
//
// # Inodes and handles
//
// Each Inode holds a gofer handle (an O_PATH descriptor in the gofer) and a cached copy of
// the file's attributes. Lookups are Walk requests of one component; the VFS caches the
// result in its dentry tree. Opening a regular file asks the gofer once for a host
// descriptor (Open, donated by SCM_RIGHTS); reads, writes, pread/pwrite, lseek, fsync and
// fallocate then go straight to that descriptor, with no gofer round trip per I/O. Open
// files expose the descriptor (HostFD) so that file mappings can use it. A file mapped
// MAP_SHARED caches its pages in the memory file from then on (pagecache.go). Directories are
// listed with Getdents ("." and ".." are made up by the VFS); symlink targets are read once
// (a symlink's target never changes) and cached. Every change to the tree (create, mkdir,
// mknod, symlink, link, unlink, rmdir, rename, setattr) is a request to the gofer.
//
// A handle is released (Close) when its Inode is garbage collected: dentries and inodes
// are garbage collected in this VFS, not reference counted, so a cleanup closes it. The
// gofer allows 65536 handles per connection: the filesystem lets the VFS evict unused
// dentries (vfs.EvictableFilesystem, a bounded LRU), and starts a collection every
// gcSlack new inodes, so that the handles (and the shared read-only host descriptors) of
// evicted files are closed and a walk of any number of files keeps a bounded number open.
// ReleaseHostFiles closes the idle host descriptors at once, without waiting for a
// collection (a container leaving a running sandbox must not keep its root busy).
//
// # Inode identity
//
// Every name of one host file is one Inode: Filesystem.inodes maps the host's (st_dev,
// st_ino) to the live Inode (weakly), and a walk that returns a known file closes its new
// handle and reuses the Inode. Hard links therefore share st_ino, the cached link count and
// attributes (a link, unlink or write through one name marks the one inode stale) and, for a
// FIFO, the pipe. The host cannot reuse the number while the Inode lives: its handle keeps
// the host inode alive.
//
// # Cache policy
//
// The sandbox is the only writer through its gofer ("exclusive" access, gVisor's default
// for a container's root), so the caches are kept coherent by the sandbox's own changes
// instead of by asking the gofer again:
//
//   - Positive entries are cached by the VFS dentry tree and never revalidated: the
//     filesystem does not implement vfs.Revalidator. A local unlink or rename updates the
//     dentry tree itself.
//   - Negative entries are cached per directory (a name that Walk said is missing) and
//     dropped by every local operation that creates a name in that directory. This matters
//     for program start-up: dynamic loaders and PATH searches probe many missing names.
//   - Attributes are cached in the Inode. On a read-only attach point they are trusted
//     forever. On a writable one, every local change invalidates what it can change (the
//     setattr response replaces them; a create, link, unlink or rename marks the
//     directories, and the inode whose link count changed, stale; a write marks the file
//     stale), and a stale inode asks the gofer (Stat) the next time; a regular file with an
//     open host descriptor is stat'ed with fstat on that descriptor instead, which is
//     cheaper and always current.
//
// Changes made on the host behind the sandbox's back are therefore not seen in cached
// entries or attributes (a file's data is always current: reads go to the host file). A
// shared mode (revalidate each cached dentry with a Walk, as gVisor's "shared" file access
// does for bind mounts shared with the host) would implement vfs.Revalidator here.
//
// A read-only attach point gives EROFS for every change and for opens for writing, before
// any request is sent; the gofer enforces the same.
//
// # Locks
//
// Filesystem.inodesMu guards the identity map; it is taken before an Inode.mu, never after.
// Inode.mu guards an inode's cached attributes and, for directories, the negative cache.
// It is never held across a gofer request, so that a slow request does not block stat of
// the same file. The VFS calls directory operations with its dentry lock held (package
// vfs); this package never calls back into the VFS.
//
// # Not done
//
//   - Sockets on a gofer mount can be created but neither opened (ENXIO, as Linux) nor
//     connected to: bind(2) on a gofer mount does not create them.
//   - Page caches (pagecache.go): one per Inode, so two hard-link names mapped shared do
//     not share pages; host changes behind the sandbox's back to cached pages are not seen;
//     a fault reads in only the faulting page (no read-ahead), and write-back rewrites
//     every page a mapping was given (no dirty tracking); cached pages stay until the inode
//     is collected.
package gofer

import (
	"errors"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/pipe"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "9p" // as gVisor and Linux name a gofer-backed mount in /proc/mounts

// Options configure a mount; pass them as vfs.MountOptions.Private.
type Options struct {
	// Client is the connection to the gofer. The filesystem does not close it.
	Client *client.Client
	// Attach is the attach point name ("/" for the container root).
	Attach string
	// ReadOnly makes the filesystem read-only even if the attach point is writable.
	ReadOnly bool
	// MemFile is the sandbox's memory file, where the pages of files mapped MAP_SHARED are
	// cached (pagecache.go). Without one (unit tests) such mappings fall back to copies.
	MemFile *memfile.File
}

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

// NewFilesystem implements vfs.FilesystemType.
func (fsType) NewFilesystem(_ *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	o, ok := opts.Private.(Options)
	if !ok || o.Client == nil {
		return nil, nil, unix.EINVAL
	}
	fs, root, err := attach(o)
	if err != nil {
		return nil, nil, err
	}
	if f, ok := root.(*Regular); ok {
		return fs, &fileRoot{file: f}, nil // a file bind mount (fileroot.go)
	}
	d, ok := root.(*Dir)
	if !ok {
		return nil, nil, unix.ENOTDIR
	}
	return fs, d, nil
}

// Filesystem is one attach point of a gofer.
type Filesystem struct {
	c *client.Client
	// attach is the attach point's name: the host path of a bind mount's source.
	attach   string
	readOnly bool
	// root is the attach point's inode (kept alive with its handle, rootH).
	root  vfs.Inode
	rootH client.Handle

	// inodesMu guards inodes.
	inodesMu sync.Mutex
	// gcAt is the size of inodes at which a garbage collection is started, so that the
	// inodes of evicted dentries are collected and their handles and host descriptors
	// closed before they pile up (the gofer allows 65536 handles per connection).
	// gcRunning says one is under way. Guarded by inodesMu.
	gcAt      int
	gcRunning bool
	// inodes maps a host file's identity to its live Inode, so that every name of a host
	// inode (hard links, a name looked up again) is one sentry inode: one st_ino, one
	// cached link count, one pipe for a FIFO. Entries are weak: an inode nobody uses is
	// collected (its handle closed) and its entry removed by its cleanup. Guarded by
	// inodesMu.
	inodes map[hostID]weakInode
	// mf is Options.MemFile (may be nil): page caches for shared mappings.
	mf *memfile.File
}

// hostID identifies a host file.
type hostID struct{ dev, ino uint64 }

// weakInode is a weak reference to an Inode of any of this package's types.
type weakInode struct {
	dir  weak.Pointer[Dir]
	reg  weak.Pointer[Regular]
	sym  weak.Pointer[Symlink]
	spec weak.Pointer[Special]
}

// get returns the inode, or nil if it has been collected.
func (w weakInode) get() vfs.Inode {
	switch {
	case w.dir != (weak.Pointer[Dir]{}):
		if d := w.dir.Value(); d != nil {
			return d
		}
	case w.reg != (weak.Pointer[Regular]{}):
		if r := w.reg.Value(); r != nil {
			return r
		}
	case w.sym != (weak.Pointer[Symlink]{}):
		if s := w.sym.Value(); s != nil {
			return s
		}
	case w.spec != (weak.Pointer[Special]{}):
		if s := w.spec.Value(); s != nil {
			return s
		}
	}
	return nil
}

var _ vfs.FilesystemImpl = (*Filesystem)(nil)

// New attaches to o.Attach and returns the filesystem and its root directory.
func New(o Options) (*Filesystem, *Dir, error) {
	fs, ino, err := attach(o)
	if err != nil {
		return nil, nil, err
	}
	d, ok := ino.(*Dir)
	if !ok {
		return nil, nil, unix.ENOTDIR
	}
	return fs, d, nil
}

// attach attaches to o.Attach: the filesystem and the attach point's inode (a directory,
// or a regular file for a file bind mount).
func attach(o Options) (*Filesystem, vfs.Inode, error) {
	in, ro, err := o.Client.Attach(o.Attach)
	if err != nil {
		return nil, nil, errno(err)
	}
	fs := &Filesystem{c: o.Client, attach: o.Attach, readOnly: ro || o.ReadOnly, gcAt: gcSlack, rootH: in.Handle, mf: o.MemFile}
	ino, err := fs.newInode(in)
	if err != nil {
		return nil, nil, err
	}
	fs.root = ino
	return fs, ino, nil
}

// FileAttach reports whether the attach point is a regular file (a file bind mount): the
// filesystem's root is then a directory holding it as FileAttachName (fileroot.go).
func (fs *Filesystem) FileAttach() bool {
	_, ok := fs.root.(*Regular)
	return ok
}

// BackingPath implements vfs.BackingPather: a path under the attach point is that path
// under the attach point's host path ("/etc/x" for "/x" of a bind mount of /etc; the file
// itself for a file bind mount), as Linux's mountinfo shows a bind mount's root.
func (fs *Filesystem) BackingPath(p string) string {
	if fs.FileAttach() {
		return fs.attach
	}
	return path.Join(fs.attach, p)
}

// ReadOnly reports whether the filesystem refuses changes.
func (fs *Filesystem) ReadOnly() bool { return fs.readOnly }

// StatFS implements vfs.FilesystemImpl.
func (fs *Filesystem) StatFS() (unix.Statfs_t, error) {
	s, err := fs.c.StatFS(fs.rootH)
	if err != nil {
		return unix.Statfs_t{}, errno(err)
	}
	return unix.Statfs_t{
		Type: int64(s.Type), Bsize: int64(s.Bsize), Blocks: s.Blocks, Bfree: s.Bfree,
		Bavail: s.Bavail, Files: s.Files, Ffree: s.Ffree, Namelen: int64(s.Namelen),
		Frsize: int64(s.Frsize),
	}, nil
}

// Sync implements vfs.FilesystemImpl: data goes to host files directly, so the host's own
// writeback applies; fsync on an open file syncs it.
func (fs *Filesystem) Sync() error { return nil }

// errno turns a client error into an errno: operation failures are already unix.Errno; a
// broken connection is EIO.
func errno(err error) error {
	if err == nil {
		return nil
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EIO
}

// inode is what every gofer file has.
type inode struct {
	fs *Filesystem
	// h is the gofer handle, owned by this inode; closed by a finalizer.
	h client.Handle

	mu sync.Mutex
	// st is the cached attributes. Guarded by mu.
	st client.Stat
	// stale means st may be out of date after a local change: ask again. Guarded by mu.
	stale bool
	// openFDs are host descriptors of this file's open descriptions, used to stat it
	// cheaply. Guarded by mu.
	openFDs map[int]struct{}
}

// newInode wraps a handle the gofer returned. The inode owns it from now on. If the host
// file already has a live inode (another name of it, or the same name looked up again),
// that inode is returned and the new handle closed; its cached attributes are refreshed
// from the walk's.
func (fs *Filesystem) newInode(in client.Inode) (vfs.Inode, error) {
	id := hostID{in.Stat.Dev, in.Stat.Ino}
	fs.inodesMu.Lock()
	defer fs.inodesMu.Unlock()
	if w, ok := fs.inodes[id]; ok {
		if ino := w.get(); ino != nil {
			if b := base(ino); b.ifmt() == in.Stat.Mode&unix.S_IFMT {
				// Off this goroutine: a close is a round trip, and the VFS holds locks.
				go fs.c.CloseHandles(in.Handle)
				b.mu.Lock()
				if len(b.openFDs) == 0 {
					b.st, b.stale = in.Stat, false
				}
				b.mu.Unlock()
				return ino, nil
			}
		}
	}
	var ino vfs.Inode
	var bp *inode
	var w weakInode
	switch in.Stat.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		d := &Dir{}
		ino, bp, w.dir = d, &d.inode, weak.Make(d)
	case unix.S_IFLNK:
		s := &Symlink{}
		ino, bp, w.sym = s, &s.inode, weak.Make(s)
	case unix.S_IFREG:
		r := &Regular{}
		ino, bp, w.reg = r, &r.inode, weak.Make(r)
	default:
		s := &Special{}
		ino, bp, w.spec = s, &s.inode, weak.Make(s)
	}
	bp.fs, bp.h, bp.st = fs, in.Handle, in.Stat
	if fs.inodes == nil {
		fs.inodes = make(map[hostID]weakInode)
	}
	fs.inodes[id] = w
	if len(fs.inodes) >= fs.gcAt && !fs.gcRunning {
		fs.gcRunning = true
		go fs.collect()
	}
	runtime.AddCleanup(bp, func(h client.Handle) {
		fs.inodesMu.Lock()
		if fs.inodes[id] == w {
			delete(fs.inodes, id)
		}
		fs.inodesMu.Unlock()
		// Off the cleanup goroutine: a close is a round trip.
		go fs.c.CloseHandles(h)
	}, in.Handle)
	return ino, nil
}

// ownedFD is a host descriptor closed once: by its inode's cleanup, or before it by
// ReleaseHostFiles.
type ownedFD struct {
	fd   int
	once sync.Once
}

func (o *ownedFD) close() { o.once.Do(func() { unix.Close(o.fd) }) }

// ReleaseHostFiles closes, now rather than when their inodes are collected, the host
// descriptors the filesystem keeps for files that no description uses and no address
// space maps: the shared read-only descriptors and the page caches' (with their pages). A
// container that leaves a running sandbox calls it once its processes are gone, so that
// the sandbox holds nothing open in its root (whose unmount would otherwise be busy).
// Files still in use keep theirs until they are collected.
func (fs *Filesystem) ReleaseHostFiles() {
	fs.inodesMu.Lock()
	var regs []*Regular
	for _, w := range fs.inodes {
		if r, ok := w.get().(*Regular); ok {
			regs = append(regs, r)
		}
	}
	fs.inodesMu.Unlock()
	for _, r := range regs {
		r.mu.Lock()
		if r.roValid && r.roUsers == 0 {
			delete(r.openFDs, r.roFD)
			r.roOwned.close()
			r.roValid, r.roOwned = false, nil
		}
		idle := r.roUsers == 0 && len(r.openFDs) == 0 && r.mappings.Empty()
		r.mu.Unlock()
		if idle {
			r.cacheMu.Lock()
			if c := r.cache.Load(); c != nil {
				r.cache.Store(nil)
				c.release()
			}
			r.cacheMu.Unlock()
		}
	}
}

// gcSlack is how many inodes may be made between two collections.
const gcSlack = 4096

// collect runs a garbage collection: inodes whose dentries the VFS evicted become
// unreachable, and their cleanups close their handles and descriptors.
func (fs *Filesystem) collect() {
	runtime.GC()
	fs.inodesMu.Lock()
	fs.gcAt = len(fs.inodes) + gcSlack
	fs.gcRunning = false
	fs.inodesMu.Unlock()
}

// EvictsDentries implements vfs.EvictableFilesystem: every file holds a gofer handle (and
// a read file a host descriptor), released once its dentries are evicted and the inode is
// collected.
func (fs *Filesystem) EvictsDentries() {}

// Handle returns the gofer handle (for tests and diagnostics).
func (i *inode) Handle() client.Handle { return i.h }

// Stat implements vfs.Inode.
func (i *inode) Stat() (vfs.Stat, error) {
	st, err := i.stat()
	if err != nil {
		return vfs.Stat{}, err
	}
	return toVFS(&st), nil
}

// stat returns current attributes: cached, or refreshed if stale.
func (i *inode) stat() (client.Stat, error) {
	i.mu.Lock()
	if !i.stale {
		st := i.st
		i.mu.Unlock()
		return st, nil
	}
	hostFD := -1
	for fd := range i.openFDs {
		hostFD = fd
		break
	}
	if hostFD >= 0 {
		// The descriptor stays open while mu is held (release takes mu first).
		var hs unix.Stat_t
		err := unix.Fstat(hostFD, &hs)
		if err == nil {
			i.st = fromHost(&hs)
			st := i.st
			i.mu.Unlock()
			return st, nil
		}
	}
	i.mu.Unlock()
	st, err := i.fs.c.Stat(i.h)
	if err != nil {
		return client.Stat{}, errno(err)
	}
	i.mu.Lock()
	i.st, i.stale = st, false
	i.mu.Unlock()
	return st, nil
}

// invalidate marks the cached attributes stale after a local change (never needed on a
// read-only filesystem, which does not change).
func (i *inode) invalidate() {
	i.mu.Lock()
	i.stale = true
	i.mu.Unlock()
}

func (i *inode) ifmt() uint32 {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.st.Mode & unix.S_IFMT
}

// SetStat implements vfs.Inode.
func (i *inode) SetStat(s *vfs.SetStat) error {
	if i.fs.readOnly {
		return unix.EROFS
	}
	var a client.SetAttr
	if s.Mask&vfs.SetMode != 0 {
		m := s.Mode & 07777
		a.Mode = &m
	}
	if s.Mask&vfs.SetUID != 0 {
		u := s.UID
		a.UID = &u
	}
	if s.Mask&vfs.SetGID != 0 {
		g := s.GID
		a.GID = &g
	}
	if s.Mask&vfs.SetSize != 0 {
		sz := s.Size
		a.Size = &sz
	}
	if s.Mask&vfs.SetAtime != 0 {
		ts := toTimespec(s.Atime)
		a.Atime = &ts
	}
	if s.Mask&vfs.SetMtime != 0 {
		ts := toTimespec(s.Mtime)
		a.Mtime = &ts
	}
	if a == (client.SetAttr{}) {
		return nil
	}
	st, err := i.fs.c.SetAttr(i.h, a)
	if err != nil {
		return errno(err)
	}
	i.mu.Lock()
	i.st, i.stale = st, false
	i.mu.Unlock()
	return nil
}

// Open implements vfs.Inode for types that cannot be opened here.
func (i *inode) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.ENXIO }

func toTimespec(t time.Time) client.Timespec {
	return client.Timespec{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}
}

func fromTimespec(ts client.Timespec) time.Time { return time.Unix(ts.Sec, int64(ts.Nsec)) }

func toVFS(s *client.Stat) vfs.Stat {
	return vfs.Stat{
		Mode: s.Mode, Nlink: uint32(min(s.Nlink, uint64(^uint32(0)))), UID: s.UID, GID: s.GID,
		Size: s.Size, Blocks: s.Blocks, Ino: s.Ino, Blksize: s.Blksize, Rdev: s.Rdev,
		Atime: fromTimespec(s.Atime), Mtime: fromTimespec(s.Mtime), Ctime: fromTimespec(s.Ctime),
	}
}

func fromHost(h *unix.Stat_t) client.Stat {
	return client.Stat{
		Mode: h.Mode, Nlink: h.Nlink, UID: h.Uid, GID: h.Gid, Size: uint64(h.Size),
		Blocks: uint64(h.Blocks), Blksize: uint32(h.Blksize),
		Atime: client.Timespec{Sec: h.Atim.Sec, Nsec: uint32(h.Atim.Nsec)},
		Mtime: client.Timespec{Sec: h.Mtim.Sec, Nsec: uint32(h.Mtim.Nsec)},
		Ctime: client.Timespec{Sec: h.Ctim.Sec, Nsec: uint32(h.Ctim.Nsec)},
		Ino:   h.Ino, Dev: h.Dev, Rdev: h.Rdev,
	}
}

// Dir is a directory.
type Dir struct {
	inode
	// negative holds names known not to exist. Guarded by inode.mu.
	negative map[string]struct{}
}

var _ vfs.DirInode = (*Dir)(nil)

// maxNegative bounds a directory's negative cache; past it the cache is cleared.
const maxNegative = 1024

// Open implements vfs.Inode (the VFS opens directories itself).
func (d *Dir) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// Lookup implements vfs.DirInode.
func (d *Dir) Lookup(name string) (vfs.Inode, error) {
	d.mu.Lock()
	_, neg := d.negative[name]
	d.mu.Unlock()
	if neg {
		return nil, unix.ENOENT
	}
	ins, err := d.fs.c.Walk(d.h, []string{name})
	if len(ins) == 1 {
		return d.fs.newInode(ins[0])
	}
	for _, in := range ins { // cannot happen for one name; never leak a handle
		d.fs.c.CloseHandles(in.Handle)
	}
	if err == nil {
		err = unix.EIO
	}
	err = errno(err)
	if err == unix.ENOENT {
		d.mu.Lock()
		if len(d.negative) >= maxNegative {
			d.negative = nil
		}
		if d.negative == nil {
			d.negative = make(map[string]struct{})
		}
		d.negative[name] = struct{}{}
		d.mu.Unlock()
	}
	return nil, err
}

// created forgets a negative entry for name and marks the directory changed.
func (d *Dir) created(name string) {
	d.mu.Lock()
	delete(d.negative, name)
	d.stale = true
	d.mu.Unlock()
}

// Readdir implements vfs.DirInode.
func (d *Dir) Readdir() ([]vfs.Dirent, error) {
	var out []vfs.Dirent
	var off uint64
	for {
		ents, err := d.fs.c.Getdents(d.h, off, 0)
		if err != nil {
			return nil, errno(err)
		}
		if len(ents) == 0 {
			return out, nil
		}
		for _, e := range ents {
			out = append(out, vfs.Dirent{Name: e.Name, Ino: e.Ino, Type: e.Type})
		}
		off = ents[len(ents)-1].Off
	}
}

// Mknod implements vfs.DirInode.
func (d *Dir) Mknod(name string, a vfs.CreateArgs) (vfs.Inode, error) {
	if d.fs.readOnly {
		return nil, unix.EROFS
	}
	c := d.fs.c
	var in client.Inode
	err := withOwner(a.UID, a.GID, func(uid, gid uint32) error {
		var err error
		switch a.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			var fd int
			in, fd, err = c.Create(d.h, name, unix.O_RDONLY, a.Mode&07777, uid, gid)
			if err == nil {
				unix.Close(fd)
			}
		case unix.S_IFDIR:
			in, err = c.Mkdir(d.h, name, a.Mode&07777, uid, gid)
		case unix.S_IFLNK:
			in, err = c.Symlink(d.h, name, a.Target, uid, gid)
		default:
			in, err = c.Mknod(d.h, name, a.Mode, uid, gid)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	d.created(name)
	return d.fs.newInode(in)
}

// withOwner runs a creating request with the owner the sentry asks for and, if the gofer
// may not give files away (it runs unprivileged), again with the gofer's own identity.
func withOwner(uid, gid uint32, f func(uid, gid uint32) error) error {
	err := errno(f(uid, gid))
	if err == unix.EPERM && (uid != client.NoID || gid != client.NoID) {
		err = errno(f(client.NoID, client.NoID))
	}
	return err
}

// Link implements vfs.DirInode.
func (d *Dir) Link(name string, target vfs.Inode) error {
	if d.fs.readOnly {
		return unix.EROFS
	}
	tb := base(target)
	if tb == nil || tb.fs != d.fs {
		return unix.EXDEV
	}
	in, err := d.fs.c.Link(d.h, name, tb.h)
	if err != nil {
		return errno(err)
	}
	// The target's inode already holds a handle for the file.
	go d.fs.c.CloseHandles(in.Handle)
	d.created(name)
	tb.invalidate()
	return nil
}

// Unlink implements vfs.DirInode.
func (d *Dir) Unlink(name string, child vfs.Inode) error {
	return d.remove(name, child, 0)
}

// Rmdir implements vfs.DirInode.
func (d *Dir) Rmdir(name string, child vfs.Inode) error {
	return d.remove(name, child, unix.AT_REMOVEDIR)
}

func (d *Dir) remove(name string, child vfs.Inode, flags int) error {
	if d.fs.readOnly {
		return unix.EROFS
	}
	if err := d.fs.c.Unlink(d.h, name, flags); err != nil {
		return errno(err)
	}
	d.invalidate()
	if cb := base(child); cb != nil {
		cb.invalidate()
	}
	return nil
}

// Rename implements vfs.DirInode.
func (d *Dir) Rename(oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	if d.fs.readOnly {
		return unix.EROFS
	}
	nd, ok := newDir.(*Dir)
	if !ok || nd.fs != d.fs {
		return unix.EXDEV
	}
	if err := d.fs.c.Rename(d.h, oldName, nd.h, newName, uint(flags)); err != nil {
		return errno(err)
	}
	d.invalidate()
	nd.created(newName)
	if flags&unix.RENAME_EXCHANGE != 0 {
		d.created(oldName)
	}
	for _, x := range []vfs.Inode{child, replaced} {
		if b := base(x); b != nil {
			b.invalidate()
		}
	}
	return nil
}

// base returns the common part of a gofer inode, or nil for another filesystem's.
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

// Symlink is a symbolic link.
type Symlink struct {
	inode
	once   sync.Once
	target string
	err    error
}

var _ vfs.SymlinkInode = (*Symlink)(nil)

// Open implements vfs.Inode.
func (s *Symlink) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.ELOOP }

// Readlink implements vfs.SymlinkInode. A symlink's target never changes: it is read once.
func (s *Symlink) Readlink() (string, error) {
	s.once.Do(func() {
		t, err := s.fs.c.Readlink(s.h)
		s.target, s.err = t, errno(err)
	})
	return s.target, s.err
}

// Special is a FIFO, socket or device node. The gofer opens none of them: the sentry
// serves a FIFO itself, with one pipe per inode (every name of the host FIFO is this
// inode, see Filesystem.inodes), which lives as long as the inode.
type Special struct {
	inode
	fifoOnce sync.Once
	fifo     *pipe.Pipe
}

// Open implements vfs.Inode: a FIFO opens the sentry's pipe (the open is finished by
// vfs.WaitOpen); devices are refused (EPERM), and sockets give ENXIO, as Linux's do.
func (s *Special) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	switch s.ifmt() {
	case unix.S_IFCHR, unix.S_IFBLK:
		return nil, unix.EPERM
	case unix.S_IFIFO:
		s.fifoOnce.Do(func() { s.fifo = pipe.NewFifo() })
		return s.fifo.Open(flags)
	}
	return nil, unix.ENXIO
}

// Regular is a regular file.
type Regular struct {
	inode
	// appendMu serialises appending writes, which read the size and then write there.
	appendMu sync.Mutex
	// roFD is a host descriptor opened read-only and shared by every plain read-only
	// description of the file (their I/O is positional, so they need no offset of their
	// own). It stays open after the last of them is released, so that a warm open needs no
	// gofer round trip, and is closed when the inode is collected (or by
	// ReleaseHostFiles). Valid when roValid; roOwned closes it once; roUsers counts the
	// descriptions using it. Guarded by inode.mu.
	roFD    int
	roValid bool
	roOwned *ownedFD
	roUsers int

	// cacheMu serialises creating the page cache and truncating a cached file.
	cacheMu sync.Mutex
	// cache is the page cache of a file that has been mapped MAP_SHARED (pagecache.go), or
	// nil; once set it never changes. Written under cacheMu.
	cache atomic.Pointer[pageCache]
	// mappings are the memory managers that map the file MAP_SHARED.
	mappings mm.MappingSet
}

// openFlags are the flags passed through to the gofer's open: the access mode and flags
// that change how the host file does I/O. O_APPEND and O_TRUNC are the VFS's business.
const openFlags = unix.O_ACCMODE | unix.O_DSYNC | unix.O_SYNC | unix.O_DIRECT | unix.O_NOATIME

// Open implements vfs.Inode: the gofer donates a host descriptor for this description.
func (r *Regular) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	if r.fs.readOnly && flags&unix.O_ACCMODE != unix.O_RDONLY {
		return nil, unix.EROFS
	}
	if flags&openFlags == unix.O_RDONLY {
		return r.openShared()
	}
	fd, err := r.fs.c.Open(r.h, int(flags&openFlags))
	if err != nil {
		return nil, errno(err)
	}
	if !r.fs.readOnly {
		r.mu.Lock()
		if r.openFDs == nil {
			r.openFDs = make(map[int]struct{})
		}
		r.openFDs[fd] = struct{}{}
		r.mu.Unlock()
	}
	return &regularFD{r: r, fd: fd, writable: flags&unix.O_ACCMODE != unix.O_RDONLY}, nil
}

// openShared returns a description over the inode's shared read-only descriptor, asking
// the gofer for it on first use.
func (r *Regular) openShared() (vfs.FileDescriptionImpl, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.roValid {
		fd, err := r.fs.c.Open(r.h, unix.O_RDONLY)
		if err != nil {
			return nil, errno(err)
		}
		r.roFD, r.roValid, r.roOwned = fd, true, &ownedFD{fd: fd}
		runtime.AddCleanup(r, (*ownedFD).close, r.roOwned)
		if !r.fs.readOnly {
			if r.openFDs == nil {
				r.openFDs = make(map[int]struct{})
			}
			r.openFDs[fd] = struct{}{}
		}
	}
	r.roUsers++
	return &regularFD{r: r, fd: r.roFD, shared: true}, nil
}

// regularFD is an open regular file: I/O on the donated host descriptor.
type regularFD struct {
	vfs.DefaultImpl
	r *Regular
	// fd is the host descriptor: owned by this description until Release, or the inode's
	// shared read-only descriptor if shared.
	fd     int
	shared bool
	// writable says fd is open for writing.
	writable bool
}

var (
	_ vfs.FileDescriptionImpl = (*regularFD)(nil)
	_ vfs.HostFDProvider      = (*regularFD)(nil)
	_ mm.MappableProvider     = (*regularFD)(nil)
	_ mm.Mappable             = (*Regular)(nil)
	_ mm.MappableSyncer       = (*Regular)(nil)
)

// Mappable implements mm.MappableProvider: the file's pages are cached in the memory file
// from now on (pagecache.go). nil without a memory file, or if the cache cannot be set up
// (the syscall layer then copies, or refuses a writable shared mapping).
func (f *regularFD) Mappable() mm.Mappable {
	if f.r.fs.mf == nil {
		return nil
	}
	if _, err := f.r.ensureCache(f.fd, f.writable); err != nil {
		return nil
	}
	return f.r
}

// HostFD returns the host descriptor (for file mappings). It stays valid until the file
// description is released; a user that outlives it must dup it.
func (f *regularFD) HostFD() (int, bool) { return f.fd, true }

// Read implements vfs.FileDescriptionImpl.
func (f *regularFD) Read(_ *kernel.Task, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if len(dst) == 0 {
		return 0, nil
	}
	if c := f.r.cache.Load(); c != nil {
		return c.read(f.fd, dst, off)
	}
	for {
		n, err := unix.Pread(f.fd, dst, off)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// Write implements vfs.FileDescriptionImpl.
func (f *regularFD) Write(_ *kernel.Task, src []byte, off int64, appendMode bool) (int, int64, error) {
	if c := f.r.cache.Load(); c != nil {
		f.r.appendMu.Lock()
		defer f.r.appendMu.Unlock()
		n, end, err := c.write(f.fd, src, off, appendMode)
		f.r.invalidate()
		return n, end, err
	}
	if appendMode {
		f.r.appendMu.Lock()
		defer f.r.appendMu.Unlock()
		var st unix.Stat_t
		if err := unix.Fstat(f.fd, &st); err != nil {
			return 0, off, err
		}
		off = st.Size
	}
	if off < 0 {
		return 0, off, unix.EINVAL
	}
	done := 0
	for done < len(src) {
		n, err := unix.Pwrite(f.fd, src[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if n > 0 {
			done += n
		}
		if err != nil {
			if done > 0 {
				err = nil
			}
			f.r.invalidate()
			return done, off + int64(done), err
		}
		if n == 0 {
			break
		}
	}
	f.r.invalidate()
	return done, off + int64(done), nil
}

// Seek implements vfs.FileDescriptionImpl: the host computes it (SEEK_DATA and SEEK_HOLE
// see the host file's holes). The host descriptor's own offset is otherwise unused.
func (f *regularFD) Seek(_ *kernel.Task, cur, off int64, whence int) (int64, error) {
	switch whence {
	case unix.SEEK_CUR:
		n := cur + off
		if (off > 0 && n < cur) || (off < 0 && n > cur) {
			return 0, unix.EOVERFLOW
		}
		off, whence = n, unix.SEEK_SET
	case unix.SEEK_SET, unix.SEEK_END, unix.SEEK_DATA, unix.SEEK_HOLE:
	default:
		return 0, unix.EINVAL
	}
	return unix.Seek(f.fd, off, whence)
}

// Allocate implements vfs.FileDescriptionImpl.
func (f *regularFD) Allocate(off, length int64) error {
	c := f.r.cache.Load()
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	err := unix.Fallocate(f.fd, 0, off, length)
	if c != nil && err == nil && off+length > c.size {
		c.size = off + length
	}
	f.r.invalidate()
	return err
}

// Sync implements vfs.FileDescriptionImpl: stores through shared mappings are written back
// first.
func (f *regularFD) Sync() error {
	if c := f.r.cache.Load(); c != nil {
		c.mu.Lock()
		err := c.writeBackLocked(0, c.size/pageSize+1)
		c.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return unix.Fsync(f.fd)
}

// Release implements vfs.FileDescriptionImpl.
func (f *regularFD) Release() {
	if f.shared {
		// The inode keeps its shared descriptor.
		f.r.mu.Lock()
		f.r.roUsers--
		f.r.mu.Unlock()
		return
	}
	f.r.mu.Lock()
	delete(f.r.openFDs, f.fd)
	f.r.mu.Unlock()
	unix.Close(f.fd)
}
