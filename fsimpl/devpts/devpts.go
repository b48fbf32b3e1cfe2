// Package devpts is the pseudo-terminal filesystem (devpts, pts(4)): its ptmx node opens
// a new pseudo-terminal — a sentry/tty Terminal, numbered from 0 — and returns its master
// side; the slave side appears as /dev/pts/N (character device 136:N) until the master is
// closed. Slaves start locked (TIOCSPTLCK/unlockpt(3) unlocks them); TIOCGPTN gives the
// number (ptsname(3)) and TIOCGPTPEER opens the slave from the master.
//
// Each mount is a separate instance (Linux's newinstance, the only behaviour since 4.7)
// with its own numbering. Mount options: mode= (slaves, default 0600), ptmxmode= (the ptmx
// node, default 0000), uid= and gid= (slave owners; default the opener's), max= (number of
// ptys). The filesystem needs the kernel (vfs.MountOptions.Private) for its terminals'
// signals.
//
// Locking: filesystem.mu guards the pty table; it is taken before Terminal.mu (a terminal
// never calls back into its filesystem).
package devpts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "devpts"

// Device numbers: Unix98 pty slaves are major 136; ptmx is 5:2.
const (
	slaveMajor = 136
	ptmxMajor  = 5
	ptmxMinor  = 2
	// rootIno and ptmxIno are the fixed inode numbers; slave N is N+3 as in Linux.
	rootIno = 1
	ptmxIno = 2
)

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

// options are a mount's options.
type options struct {
	mode, ptmxMode uint32
	uid, gid       uint32
	setUID, setGID bool
	max            int
}

func parseOptions(data string) (options, error) {
	o := options{mode: 0600, ptmxMode: 0, max: 1 << 20}
	for _, kv := range strings.Split(data, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		num := func(base int) (uint64, error) {
			n, err := strconv.ParseUint(v, base, 32)
			if err != nil {
				return 0, fmt.Errorf("devpts: bad %s=%q: %w", k, v, unix.EINVAL)
			}
			return n, nil
		}
		var err error
		var n uint64
		switch k {
		case "mode":
			n, err = num(8)
			o.mode = uint32(n) & 0777
		case "ptmxmode":
			n, err = num(8)
			o.ptmxMode = uint32(n) & 0777
		case "uid":
			n, err = num(10)
			o.uid, o.setUID = uint32(n), true
		case "gid":
			n, err = num(10)
			o.gid, o.setGID = uint32(n), true
		case "max":
			n, err = num(10)
			o.max = int(n)
		case "newinstance":
			// Every mount is a new instance.
		default:
			// Unknown options are ignored, as Linux's devpts does.
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

// NewFilesystem implements vfs.FilesystemType.
func (fsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	k, ok := opts.Private.(*kernel.Kernel)
	if !ok || k == nil {
		return nil, nil, fmt.Errorf("devpts: no kernel: %w", unix.EINVAL)
	}
	o, err := parseOptions(opts.Data)
	if err != nil {
		return nil, nil, err
	}
	fs := &filesystem{k: k, opts: o, ptys: make(map[uint32]*pty), ctime: time.Now()}
	if opts.Creds != nil {
		fs.rootUID, fs.rootGID = opts.Creds.UID, opts.Creds.GID
	}
	fs.root = &rootDir{fs: fs}
	fs.ptmx = &ptmxInode{fs: fs}
	return fs, fs.root, nil
}

// filesystem is one devpts instance.
type filesystem struct {
	k                *kernel.Kernel
	opts             options
	ctime            time.Time
	rootUID, rootGID uint32
	root             *rootDir
	ptmx             *ptmxInode

	mu sync.Mutex
	// ptys are the pseudo-terminals whose master is open, by number. Guarded by mu.
	ptys map[uint32]*pty
}

var _ vfs.FilesystemImpl = (*filesystem)(nil)

// StatFS implements vfs.FilesystemImpl.
func (fs *filesystem) StatFS() (unix.Statfs_t, error) {
	return unix.Statfs_t{Type: 0x1cd1, Bsize: 4096, Namelen: 255, Frsize: 4096}, nil // DEVPTS_SUPER_MAGIC
}

// Sync implements vfs.FilesystemImpl.
func (fs *filesystem) Sync() error { return nil }

// newPTY allocates the lowest free number and a terminal for it, owned by uid and gid
// unless the mount says otherwise.
func (fs *filesystem) newPTY() (*pty, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.ptys) >= fs.opts.max {
		return nil, unix.ENOSPC
	}
	var n uint32
	for ; ; n++ {
		if _, used := fs.ptys[n]; !used {
			break
		}
	}
	p := &pty{fs: fs, tm: tty.New(fs.k, n), mode: fs.opts.mode, ctime: time.Now(), locked: true}
	p.uid, p.gid = fs.opts.uid, fs.opts.gid
	fs.ptys[n] = p
	return p, nil
}

// removePTY forgets p once its master has closed: /dev/pts/N disappears.
func (fs *filesystem) removePTY(p *pty) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.ptys[p.tm.Index] == p {
		delete(fs.ptys, p.tm.Index)
	}
}

func (fs *filesystem) lookupPTY(n uint32) *pty {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.ptys[n]
}

// rootDir is the filesystem's directory: ptmx and one entry per pty.
type rootDir struct {
	fs *filesystem
}

var (
	_ vfs.DirInode    = (*rootDir)(nil)
	_ vfs.Revalidator = (*rootDir)(nil)
)

// Stat implements vfs.Inode.
func (d *rootDir) Stat() (vfs.Stat, error) {
	fs := d.fs
	return vfs.Stat{Mode: unix.S_IFDIR | 0755, Nlink: 2, UID: fs.rootUID, GID: fs.rootGID, Ino: rootIno,
		Blksize: 1024, Atime: fs.ctime, Mtime: fs.ctime, Ctime: fs.ctime}, nil
}

// SetStat implements vfs.Inode.
func (d *rootDir) SetStat(*vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode (the VFS opens directories itself).
func (d *rootDir) Open(uint32) (vfs.FileDescriptionImpl, error) { return nil, unix.EISDIR }

// Lookup implements vfs.DirInode.
func (d *rootDir) Lookup(name string) (vfs.Inode, error) {
	if name == "ptmx" {
		return d.fs.ptmx, nil
	}
	n, err := strconv.ParseUint(name, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != name {
		return nil, unix.ENOENT
	}
	p := d.fs.lookupPTY(uint32(n))
	if p == nil {
		return nil, unix.ENOENT
	}
	return p, nil
}

// Revalidate implements vfs.Revalidator: a slave's entry goes with its pty.
func (d *rootDir) Revalidate(name string, child vfs.Inode) bool {
	if p, ok := child.(*pty); ok {
		return d.fs.lookupPTY(p.tm.Index) == p
	}
	return true
}

// Readdir implements vfs.DirInode.
func (d *rootDir) Readdir() ([]vfs.Dirent, error) {
	fs := d.fs
	fs.mu.Lock()
	nums := make([]uint32, 0, len(fs.ptys))
	for n := range fs.ptys {
		nums = append(nums, n)
	}
	fs.mu.Unlock()
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	out := []vfs.Dirent{{Name: "ptmx", Ino: ptmxIno, Type: unix.DT_CHR}}
	for _, n := range nums {
		out = append(out, vfs.Dirent{Name: strconv.FormatUint(uint64(n), 10), Ino: uint64(n) + 3, Type: unix.DT_CHR})
	}
	return out, nil
}

// Mknod implements vfs.DirInode: devpts holds only what it makes itself.
func (d *rootDir) Mknod(string, vfs.CreateArgs) (vfs.Inode, error) { return nil, unix.EPERM }

// Link implements vfs.DirInode.
func (d *rootDir) Link(string, vfs.Inode) error { return unix.EPERM }

// Unlink implements vfs.DirInode.
func (d *rootDir) Unlink(string, vfs.Inode) error { return unix.EPERM }

// Rmdir implements vfs.DirInode.
func (d *rootDir) Rmdir(string, vfs.Inode) error { return unix.EPERM }

// Rename implements vfs.DirInode.
func (d *rootDir) Rename(string, vfs.Inode, vfs.DirInode, string, vfs.Inode, uint32) error {
	return unix.EPERM
}

// ptmxInode is the ptmx node: each open makes a pseudo-terminal.
type ptmxInode struct {
	fs *filesystem

	mu sync.Mutex
	// mode, uid and gid can be changed with chmod/chown. Guarded by mu.
	mode     uint32
	uid, gid uint32
	changed  bool
}

// Stat implements vfs.Inode.
func (p *ptmxInode) Stat() (vfs.Stat, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mode := p.fs.opts.ptmxMode
	if p.changed {
		mode = p.mode
	}
	fs := p.fs
	return vfs.Stat{Mode: unix.S_IFCHR | mode, Nlink: 1, UID: p.uid, GID: p.gid, Ino: ptmxIno, Blksize: 1024,
		Rdev: unix.Mkdev(ptmxMajor, ptmxMinor), Atime: fs.ctime, Mtime: fs.ctime, Ctime: fs.ctime}, nil
}

// SetStat implements vfs.Inode: the mode and owner may change.
func (p *ptmxInode) SetStat(s *vfs.SetStat) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.changed {
		p.mode, p.changed = p.fs.opts.ptmxMode, true
	}
	s.ApplyModeOwner(&p.mode, &p.uid, &p.gid)
	return nil
}

// Open implements vfs.Inode: a new pseudo-terminal's master.
func (p *ptmxInode) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	pt, err := p.fs.newPTY()
	if err != nil {
		return nil, err
	}
	return &masterFile{pty: pt}, nil
}

// pty is a pseudo-terminal, and the inode of its slave /dev/pts/N.
type pty struct {
	fs    *filesystem
	tm    *tty.Terminal
	ctime time.Time

	mu sync.Mutex
	// locked is set until TIOCSPTLCK unlocks the slave: opens fail with EIO. Guarded by mu.
	locked bool
	// mode, uid and gid are the slave's; uid and gid are set from the master's opener
	// unless the mount fixed them. Guarded by mu.
	mode     uint32
	uid, gid uint32
}

var _ vfs.Inode = (*pty)(nil)

// Stat implements vfs.Inode.
func (p *pty) Stat() (vfs.Stat, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return vfs.Stat{Mode: unix.S_IFCHR | p.mode, Nlink: 1, UID: p.uid, GID: p.gid, Ino: uint64(p.tm.Index) + 3,
		Blksize: 1024, Rdev: unix.Mkdev(slaveMajor, p.tm.Index), Atime: p.ctime, Mtime: p.ctime, Ctime: p.ctime}, nil
}

// SetStat implements vfs.Inode (grantpt's chmod and chown, for instance).
func (p *pty) SetStat(s *vfs.SetStat) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.ApplyModeOwner(&p.mode, &p.uid, &p.gid)
	return nil
}

// Open implements vfs.Inode: the slave side, unless it is locked or its master closed.
func (p *pty) Open(flags uint32) (vfs.FileDescriptionImpl, error) {
	p.mu.Lock()
	locked := p.locked
	p.mu.Unlock()
	if locked {
		return nil, unix.EIO
	}
	return tty.NewSlaveFile(p.tm, flags)
}
