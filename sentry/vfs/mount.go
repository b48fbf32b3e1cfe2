package vfs

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Mount is a filesystem (or a subtree of one, for a bind mount) attached to the mount tree.
type Mount struct {
	fs *Filesystem
	// root is the dentry the mount shows at its mount point.
	root *Dentry
	ns   *MountNamespace
	// parent and point are where the mount is attached (nil for the namespace root).
	// Guarded by VirtualFilesystem.mountMu.
	parent *Mount
	point  *Dentry
	// flags are MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOATIME.
	flags atomic.Uint32
	// children counts mounts attached below this one. Guarded by VirtualFilesystem.mountMu.
	children int
	// id is the mount ID (/proc/pid/mountinfo), assigned on first use (mount_list.go).
	id atomic.Uint64
	// rootHeld says the mount holds a reference on its root dentry (taken when first
	// attached, kept while it is attached or in use). Guarded by VirtualFilesystem.mountMu.
	rootHeld bool
	// users counts what makes the mount busy for umount2 (EBUSY): open file descriptions
	// on it and the roots and working directories of filesystem contexts in it.
	users atomic.Int64
	// expiry is MNT_EXPIRE's mark: set by a first umount2(MNT_EXPIRE), which the second
	// then completes; cleared by any other lookup or open that ends on the mount.
	expiry atomic.Bool
	// unbindable is the MS_UNBINDABLE propagation type (mount_propagation.go).
	unbindable atomic.Bool
}

// Filesystem returns the mounted filesystem.
func (m *Mount) Filesystem() *Filesystem { return m.fs }

// Root returns the mount's root dentry.
func (m *Mount) Root() *Dentry { return m.root }

// ReadOnly reports whether the mount is read-only.
func (m *Mount) ReadOnly() bool { return m.flags.Load()&unix.MS_RDONLY != 0 }

// Flags returns the MS_* flags.
func (m *Mount) Flags() uint32 { return m.flags.Load() }

// SetFlags replaces the per-mount flags (mount -o remount,bind).
func (m *Mount) SetFlags(f uint32) { m.flags.Store(f & mountFlagMask) }

const mountFlagMask = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME

type mountKey struct {
	parent *Mount
	point  *Dentry
}

// MountNamespace is a mount tree.
type MountNamespace struct {
	vfs  *VirtualFilesystem
	root *Mount
}

// VFS returns the namespace's VFS.
func (ns *MountNamespace) VFS() *VirtualFilesystem { return ns.vfs }

// Root returns the namespace's root location.
func (ns *MountNamespace) Root() VirtualDentry { return VirtualDentry{ns.root, ns.root.root} }

// VirtualDentry is a location in the mount tree.
type VirtualDentry struct {
	Mount  *Mount
	Dentry *Dentry
}

// Ok reports whether vd is set.
func (vd VirtualDentry) Ok() bool { return vd.Mount != nil && vd.Dentry != nil }

// NewFilesystem creates an instance of the registered filesystem type typeName.
func (v *VirtualFilesystem) NewFilesystem(typeName string, opts MountOptions) (*Filesystem, error) {
	t, ok := lookupType(typeName)
	if !ok {
		return nil, unix.ENODEV
	}
	if opts.Creds == nil {
		opts.Creds = RootCreds
	}
	impl, root, err := t.NewFilesystem(v, opts)
	if err != nil {
		return nil, err
	}
	fs := &Filesystem{vfs: v, typeName: typeName, source: opts.Source, impl: impl, dev: unix.Mkdev(0, v.nextDev.Add(1))}
	_, fs.evictable = impl.(EvictableFilesystem)
	fs.root = newDentry(fs, root, unix.S_IFDIR)
	return fs, nil
}

// NewMountNamespace returns a namespace whose root is a new instance of typeName.
func (v *VirtualFilesystem) NewMountNamespace(typeName string, opts MountOptions, flags uint32) (*MountNamespace, error) {
	fs, err := v.NewFilesystem(typeName, opts)
	if err != nil {
		return nil, fmt.Errorf("creating root filesystem %q: %w", typeName, err)
	}
	ns := &MountNamespace{vfs: v}
	ns.root = &Mount{fs: fs, root: fs.root, ns: ns}
	ns.root.SetFlags(flags)
	ns.root.ID()
	return ns, nil
}

// MountAt attaches fs (its root) at target, which must be a directory. flags are MS_RDONLY
// and friends.
func (v *VirtualFilesystem) MountAt(fs *Filesystem, target VirtualDentry, flags uint32) (*Mount, error) {
	return v.attach(fs, fs.root, target, flags)
}

// BindMount attaches the subtree at source at target (mount --bind). Source and target must
// both be directories or both not.
func (v *VirtualFilesystem) BindMount(source, target VirtualDentry, flags uint32) (*Mount, error) {
	if source.Dentry.IsDir() != target.Dentry.IsDir() {
		if target.Dentry.IsDir() {
			return nil, unix.ENOTDIR
		}
		return nil, unix.ENOTDIR
	}
	if source.Mount.Unbindable() {
		return nil, unix.EINVAL
	}
	return v.attach(source.Mount.fs, source.Dentry, target, flags)
}

func (v *VirtualFilesystem) attach(fs *Filesystem, root *Dentry, target VirtualDentry, flags uint32) (*Mount, error) {
	if !target.Ok() {
		return nil, unix.EINVAL
	}
	if fs.root == root && !target.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	if target.Dentry.IsDead() {
		return nil, unix.ENOENT
	}
	m := &Mount{fs: fs, root: root, ns: target.Mount.ns}
	m.SetFlags(flags)
	m.ID()
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	v.attachLocked(m, target)
	return m, nil
}

// Umount detaches the mount whose root is vd (umount2 without MNT_DETACH): EINVAL if vd is
// not a mount's root, EBUSY for the namespace root, or if something is mounted below it,
// or if the mount is in use: a file open on it, a process's root or working directory in
// it. With expire (MNT_EXPIRE), a mount that is not busy is only marked the first time
// (EAGAIN) and unmounted by a second call if nothing used it meanwhile.
func (v *VirtualFilesystem) Umount(vd VirtualDentry, expire bool) error {
	m := vd.Mount
	if vd.Dentry != m.root {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.parent == nil {
		return unix.EBUSY
	}
	if m.children > 0 || m.users.Load() > 0 {
		return unix.EBUSY
	}
	if expire && !m.expiry.Swap(true) {
		return unix.EAGAIN
	}
	v.detachLocked(m)
	return nil
}

// mountedOn returns the top mount attached at vd, or nil.
func (v *VirtualFilesystem) mountedOn(vd VirtualDentry) *Mount {
	if vd.Dentry.mounts.Load() == 0 {
		return nil
	}
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	stack := v.mounts[mountKey{vd.Mount, vd.Dentry}]
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

// followMounts returns the location shown at vd: the root of the topmost mount stacked on
// it, repeatedly.
func (v *VirtualFilesystem) followMounts(vd VirtualDentry) VirtualDentry {
	for {
		m := v.mountedOn(vd)
		if m == nil {
			return vd
		}
		vd = VirtualDentry{m, m.root}
	}
}

// mountParent returns where m is attached, or ok=false for a namespace root or a detached
// mount.
func (v *VirtualFilesystem) mountParent(m *Mount) (VirtualDentry, bool) {
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	if m.parent == nil {
		return VirtualDentry{}, false
	}
	return VirtualDentry{m.parent, m.point}, true
}

// isMountPoint reports whether something is mounted on d in any mount.
func (d *Dentry) isMountPoint() bool { return d.mounts.Load() != 0 }
