package vfs

import (
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// FSContext is a task's filesystem context: root, working directory and umask. Tasks cloned
// with CLONE_FS share one. It implements kernel.FSContext.
type FSContext struct {
	vfs  *VirtualFilesystem
	refs atomic.Int64

	mu sync.Mutex
	// root is the root directory (chroot). Guarded by mu.
	root VirtualDentry
	// cwd is the working directory. Guarded by mu.
	cwd VirtualDentry
	// umask is the file mode creation mask. Guarded by mu.
	umask uint32
}

var _ kernel.FSContext = (*FSContext)(nil)

// NewFSContext returns a context with root and cwd at root and umask 022, with one
// reference.
func NewFSContext(ns *MountNamespace) *FSContext {
	c := &FSContext{vfs: ns.vfs, root: ns.Root(), cwd: ns.Root(), umask: 022}
	c.refs.Store(1)
	c.root.hold()
	c.cwd.hold()
	return c
}

// VFS returns the context's VFS.
func (c *FSContext) VFS() *VirtualFilesystem { return c.vfs }

// IncRef implements kernel.FSContext.
func (c *FSContext) IncRef() { c.refs.Add(1) }

// DecRef implements kernel.FSContext. Dentries are garbage collected; the last reference
// stops making the root's and cwd's mounts busy.
func (c *FSContext) DecRef() {
	if c.refs.Add(-1) != 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.root.release()
	c.cwd.release()
}

// Fork implements kernel.FSContext: an unshared copy (clone without CLONE_FS).
func (c *FSContext) Fork() kernel.FSContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &FSContext{vfs: c.vfs, root: c.root, cwd: c.cwd, umask: c.umask}
	n.refs.Store(1)
	n.root.hold()
	n.cwd.hold()
	return n
}

// Root returns the root directory.
func (c *FSContext) Root() VirtualDentry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root
}

// Cwd returns the working directory.
func (c *FSContext) Cwd() VirtualDentry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd
}

// SetCwd changes the working directory.
func (c *FSContext) SetCwd(vd VirtualDentry) {
	vd.hold()
	c.mu.Lock()
	old := c.cwd
	c.cwd = vd
	c.mu.Unlock()
	old.release()
}

// SetRoot changes the root directory (chroot; the cwd is left alone, as in Linux).
func (c *FSContext) SetRoot(vd VirtualDentry) {
	vd.hold()
	c.mu.Lock()
	old := c.root
	c.root = vd
	c.mu.Unlock()
	old.release()
}

// Umask returns the umask.
func (c *FSContext) Umask() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.umask
}

// SwapUmask sets the umask and returns the old one.
func (c *FSContext) SwapUmask(m uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = m & 0777
	return old
}

// TaskFSContext returns t's filesystem context, or nil if it has none.
func TaskFSContext(t *kernel.Task) *FSContext {
	c, _ := t.FSContext().(*FSContext)
	return c
}

// TaskCreds returns the credentials t's filesystem operations are checked against.
func TaskCreds(t *kernel.Task) *Creds {
	cr := t.ThreadGroup().Creds()
	return &Creds{UID: cr.EffectiveUID, GID: cr.EffectiveGID, Groups: cr.Groups, Caps: cr.Caps.Effective}
}

// OpenFromTask opens path as t would with openat(dirfd, path, flags, mode): the helper for
// in-kernel users such as execve. mode is masked with the umask.
func OpenFromTask(t *kernel.Task, dirfd int32, path string, flags, mode uint32) (*FileDescription, error) {
	fsc := TaskFSContext(t)
	if fsc == nil {
		return nil, unix.ENOENT
	}
	pop, err := TaskPathOperation(t, dirfd, path, flags&unix.O_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return fsc.vfs.OpenAt(TaskCreds(t), pop, flags, mode&^fsc.Umask())
}

// OpenExecutable opens path for execve(2): a regular file, with execute permission, on a
// mount without MS_NOEXEC (EACCES otherwise). The result is an io.ReaderAt.
func OpenExecutable(t *kernel.Task, path string) (*FileDescription, error) {
	fd, err := OpenFromTask(t, unix.AT_FDCWD, path, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	if fd.vd.Dentry.ifmt != unix.S_IFREG || fd.vd.Mount.Flags()&unix.MS_NOEXEC != 0 {
		fd.Release()
		return nil, unix.EACCES
	}
	if err := fd.vfs.Access(TaskCreds(t), fd.vd, unix.X_OK); err != nil {
		fd.Release()
		return nil, err
	}
	return fd, nil
}

// TaskPathOperation builds the PathOperation for (dirfd, path) as t sees it: absolute paths
// from its root, relative ones from its cwd (AT_FDCWD) or dirfd, which must then be a
// directory (ENOTDIR) and open (EBADF).
func TaskPathOperation(t *kernel.Task, dirfd int32, path string, follow bool) (*PathOperation, error) {
	fsc := TaskFSContext(t)
	if fsc == nil {
		return nil, unix.ENOENT
	}
	pop := &PathOperation{Root: fsc.Root(), Start: fsc.Cwd(), Path: path, FollowFinal: follow, Task: t}
	if dirfd == unix.AT_FDCWD {
		return pop, nil
	}
	// An absolute path ignores dirfd, even a bad one, except as the root of openat2's
	// RESOLVE_IN_ROOT and RESOLVE_BENEATH: use it if it is a directory.
	abs := path != "" && path[0] == '/'
	f, err := t.FDTable().Get(dirfd)
	if err != nil {
		if abs {
			return pop, nil
		}
		return nil, err
	}
	defer f.DecRef()
	fd, ok := f.File.(*FileDescription)
	if !ok || (path != "" && !fd.vd.Dentry.IsDir()) {
		if abs {
			return pop, nil
		}
		return nil, unix.ENOTDIR
	}
	pop.Start = fd.vd
	return pop, nil
}

// ReadAt implements io.ReaderAt (for the ELF loader): short reads at end of file give io.EOF.
func (fd *FileDescription) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := fd.impl.Read(nil, p[done:], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, io.EOF
		}
	}
	return done, nil
}
