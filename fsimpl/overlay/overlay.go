// Package overlay is a union filesystem: a writable upper layer in memory (a tmpfs) over a
// read-only lower layer (in practice the gofer's view of the container image or the host
// root). It is the default root filesystem of `runsc do`: the program may change anything,
// and no change ever reaches the lower layer.
//
// # Semantics (those of Linux overlayfs without redirect_dir, index or metacopy)
//
//   - Lookup merges: a name in the upper layer hides the same name in the lower one, except
//     that an upper directory over a lower directory is a merged directory whose lookups
//     and listings consult both (unless it is opaque).
//   - Copy-up: the first change to a lower file (open for writing, truncate, chmod, chown,
//     utimes, setxattr, removexattr, link, rename) copies it to the upper layer, with its
//     parents: type, data, mode (set-id bits included), owner, atime, mtime and extended
//     attributes (xattr.go). Hard links in the lower layer
//     are broken by copy-up, as in Linux without the index feature. A description opened
//     read-only on the lower file before a copy-up switches to the upper copy at its next
//     operation, so it sees later writes (Linux gives that guarantee only since 4.19).
//   - Whiteouts: removing a name that exists in the lower layer records a whiteout for it in
//     the parent directory, which hides the lower name from lookups and listings.
//   - Opaque directories: a directory created where a whiteout was (rmdir then mkdir of a
//     lower directory), or renamed over a place where the lower layer has that name, is
//     opaque: it never shows lower entries.
//   - Readdir lists the upper entries, then the lower entries that are neither hidden by an
//     upper one nor whited out.
//   - Rename of a directory that exists in the lower layer (lower-only or merged) fails with
//     EXDEV, as in Linux without redirect_dir: `mv` then copies and deletes. Renaming a
//     file copies it up first; the old name gets a whiteout if the lower layer has it.
//   - Inode numbers: a file that exists in the lower layer keeps the lower inode number
//     across copy-up; a file that exists only in the upper layer gets its tmpfs number with
//     bit 62 set, so that the two ranges cannot collide. st_dev is the overlay's own.
//
// Whiteouts and the opaque flag are kept in side tables keyed by the upper directory (the
// upper layer is in memory and private to the overlay, so it needs no on-disk encoding such
// as Linux's 0/0 character devices and trusted.overlay.* xattrs). The upper tmpfs therefore
// never shows whiteouts, and rmdir of a merged directory that holds only whiteouts works.
//
// # Locks
//
// Filesystem.copyMu serialises copy-ups and renames (both move or create upper entries
// that other nodes' parent links point at); it is held across the data copy. Filesystem.mu
// guards every node's upper inode, parent and name, and the whiteout and opaque tables; it
// is never held across a call into the lower layer (which may be a gofer round trip).
// Order: VFS locks (package vfs), then copyMu, then mu, then the layers' own locks.
package overlay

import (
	"runtime"
	"sync"
	"time"
	"weak"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/pipe"
	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "overlay"

// overlayfsMagic is OVERLAYFS_SUPER_MAGIC.
const overlayfsMagic = 0x794c7630

// upperInoBit marks inode numbers of files that exist only in the upper layer.
const upperInoBit = 1 << 62

// copyChunk is the size of one read/write during a copy-up.
const copyChunk = 256 << 10

// Options configure an overlay; pass them as vfs.MountOptions.Private. MountOptions.Data is
// the upper tmpfs's option string (size=..., mode= is taken from the lower root).
type Options struct {
	// Lower is the root directory of the read-only lower layer. The overlay never changes
	// anything through it.
	Lower vfs.DirInode
	// MemFile, if set, holds the upper tmpfs's file data (see package tmpfs), so that
	// files in the upper layer can be mapped MAP_SHARED.
	MemFile *memfile.File
}

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

// NewFilesystem implements vfs.FilesystemType.
func (fsType) NewFilesystem(_ *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	o, ok := opts.Private.(Options)
	if !ok || o.Lower == nil {
		return nil, nil, unix.EINVAL
	}
	fs, root, err := newOverlay(o.Lower, opts.Data, o.MemFile)
	if err != nil {
		return nil, nil, err
	}
	return fs, root, nil
}

// Filesystem is an overlay instance.
type Filesystem struct {
	upper *tmpfs.Filesystem
	root  *Dir

	// copyMu serialises copy-ups and renames.
	copyMu sync.Mutex

	mu sync.Mutex
	// whiteouts maps an upper directory to the lower names it hides. Guarded by mu.
	whiteouts map[vfs.Inode]map[string]struct{}
	// opaque holds the upper directories that hide the lower layer. Guarded by mu.
	opaque map[vfs.Inode]bool
	// fifos holds the pipe of each FIFO open through the overlay, keyed by the file's lock
	// key (node.LockKey), so that both ends meet whichever layer the file is in when each
	// opens (a copy-up in between does not split them), as Linux keeps a FIFO's pipe in the
	// overlay inode. The references are weak: a pipe lives while a description of it is
	// open (as Linux frees a FIFO's pipe at the last close), and its cleanup drops the
	// entry. Guarded by mu.
	fifos map[any]weak.Pointer[pipe.Pipe]
}

var _ vfs.FilesystemImpl = (*Filesystem)(nil)

// New makes an overlay over lower with a fresh upper tmpfs (upperData is its option string).
func New(lower vfs.DirInode, upperData string) (*Filesystem, *Dir, error) {
	return newOverlay(lower, upperData, nil)
}

// newOverlay is New with the upper tmpfs's memory file (nil: Go memory).
func newOverlay(lower vfs.DirInode, upperData string, mf *memfile.File) (*Filesystem, *Dir, error) {
	lst, err := lower.Stat()
	if err != nil {
		return nil, nil, err
	}
	upperOpts := vfs.MountOptions{Data: upperData, Creds: vfs.CredsFor(lst.UID, lst.GID, nil)}
	if mf != nil {
		upperOpts.Private = mf
	}
	upper, uroot, err := tmpfs.New(upperOpts)
	if err != nil {
		return nil, nil, err
	}
	// The root's attributes are the lower root's.
	if err := uroot.SetStat(&vfs.SetStat{Mask: vfs.SetMode | vfs.SetAtime | vfs.SetMtime,
		Mode: lst.Mode & 07777, Atime: lst.Atime, Mtime: lst.Mtime}); err != nil {
		return nil, nil, err
	}
	fs := &Filesystem{upper: upper, whiteouts: make(map[vfs.Inode]map[string]struct{}), opaque: make(map[vfs.Inode]bool)}
	fs.root = &Dir{node: node{fs: fs, lower: lower, upper: uroot, ino: lst.Ino}}
	return fs, fs.root, nil
}

// StatFS implements vfs.FilesystemImpl: the upper layer's space, as Linux reports.
func (fs *Filesystem) StatFS() (unix.Statfs_t, error) {
	st, err := fs.upper.StatFS()
	st.Type = overlayfsMagic
	return st, err
}

// Sync implements vfs.FilesystemImpl.
func (fs *Filesystem) Sync() error { return nil }

// EvictsDentries implements vfs.EvictableFilesystem: an overlay node holds its lower
// layer's inode (a gofer handle); an evicted name is looked up again in both layers, and
// copy-up state, whiteouts and opaque marks live in the upper layer, not in the nodes.
func (fs *Filesystem) EvictsDentries() {}

// node is what every overlay file has.
type node struct {
	fs *Filesystem
	// lower is the file in the lower layer, nil if it exists only in the upper one. Fixed.
	lower vfs.Inode
	// ino is the inode number shown. Fixed.
	ino uint64

	// upper is the file in the upper layer, nil until copy-up. Guarded by fs.mu.
	upper vfs.Inode
	// parent and name locate the file for copy-up (nil parent: the root). Guarded by fs.mu.
	parent *Dir
	name   string
}

// nodeOf returns the overlay node of an inode of this package.
func nodeOf(ino vfs.Inode) *node {
	switch x := ino.(type) {
	case *Dir:
		return &x.node
	case *File:
		return &x.node
	case *Symlink:
		return &x.node
	}
	return nil
}

func (n *node) upperInode() vfs.Inode {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	return n.upper
}

// cur returns the layer's inode that is the file now: the upper one once it exists.
func (n *node) cur() vfs.Inode {
	if u := n.upperInode(); u != nil {
		return u
	}
	return n.lower
}

// Stat implements vfs.Inode.
func (n *node) Stat() (vfs.Stat, error) {
	st, err := n.cur().Stat()
	st.Ino = n.ino
	return st, err
}

// SetStat implements vfs.Inode: the file is copied up first.
func (n *node) SetStat(s *vfs.SetStat) error {
	if err := n.fs.copyUp(n); err != nil {
		return err
	}
	return n.upperInode().SetStat(s)
}

// LockKey implements vfs.LockKeyer: a file's nodes come and go with its dentries (a name
// evicted from the cache is looked up again into a new node), but its lower inode, or for
// an upper-only file its upper inode, stays the same.
func (n *node) LockKey() any {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	return n.lockKeyLocked()
}

// lockKeyLocked is LockKey. Preconditions: fs.mu is held.
func (n *node) lockKeyLocked() any {
	if n.lower != nil {
		return n.lower
	}
	return n.upper
}

// newNode makes the node for a child found in (or created in) parent. At least one of
// upper and lower is set.
func (fs *Filesystem) newNode(parent *Dir, name string, upper, lower vfs.Inode) (vfs.Inode, error) {
	src := lower
	if src == nil {
		src = upper
	}
	st, err := src.Stat()
	if err != nil {
		return nil, err
	}
	ino := st.Ino
	if lower == nil {
		ino |= upperInoBit
	}
	n := node{fs: fs, lower: lower, upper: upper, parent: parent, name: name, ino: ino}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return &Dir{node: n}, nil
	case unix.S_IFLNK:
		return &Symlink{node: n}, nil
	default:
		return &File{node: n}, nil
	}
}

// copyUp makes sure n has an upper file (see copyUpLocked).
func (fs *Filesystem) copyUp(n *node) error {
	if n.upperInode() != nil {
		return nil
	}
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	return fs.copyUpLocked(n)
}

// copyUpLocked copies n, and its parents first, to the upper layer: type, data, owner,
// mode and times.
//
// Preconditions: fs.copyMu is held.
func (fs *Filesystem) copyUpLocked(n *node) error {
	fs.mu.Lock()
	up, parent, name := n.upper, n.parent, n.name
	fs.mu.Unlock()
	if up != nil {
		return nil
	}
	if parent == nil || n.lower == nil {
		return unix.EIO // the root and upper-only files always have an upper
	}
	if err := fs.copyUpLocked(&parent.node); err != nil {
		return err
	}
	pup := parent.upperInode().(vfs.DirInode)
	st, err := n.lower.Stat()
	if err != nil {
		return err
	}
	a := vfs.CreateArgs{Mode: st.Mode, UID: st.UID, GID: st.GID, Rdev: st.Rdev}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		sl, ok := n.lower.(vfs.SymlinkInode)
		if !ok {
			return unix.EIO
		}
		if a.Target, err = sl.Readlink(); err != nil {
			return err
		}
	}
	// Copy-up leaves the parent's times alone, as Linux's does.
	pst, perr := pup.Stat()
	child, err := pup.Mknod(name, a)
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		if err := copyData(n.lower, child, int64(st.Size)); err != nil {
			pup.Unlink(name, child)
			return err
		}
	}
	if err := copyXattrs(n.lower, child); err != nil {
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			pup.Rmdir(name, child)
		} else {
			pup.Unlink(name, child)
		}
		return err
	}
	// Mknod applied the mode (set-id bits included) and owner; the times remain.
	if err := child.SetStat(&vfs.SetStat{Mask: vfs.SetAtime | vfs.SetMtime, Atime: st.Atime, Mtime: st.Mtime}); err != nil {
		return err
	}
	if perr == nil {
		pup.SetStat(&vfs.SetStat{Mask: vfs.SetMtime | vfs.SetAtime, Atime: pst.Atime, Mtime: pst.Mtime})
	}
	fs.mu.Lock()
	n.upper = child
	fs.mu.Unlock()
	return nil
}

// copyData copies size bytes of from (a lower regular file) to to (a new upper one).
func copyData(from, to vfs.Inode, size int64) error {
	if size == 0 {
		return nil
	}
	r, err := from.Open(unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer r.Release()
	w, err := to.Open(unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer w.Release()
	buf := make([]byte, min(size, copyChunk))
	var off int64
	for {
		n, err := r.Read(nil, buf, off)
		if n > 0 {
			if _, _, werr := w.Write(nil, buf[:n], off, false); werr != nil {
				return werr
			}
			off += int64(n)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Dir is a directory: upper only, lower only (until copy-up) or merged.
type Dir struct {
	node
}

var _ vfs.DirInode = (*Dir)(nil)

// Open implements vfs.Inode (the VFS opens directories itself).
func (d *Dir) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// view returns what lookups in d consult: the upper directory (nil before copy-up), the
// lower directory (nil if none or opaque) and the whiteouts (a copy).
func (d *Dir) view() (vfs.DirInode, vfs.DirInode, map[string]struct{}) {
	fs := d.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var up vfs.DirInode
	if d.upper != nil {
		up = d.upper.(vfs.DirInode)
	}
	var low vfs.DirInode
	if d.lower != nil && (d.upper == nil || !fs.opaque[d.upper]) {
		low = d.lower.(vfs.DirInode)
	}
	var wo map[string]struct{}
	if d.upper != nil && len(fs.whiteouts[d.upper]) > 0 {
		wo = make(map[string]struct{}, len(fs.whiteouts[d.upper]))
		for k := range fs.whiteouts[d.upper] {
			wo[k] = struct{}{}
		}
	}
	return up, low, wo
}

func isDir(ino vfs.Inode) bool {
	_, ok := ino.(vfs.DirInode)
	return ok
}

// Lookup implements vfs.DirInode.
func (d *Dir) Lookup(name string) (vfs.Inode, error) {
	up, low, wo := d.view()
	var uc, lc vfs.Inode
	if up != nil {
		c, err := up.Lookup(name)
		switch {
		case err == nil:
			uc = c
		case err != unix.ENOENT:
			return nil, err
		}
	}
	if _, whited := wo[name]; !whited && low != nil && (uc == nil || (isDir(uc) && !d.fs.isOpaque(uc))) {
		c, err := low.Lookup(name)
		switch {
		case err == nil:
			lc = c
		case err != unix.ENOENT:
			return nil, err
		}
		if uc != nil && lc != nil && !isDir(lc) {
			lc = nil // an upper directory over a lower file shows only itself
		}
	}
	if uc == nil && lc == nil {
		return nil, unix.ENOENT
	}
	return d.fs.newNode(d, name, uc, lc)
}

func (fs *Filesystem) isOpaque(upperDir vfs.Inode) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.opaque[upperDir]
}

// Readdir implements vfs.DirInode.
func (d *Dir) Readdir() ([]vfs.Dirent, error) {
	up, low, wo := d.view()
	var lower map[string]vfs.Dirent
	var lents []vfs.Dirent
	if low != nil {
		var err error
		if lents, err = low.Readdir(); err != nil {
			return nil, err
		}
		lower = make(map[string]vfs.Dirent, len(lents))
		for _, e := range lents {
			lower[e.Name] = e
		}
	}
	var out []vfs.Dirent
	seen := map[string]bool{}
	if up != nil {
		uents, err := up.Readdir()
		if err != nil {
			return nil, err
		}
		for _, e := range uents {
			seen[e.Name] = true
			if l, ok := lower[e.Name]; ok && l.Type == unix.DT_DIR && e.Type == unix.DT_DIR {
				if c, err := up.Lookup(e.Name); err == nil && !d.fs.isOpaque(c) {
					e.Ino = l.Ino // a merged directory shows the lower inode number
					out = append(out, e)
					continue
				}
			}
			e.Ino |= upperInoBit
			out = append(out, e)
		}
	}
	for _, e := range lents {
		if _, whited := wo[e.Name]; whited || seen[e.Name] {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// lowerHas reports whether the lower layer shows name in d (d not opaque, no whiteout
// considered): removing or moving away an upper name then needs a whiteout.
func (d *Dir) lowerHas(name string) bool {
	_, low, _ := d.view()
	if low == nil {
		return false
	}
	_, err := low.Lookup(name)
	return err == nil
}

// setWhiteout records (or clears) a whiteout for name in d's upper directory.
func (d *Dir) setWhiteout(name string, on bool) {
	fs := d.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	wo := fs.whiteouts[d.upper]
	if on {
		if wo == nil {
			wo = make(map[string]struct{})
			fs.whiteouts[d.upper] = wo
		}
		wo[name] = struct{}{}
	} else if wo != nil {
		delete(wo, name)
	}
}

func (d *Dir) whitedOut(name string) bool {
	fs := d.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, ok := fs.whiteouts[d.upper][name]
	return ok
}

// Mknod implements vfs.DirInode.
func (d *Dir) Mknod(name string, a vfs.CreateArgs) (vfs.Inode, error) {
	if err := d.fs.copyUp(&d.node); err != nil {
		return nil, err
	}
	up := d.upperInode().(vfs.DirInode)
	wasWhiteout := d.whitedOut(name)
	c, err := up.Mknod(name, a)
	if err != nil {
		return nil, err
	}
	if wasWhiteout {
		d.setWhiteout(name, false)
		if a.Mode&unix.S_IFMT == unix.S_IFDIR {
			d.fs.mu.Lock()
			d.fs.opaque[c] = true
			d.fs.mu.Unlock()
		}
	}
	return d.fs.newNode(d, name, c, nil)
}

// Link implements vfs.DirInode: the target is copied up and linked in the upper layer.
func (d *Dir) Link(name string, target vfs.Inode) error {
	tn := nodeOf(target)
	if tn == nil || tn.fs != d.fs {
		return unix.EXDEV
	}
	if err := d.fs.copyUp(&d.node); err != nil {
		return err
	}
	if err := d.fs.copyUp(tn); err != nil {
		return err
	}
	if err := d.upperInode().(vfs.DirInode).Link(name, tn.upperInode()); err != nil {
		return err
	}
	d.setWhiteout(name, false)
	return nil
}

// Unlink implements vfs.DirInode.
func (d *Dir) Unlink(name string, child vfs.Inode) error {
	return d.remove(name, child, false)
}

// Rmdir implements vfs.DirInode: the merged view must be empty.
func (d *Dir) Rmdir(name string, child vfs.Inode) error {
	cd, ok := child.(*Dir)
	if !ok {
		return unix.ENOTDIR
	}
	ents, err := cd.Readdir()
	if err != nil {
		return err
	}
	if len(ents) != 0 {
		return unix.ENOTEMPTY
	}
	return d.remove(name, child, true)
}

func (d *Dir) remove(name string, child vfs.Inode, dir bool) error {
	cn := nodeOf(child)
	if cn == nil {
		return unix.ENOENT
	}
	if err := d.fs.copyUp(&d.node); err != nil {
		return err
	}
	up := d.upperInode().(vfs.DirInode)
	if cu := cn.upperInode(); cu != nil {
		var err error
		if dir {
			err = up.Rmdir(name, cu)
		} else {
			err = up.Unlink(name, cu)
		}
		if err != nil {
			return err
		}
		if dir {
			d.fs.forget(cu)
		}
	}
	if cn.lower != nil || d.lowerHas(name) {
		d.setWhiteout(name, true)
		if cn.upperInode() == nil {
			// Nothing changed in the upper directory: its times change as Linux's would.
			up.SetStat(&vfs.SetStat{Mask: vfs.SetMtime, Mtime: time.Now()})
		}
	}
	return nil
}

// forget drops the side tables of a removed upper directory.
func (fs *Filesystem) forget(upperDir vfs.Inode) {
	fs.mu.Lock()
	delete(fs.whiteouts, upperDir)
	delete(fs.opaque, upperDir)
	fs.mu.Unlock()
}

// Rename implements vfs.DirInode (see the package doc for the rules).
func (d *Dir) Rename(oldName string, child vfs.Inode, newDir vfs.DirInode, newName string, replaced vfs.Inode, flags uint32) error {
	fs := d.fs
	nd, ok := newDir.(*Dir)
	if !ok || nd.fs != fs {
		return unix.EXDEV
	}
	cn := nodeOf(child)
	if cn == nil {
		return unix.ENOENT
	}
	exchange := flags&unix.RENAME_EXCHANGE != 0
	if isDir(child) && cn.lower != nil {
		return unix.EXDEV
	}
	var rn *node
	if replaced != nil {
		if rn = nodeOf(replaced); rn == nil {
			return unix.ENOENT
		}
		if exchange && isDir(replaced) && rn.lower != nil {
			return unix.EXDEV
		}
		if !exchange {
			if rd, ok := replaced.(*Dir); ok {
				ents, err := rd.Readdir()
				if err != nil {
					return err
				}
				if len(ents) != 0 {
					return unix.ENOTEMPTY
				}
			}
		}
	}
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	for _, n := range []*node{&d.node, &nd.node, cn} {
		if err := fs.copyUpLocked(n); err != nil {
			return err
		}
	}
	var ru vfs.Inode
	if rn != nil {
		if exchange {
			if err := fs.copyUpLocked(rn); err != nil {
				return err
			}
		}
		ru = rn.upperInode()
	}
	oup, nup := d.upperInode().(vfs.DirInode), nd.upperInode().(vfs.DirInode)
	cu := cn.upperInode()
	if err := oup.Rename(oldName, cu, nup, newName, ru, flags); err != nil {
		return err
	}
	// A directory moved to where the lower layer has the name must not merge with it.
	markOpaque := func(dir *Dir, name string, up vfs.Inode) {
		if isDir(up) && dir.lowerHas(name) {
			fs.mu.Lock()
			fs.opaque[up] = true
			fs.mu.Unlock()
		}
	}
	nd.setWhiteout(newName, false)
	markOpaque(nd, newName, cu)
	if exchange {
		markOpaque(d, oldName, ru)
	} else {
		if ru != nil && isDir(ru) {
			fs.forget(ru)
		}
		if d.lowerHas(oldName) {
			d.setWhiteout(oldName, true)
		}
	}
	fs.mu.Lock()
	cn.parent, cn.name = nd, newName
	if exchange {
		rn.parent, rn.name = d, oldName
	}
	fs.mu.Unlock()
	return nil
}

// Symlink is a symbolic link.
type Symlink struct {
	node
}

var _ vfs.SymlinkInode = (*Symlink)(nil)

// Open implements vfs.Inode.
func (s *Symlink) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.ELOOP }

// Readlink implements vfs.SymlinkInode.
func (s *Symlink) Readlink() (string, error) {
	sl, ok := s.cur().(vfs.SymlinkInode)
	if !ok {
		return "", unix.EINVAL
	}
	return sl.Readlink()
}

// File is a regular or special file.
type File struct {
	node
}

// Open implements vfs.Inode. Opening for writing copies the file up; a read-only open of a
// lower file reads the lower file until a copy-up happens.
func (f *File) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	st, err := f.cur().Stat()
	if err != nil {
		return nil, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFIFO:
		// A FIFO opens the overlay's pipe for the file, for writing too without a copy-up.
		fs := f.fs
		fs.mu.Lock()
		if fs.fifos == nil {
			fs.fifos = make(map[any]weak.Pointer[pipe.Pipe])
		}
		key := f.lockKeyLocked()
		p := fs.fifos[key].Value()
		if p == nil {
			p = pipe.NewFifo()
			w := weak.Make(p)
			fs.fifos[key] = w
			runtime.AddCleanup(p, func(key any) {
				fs.mu.Lock()
				if fs.fifos[key] == w {
					delete(fs.fifos, key)
				}
				fs.mu.Unlock()
			}, key)
		}
		impl, err := p.Open(flags)
		fs.mu.Unlock()
		return impl, err
	default:
		// A device or socket is opened where it is, for writing too, as Linux's overlay does.
		return f.cur().Open(flags)
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY {
		if err := f.fs.copyUp(&f.node); err != nil {
			return nil, err
		}
	}
	if up := f.upperInode(); up != nil {
		return up.Open(flags)
	}
	impl, err := f.lower.Open(flags)
	if err != nil {
		return nil, err
	}
	return &lowerFD{f: f, flags: flags, impl: impl}, nil
}

// lowerFD is a lower regular file opened read-only. If the file is copied up while it is
// open, it reopens the upper copy at its next operation.
type lowerFD struct {
	f     *File
	flags uint32

	mu sync.Mutex
	// impl is the open file; onUpper says it is the upper copy. Guarded by mu.
	impl    vfs.FileDescriptionImpl
	onUpper bool
}

var (
	_ vfs.FileDescriptionImpl = (*lowerFD)(nil)
	_ vfs.HostFDProvider      = (*lowerFD)(nil)
	_ mm.MappableProvider     = (*lowerFD)(nil)
)

func (l *lowerFD) current() vfs.FileDescriptionImpl {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.onUpper {
		if up := l.f.upperInode(); up != nil {
			if impl, err := up.Open(l.flags); err == nil {
				l.impl.Release()
				l.impl, l.onUpper = impl, true
			}
		}
	}
	return l.impl
}

// Read implements vfs.FileDescriptionImpl.
func (l *lowerFD) Read(t *kernel.Task, dst []byte, off int64) (int, error) {
	return l.current().Read(t, dst, off)
}

// Write implements vfs.FileDescriptionImpl (the description is read-only: the VFS never
// calls it).
func (l *lowerFD) Write(*kernel.Task, []byte, int64, bool) (int, int64, error) {
	return 0, 0, unix.EBADF
}

// Seek implements vfs.FileDescriptionImpl.
func (l *lowerFD) Seek(t *kernel.Task, cur, off int64, whence int) (int64, error) {
	return l.current().Seek(t, cur, off, whence)
}

// Ioctl implements vfs.FileDescriptionImpl.
func (l *lowerFD) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	return l.current().Ioctl(t, cmd, arg)
}

// Allocate implements vfs.FileDescriptionImpl.
func (l *lowerFD) Allocate(int64, int64) error { return unix.EBADF }

// Sync implements vfs.FileDescriptionImpl.
func (l *lowerFD) Sync() error { return l.current().Sync() }

// Release implements vfs.FileDescriptionImpl.
func (l *lowerFD) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.impl.Release()
}

// Mappable implements mm.MappableProvider: a shared mapping of a lower file maps the lower
// file's pages (a gofer file's page cache). As with Linux's overlayfs, a mapping made
// before a copy-up keeps showing the lower file.
func (l *lowerFD) Mappable() mm.Mappable {
	if p, ok := l.current().(mm.MappableProvider); ok {
		return p.Mappable()
	}
	return nil
}

// HostFD implements vfs.HostFDProvider: the lower file's host descriptor, until a copy-up
// moves the description to the in-memory copy.
func (l *lowerFD) HostFD() (int, bool) {
	if p, ok := l.current().(vfs.HostFDProvider); ok {
		return p.HostFD()
	}
	return -1, false
}
