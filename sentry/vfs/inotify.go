package vfs

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// inotify(7): watches on inodes and the events the VFS's own operations generate on them.
// Changes made outside the sandbox to files it sees through the gofer are not reported.
//
// A watch belongs to an Inotify instance (the file inotify_init returns) and to the watched
// inode's inotifyTarget. Operations report events through the notify* hooks (inotify_hooks
// in ops.go and file.go call them); each hook returns at once when no watch exists anywhere
// (inotifyWatchCount), so that the VFS pays one atomic load per operation otherwise.
//
// Locks: inotifyReg.mu (every target and watch) → Inotify.mu (an instance's event queue).
// Both are below every VFS lock: hooks may run with a Dentry.mu or renameMu held, except
// notifyChild, which reads the dentry's parent under renameMu and so must be called with no
// VFS lock held. Nothing here calls back into the VFS or into filesystems, except
// Inode.Stat for the link count of a removed inode, before taking inotifyReg.mu.

// Inotify event and flag bits.
const (
	InAccess       = 0x1
	InModify       = 0x2
	InAttrib       = 0x4
	InCloseWrite   = 0x8
	InCloseNowrite = 0x10
	InOpen         = 0x20
	InMovedFrom    = 0x40
	InMovedTo      = 0x80
	InCreate       = 0x100
	InDelete       = 0x200
	InDeleteSelf   = 0x400
	InMoveSelf     = 0x800
	InAllEvents    = 0xfff
	InUnmount      = 0x2000
	InQOverflow    = 0x4000
	InIgnored      = 0x8000
	InOnlyDir      = 0x01000000
	InDontFollow   = 0x02000000
	InExclUnlink   = 0x04000000
	InMaskCreate   = 0x10000000
	InMaskAdd      = 0x20000000
	InIsDir        = 0x40000000
	InOneshot      = 0x80000000

	// InAllBits are the bits inotify_add_watch accepts (ALL_INOTIFY_BITS).
	InAllBits = InAllEvents | InUnmount | InQOverflow | InIgnored | InOnlyDir | InDontFollow |
		InExclUnlink | InMaskCreate | InMaskAdd | InIsDir | InOneshot
	// inWatchBits are what a watch keeps of inotify_add_watch's mask.
	inWatchBits = InAllEvents | InExclUnlink | InOneshot
)

// inotifyMaxQueued is the queue length past which events are replaced by one IN_Q_OVERFLOW
// (Linux's default /proc/sys/fs/inotify/max_queued_events).
const inotifyMaxQueued = 16384

// fionread is the FIONREAD ioctl.
const fionread = 0x541b

// inotifyEventHeader is sizeof(struct inotify_event).
const inotifyEventHeader = 16

var (
	// inotifyWatchCount is the number of watches in the sandbox: hooks do nothing at 0.
	inotifyWatchCount atomic.Int32
	// inotifyCookies numbers rename pairs (IN_MOVED_FROM/IN_MOVED_TO).
	inotifyCookies atomic.Uint32

	inotifyReg struct {
		mu sync.Mutex
		// targets are the watched inodes; seq numbers them. Guarded by mu.
		targets map[Inode]*inotifyTarget
		seq     uint64
	}
)

// inotifyTarget is a watched inode.
type inotifyTarget struct {
	ino Inode
	// fs is the filesystem the inode was watched through (for IN_UNMOUNT).
	fs *Filesystem
	// isDir: IN_UNMOUNT carries IN_ISDIR for a directory.
	isDir bool
	// seq orders targets by creation: IN_UNMOUNT goes newest first, as Linux walks a
	// superblock's inodes.
	seq uint64
	// watches are the inode's watches, one per instance. Guarded by inotifyReg.mu.
	watches []*inotifyWatch
}

// inotifyWatch is one watch descriptor.
type inotifyWatch struct {
	in     *Inotify
	target *inotifyTarget
	wd     int32
	// mask is the events and IN_ONESHOT/IN_EXCL_UNLINK. Guarded by inotifyReg.mu.
	mask uint32
}

// inotifyEvent is a queued event.
type inotifyEvent struct {
	wd     int32
	mask   uint32
	cookie uint32
	name   string
}

// size is the event's size in a read buffer: the header and the name NUL-padded to a
// multiple of the header's size.
func (e *inotifyEvent) size() int {
	if e.name == "" {
		return inotifyEventHeader
	}
	return inotifyEventHeader + (len(e.name)+1+inotifyEventHeader-1)&^(inotifyEventHeader-1)
}

// Inotify is an inotify instance: a kernel.File whose reads return events.
type Inotify struct {
	kernel.FileBase
	queue waiter.Queue

	// watches maps watch descriptors to watches; nextWD is the next descriptor to try.
	// Guarded by inotifyReg.mu.
	watches map[int32]*inotifyWatch
	nextWD  int32

	mu sync.Mutex
	// events is the queue; bytes its size as read would return it (FIONREAD); overflowed
	// is set while an IN_Q_OVERFLOW event is queued. Guarded by mu.
	events     []inotifyEvent
	bytes      int
	overflowed bool
}

var _ kernel.File = (*Inotify)(nil)

// NewInotify returns an instance with the status flags (O_NONBLOCK).
func NewInotify(flags uint32) *Inotify {
	in := &Inotify{watches: make(map[int32]*inotifyWatch), nextWD: 1}
	in.InitFlags(unix.O_RDONLY | flags&unix.O_NONBLOCK)
	return in
}

// hashable reports whether ino can be a map key (every filesystem's inodes are pointers;
// this keeps a future value type from panicking a lookup).
func hashable(ino Inode) bool {
	return ino != nil && reflect.TypeOf(ino).Comparable()
}

// AddWatch is inotify_add_watch(2) once the path is resolved to d: it returns the watch
// descriptor, the existing one if the instance watches the inode already (its mask replaced,
// or extended with IN_MASK_ADD; EEXIST with IN_MASK_CREATE).
func (in *Inotify) AddWatch(d *Dentry, mask uint32) (int32, error) {
	ino := d.inode
	if !hashable(ino) {
		return 0, unix.EINVAL
	}
	inotifyReg.mu.Lock()
	defer inotifyReg.mu.Unlock()
	tg := inotifyReg.targets[ino]
	if tg != nil {
		for _, w := range tg.watches {
			if w.in != in {
				continue
			}
			if mask&InMaskCreate != 0 {
				return 0, unix.EEXIST
			}
			if mask&InMaskAdd != 0 {
				w.mask |= mask & inWatchBits
			} else {
				w.mask = mask & inWatchBits
			}
			return w.wd, nil
		}
	} else {
		if inotifyReg.targets == nil {
			inotifyReg.targets = make(map[Inode]*inotifyTarget)
		}
		inotifyReg.seq++
		tg = &inotifyTarget{ino: ino, fs: d.fs, isDir: d.IsDir(), seq: inotifyReg.seq}
		inotifyReg.targets[ino] = tg
	}
	// Descriptors count up from 1 and are not reused until they wrap (idr_alloc_cyclic).
	wd := in.nextWD
	for in.watches[wd] != nil || wd <= 0 {
		if wd++; wd <= 0 {
			wd = 1
		}
	}
	in.nextWD = wd + 1
	w := &inotifyWatch{in: in, target: tg, wd: wd, mask: mask & inWatchBits}
	in.watches[wd] = w
	tg.watches = append(tg.watches, w)
	inotifyWatchCount.Add(1)
	return wd, nil
}

// RmWatch is inotify_rm_watch(2): EINVAL for an unknown descriptor; IN_IGNORED is queued.
func (in *Inotify) RmWatch(wd int32) error {
	inotifyReg.mu.Lock()
	defer inotifyReg.mu.Unlock()
	w := in.watches[wd]
	if w == nil {
		return unix.EINVAL
	}
	removeWatchLocked(w, true)
	return nil
}

// removeWatchLocked removes w from its instance and inode, queueing IN_IGNORED if ignored.
//
// Preconditions: inotifyReg.mu is held.
func removeWatchLocked(w *inotifyWatch, ignored bool) {
	delete(w.in.watches, w.wd)
	tg := w.target
	for i, x := range tg.watches {
		if x == w {
			tg.watches = append(tg.watches[:i], tg.watches[i+1:]...)
			break
		}
	}
	if len(tg.watches) == 0 && inotifyReg.targets[tg.ino] == tg {
		delete(inotifyReg.targets, tg.ino)
	}
	inotifyWatchCount.Add(-1)
	if ignored {
		w.in.enqueue(inotifyEvent{wd: w.wd, mask: InIgnored})
	}
}

// enqueue adds e to the queue, merged into an identical last event (as Linux), or replaced
// by IN_Q_OVERFLOW once the queue is full, and wakes readers.
func (in *Inotify) enqueue(e inotifyEvent) {
	in.mu.Lock()
	if len(in.events) >= inotifyMaxQueued {
		if in.overflowed {
			in.mu.Unlock()
			return
		}
		in.overflowed = true
		e = inotifyEvent{wd: -1, mask: InQOverflow}
	} else if n := len(in.events); n > 0 {
		last := &in.events[n-1]
		if last.mask&InIgnored == 0 && last.mask == e.mask && last.wd == e.wd && last.name == e.name {
			in.mu.Unlock()
			return
		}
	}
	in.events = append(in.events, e)
	in.bytes += e.size()
	in.mu.Unlock()
	in.queue.Notify(waiter.EventIn)
}

// deliverLocked reports an event to tg's watches that want it. name is set for an event
// about a child of a watched directory (childDead: the child is unlinked, which
// IN_EXCL_UNLINK watches ignore) or a directory entry event.
//
// Preconditions: inotifyReg.mu is held.
func deliverLocked(tg *inotifyTarget, mask uint32, name string, cookie uint32, childDead bool) {
	for i := 0; i < len(tg.watches); i++ {
		w := tg.watches[i]
		if mask&w.mask&InAllEvents == 0 || (childDead && w.mask&InExclUnlink != 0) {
			continue
		}
		w.in.enqueue(inotifyEvent{wd: w.wd, mask: mask, cookie: cookie, name: name})
		if w.mask&InOneshot != 0 {
			removeWatchLocked(w, true)
			i--
		}
	}
}

// targetLocked returns ino's target, if watched.
//
// Preconditions: inotifyReg.mu is held.
func targetLocked(ino Inode) *inotifyTarget {
	if !hashable(ino) {
		return nil
	}
	return inotifyReg.targets[ino]
}

// notifyChild reports an event on d (access, modify, attrib, open, close): to the watches
// of its parent directory, with its name, then to its own.
//
// Preconditions: no VFS lock is held.
func notifyChild(d *Dentry, mask uint32) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	if d.IsDir() {
		mask |= InIsDir
	}
	d.fs.renameMu.RLock()
	parent, name := d.parent, d.name
	d.fs.renameMu.RUnlock()
	inotifyReg.mu.Lock()
	defer inotifyReg.mu.Unlock()
	if parent != nil {
		if tg := targetLocked(parent.inode); tg != nil {
			deliverLocked(tg, mask, name, 0, d.IsDead())
		}
	}
	if tg := targetLocked(d.inode); tg != nil {
		deliverLocked(tg, mask, "", 0, false)
	}
}

// NotifyAccess reports IN_ACCESS on an open file (getdents, sendfile...).
func NotifyAccess(fd *FileDescription) {
	if !fd.path {
		notifyChild(fd.vd.Dentry, InAccess)
	}
}

// NotifyModify reports IN_MODIFY on an open file (ftruncate, fallocate...).
func NotifyModify(fd *FileDescription) {
	if !fd.path {
		notifyChild(fd.vd.Dentry, InModify)
	}
}

// notifyDir reports a directory entry event (create, delete, moves) on dir about name.
func notifyDir(dir *Dentry, mask uint32, name string, cookie uint32, isDir bool) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	if isDir {
		mask |= InIsDir
	}
	inotifyReg.mu.Lock()
	if tg := targetLocked(dir.inode); tg != nil {
		deliverLocked(tg, mask, name, cookie, false)
	}
	inotifyReg.mu.Unlock()
}

// notifySelf reports an event to ino's own watches only (a link count change's IN_ATTRIB,
// IN_MOVE_SELF).
func notifySelf(ino Inode, mask uint32) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	inotifyReg.mu.Lock()
	if tg := targetLocked(ino); tg != nil {
		deliverLocked(tg, mask, "", 0, false)
	}
	inotifyReg.mu.Unlock()
}

// notifyRemoved reports IN_DELETE_SELF and removes the watches (IN_IGNORED) of d's inode
// once it has no links left and no open file holds d (Linux reports it when the dentry
// goes, so an open file defers it to its last close).
func notifyRemoved(d *Dentry) {
	if inotifyWatchCount.Load() == 0 || d.openFiles.Load() > 0 {
		return
	}
	if !d.IsDir() {
		st, err := d.inode.Stat()
		if err != nil || st.Nlink > 0 {
			return
		}
	}
	inotifyReg.mu.Lock()
	defer inotifyReg.mu.Unlock()
	tg := targetLocked(d.inode)
	if tg == nil {
		return
	}
	deliverLocked(tg, InDeleteSelf, "", 0, false)
	for len(tg.watches) > 0 {
		removeWatchLocked(tg.watches[0], true)
	}
}

// notifyUnmount reports IN_UNMOUNT and removes the watches (IN_IGNORED) of every inode
// watched through fs, which is no longer mounted.
func notifyUnmount(fs *Filesystem) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	inotifyReg.mu.Lock()
	defer inotifyReg.mu.Unlock()
	var tgs []*inotifyTarget
	for _, tg := range inotifyReg.targets {
		if tg.fs == fs {
			tgs = append(tgs, tg)
		}
	}
	sort.Slice(tgs, func(i, j int) bool { return tgs[i].seq > tgs[j].seq })
	for _, tg := range tgs {
		mask := uint32(InUnmount)
		if tg.isDir {
			mask |= InIsDir
		}
		for _, w := range tg.watches {
			w.in.enqueue(inotifyEvent{wd: w.wd, mask: mask})
		}
		for len(tg.watches) > 0 {
			removeWatchLocked(tg.watches[0], true)
		}
	}
}

// notifyOpened counts an open file of d and reports IN_OPEN (not for O_PATH).
func notifyOpened(fd *FileDescription) {
	fd.vd.Dentry.openFiles.Add(1)
	if !fd.path {
		notifyChild(fd.vd.Dentry, InOpen)
	}
}

// notifyClosed reports IN_CLOSE_WRITE or IN_CLOSE_NOWRITE for the last reference to fd,
// then IN_DELETE_SELF if it was the last open file of an unlinked inode.
func notifyClosed(fd *FileDescription) {
	d := fd.vd.Dentry
	if d == nil {
		return
	}
	if !fd.path {
		mask := uint32(InCloseNowrite)
		if fd.Writable() {
			mask = InCloseWrite
		}
		notifyChild(d, mask)
	}
	if d.openFiles.Add(-1) == 0 && d.IsDead() {
		notifyRemoved(d)
	}
}

// setStatEvents is the event a SetStat mask reports (fsnotify_change).
func setStatEvents(mask uint32) uint32 {
	var ev uint32
	if mask&(SetUID|SetGID|SetMode) != 0 {
		ev |= InAttrib
	}
	if mask&SetSize != 0 {
		ev |= InModify
	}
	switch mask & (SetAtime | SetMtime) {
	case SetAtime | SetMtime:
		ev |= InAttrib
	case SetAtime:
		ev |= InAccess
	case SetMtime:
		ev |= InModify
	}
	return ev
}

// Release implements kernel.File: the instance's watches go, without events.
func (in *Inotify) Release() {
	inotifyReg.mu.Lock()
	for _, w := range in.watches {
		removeWatchLocked(w, false)
	}
	inotifyReg.mu.Unlock()
}

// Read implements kernel.File: whole events only; EINVAL if the first does not fit.
func (in *Inotify) Read(t *kernel.Task, dst []byte) (int, error) {
	return t.BlockingIO(in, waiter.EventIn, in.StatusFlags()&unix.O_NONBLOCK != 0, func() (int, bool, error) {
		in.mu.Lock()
		defer in.mu.Unlock()
		if len(in.events) == 0 {
			return 0, false, nil
		}
		n := 0
		for len(in.events) > 0 {
			e := &in.events[0]
			sz := e.size()
			if sz > len(dst)-n {
				break
			}
			b := dst[n : n+sz]
			binary.LittleEndian.PutUint32(b[0:], uint32(e.wd))
			binary.LittleEndian.PutUint32(b[4:], e.mask)
			binary.LittleEndian.PutUint32(b[8:], e.cookie)
			binary.LittleEndian.PutUint32(b[12:], uint32(sz-inotifyEventHeader))
			clear(b[inotifyEventHeader:])
			copy(b[inotifyEventHeader:], e.name)
			if e.mask == InQOverflow {
				in.overflowed = false
			}
			in.bytes -= sz
			*e = inotifyEvent{}
			in.events = in.events[1:]
			n += sz
		}
		if len(in.events) == 0 {
			in.events = nil
		}
		if n == 0 {
			return 0, true, unix.EINVAL
		}
		return n, true, nil
	})
}

// Ioctl implements kernel.File: FIONREAD is the size of the queued events.
func (in *Inotify) Ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	if cmd != fionread {
		return 0, unix.ENOTTY
	}
	in.mu.Lock()
	n := in.bytes
	in.mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	if _, err := t.CopyOut(arg, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// Seek implements kernel.File: accepted and ignored (Linux's noop_llseek).
func (in *Inotify) Seek(*kernel.Task, int64, int) (int64, error) { return 0, nil }

// Readiness implements kernel.File.
func (in *Inotify) Readiness(mask waiter.EventMask) waiter.EventMask {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.events) > 0 {
		return mask & waiter.EventIn
	}
	return 0
}

// EventRegister implements kernel.File.
func (in *Inotify) EventRegister(e *waiter.Entry) { in.queue.EventRegister(e) }

// EventUnregister implements kernel.File.
func (in *Inotify) EventUnregister(e *waiter.Entry) { in.queue.EventUnregister(e) }

// Stat implements kernel.File: an anonymous inode.
func (in *Inotify) Stat(*kernel.Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: 0600, Nlink: 1, Blksize: 4096}, nil
}

// notifyUnlink reports unlink(2) or rmdir(2) of child, called name in dir: IN_ATTRIB to the
// file (its link count), IN_DELETE to dir, then IN_DELETE_SELF if nothing holds it.
//
// Preconditions: dir.mu is held.
func notifyUnlink(dir *Dentry, name string, child *Dentry) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	if !child.IsDir() {
		notifySelf(child.inode, InAttrib)
	}
	notifyRemoved(child)
	notifyDir(dir, InDelete, name, 0, child.IsDir())
}

// notifyRename reports a rename (fsnotify_move): IN_MOVED_FROM and IN_MOVED_TO with one
// cookie, IN_MOVE_SELF to the moved inode, and for a replaced target IN_ATTRIB then
// IN_DELETE_SELF; an exchange reports both moves.
//
// Preconditions: the filesystem's renameMu is held for writing.
func notifyRename(od *Dentry, oldName string, nd *Dentry, newName string, moved, target *Dentry, exchange bool) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	move := func(from *Dentry, fromName string, to *Dentry, toName string, d *Dentry) {
		cookie := inotifyCookies.Add(1)
		notifyDir(from, InMovedFrom, fromName, cookie, d.IsDir())
		notifyDir(to, InMovedTo, toName, cookie, d.IsDir())
	}
	move(od, oldName, nd, newName, moved)
	if !exchange && target != nil {
		notifySelf(target.inode, InAttrib)
	}
	notifySelf(moved.inode, InMoveSelf)
	if exchange {
		move(nd, newName, od, oldName, target)
		notifySelf(target.inode, InMoveSelf)
	} else if target != nil {
		notifyRemoved(target)
	}
}

// unmountedLocked reports IN_UNMOUNT for fs once no mount of the namespace tree shows it.
//
// Preconditions: v.mountMu is held for writing.
func (v *VirtualFilesystem) unmountedLocked(fs *Filesystem) {
	if inotifyWatchCount.Load() == 0 {
		return
	}
	for _, stack := range v.mounts {
		for _, m := range stack {
			if m.fs == fs {
				return
			}
		}
	}
	notifyUnmount(fs)
}

// FDInfo returns the instance's lines of /proc/<pid>/fdinfo/<fd>: one per watch, newest
// first, as Linux prints them (without the file handle).
func (in *Inotify) FDInfo() string {
	inotifyReg.mu.Lock()
	ws := make([]*inotifyWatch, 0, len(in.watches))
	for _, w := range in.watches {
		ws = append(ws, w)
	}
	masks := make([]uint32, len(ws))
	for i, w := range ws {
		masks[i] = w.mask
	}
	inotifyReg.mu.Unlock()
	idx := make([]int, len(ws))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ws[idx[a]].wd > ws[idx[b]].wd })
	var sb strings.Builder
	for _, i := range idx {
		w := ws[i]
		var ino uint64
		if st, err := w.target.ino.Stat(); err == nil {
			ino = st.Ino
		}
		dev := w.target.fs.dev
		sdev := uint64(unix.Major(dev))<<20 | uint64(unix.Minor(dev))
		fmt.Fprintf(&sb, "inotify wd:%x ino:%x sdev:%x mask:%x ignored_mask:0\n", w.wd, ino, sdev, masks[i])
	}
	return sb.String()
}
