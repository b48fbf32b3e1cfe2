package vfs

import "golang.org/x/sys/unix"

// attachLocked hangs m at target (m.parent and m.point are set here).
//
// Preconditions: v.mountMu is held for writing; m is not attached.
func (v *VirtualFilesystem) attachLocked(m *Mount, target VirtualDentry) {
	if m.parent == nil && m.point == nil && !m.rootHeld {
		m.rootHeld = true
		m.root.incRef()
	}
	m.parent, m.point = target.Mount, target.Dentry
	k := mountKey{target.Mount, target.Dentry}
	v.mounts[k] = append(v.mounts[k], m)
	target.Mount.children++
	target.Dentry.mounts.Add(1)
}

// MoveMount is mount(2) with MS_MOVE: the mount whose root is source moves, with
// everything mounted below it, to target. EINVAL if source is not a mount's root, is the
// namespace root, is not attached, or differs from target in type (directory or not), or if
// target is in another namespace; ELOOP if target is inside the moved subtree.
func (v *VirtualFilesystem) MoveMount(source, target VirtualDentry) error {
	m := source.Mount
	if !source.IsMountRoot() || !target.Ok() {
		return unix.EINVAL
	}
	if source.Dentry.IsDir() != target.Dentry.IsDir() || target.Mount.ns != m.ns {
		return unix.EINVAL
	}
	if target.Dentry.IsDead() {
		return unix.ENOENT
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.parent == nil {
		return unix.EINVAL
	}
	for p := target.Mount; p != nil; p = p.parent {
		if p == m {
			return unix.ELOOP
		}
	}
	v.detachLocked(m)
	v.attachLocked(m, target)
	return nil
}

// isUnder reports whether d is root or below it in their filesystem.
func isUnder(d, root *Dentry) bool {
	if d.fs != root.fs {
		return false
	}
	d.fs.renameMu.RLock()
	defer d.fs.renameMu.RUnlock()
	return isAncestorLocked(root, d)
}

// BindMountRecursive is mount(2) with MS_BIND|MS_REC: a bind mount of source at target
// (see BindMount) that also copies every mount found below source, at the same places in
// the copy, with their flags. The mounts below are those attached when the call starts.
func (v *VirtualFilesystem) BindMountRecursive(source, target VirtualDentry, flags uint32) (*Mount, error) {
	// Which mounts hang where: a snapshot, so that the new mounts are not copied again when
	// target is inside source.
	v.mountMu.RLock()
	below := map[*Mount][]*Mount{}
	for k, stack := range v.mounts {
		below[k.parent] = append(below[k.parent], stack...)
	}
	v.mountMu.RUnlock()
	// The first level: mounts of source's mount at or below source's dentry.
	var first []*Mount
	for _, c := range below[source.Mount] {
		if pt := c.point; pt != nil && isUnder(pt, source.Dentry) {
			first = append(first, c)
		}
	}
	top, err := v.BindMount(source, target, flags)
	if err != nil {
		return nil, err
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	var copyBelow func(kids []*Mount, parent *Mount)
	copyBelow = func(kids []*Mount, parent *Mount) {
		for _, c := range kids {
			if c.point == nil || c.Unbindable() {
				continue // detached since the snapshot, or not to be copied
			}
			n := &Mount{fs: c.fs, root: c.root, ns: parent.ns}
			n.flags.Store(c.flags.Load())
			n.ID()
			v.attachLocked(n, VirtualDentry{parent, c.point})
			copyBelow(below[c], n)
		}
	}
	copyBelow(first, top)
	return top, nil
}

// hold records a use of vd that lasts (an open file description, a filesystem context's
// root or cwd): its mount is busy for umount2 and its dentry stays cached.
func (vd VirtualDentry) hold() {
	vd.Mount.users.Add(1)
	if vd.Dentry != nil {
		vd.Dentry.incRef()
	}
}

// release ends a use recorded by hold.
func (vd VirtualDentry) release() {
	vd.Mount.users.Add(-1)
	if vd.Dentry != nil {
		vd.Dentry.decRef()
	}
}

// BindChild attaches the child name of fs's root at target, as a bind mount of it would:
// for filesystems whose root only stands for a single file they serve (a gofer's file
// attach point), the file is bound where it goes without the root ever being mounted.
// ENOTDIR if the child and target differ in type (directory or not).
func (v *VirtualFilesystem) BindChild(fs *Filesystem, name string, target VirtualDentry, flags uint32) (*Mount, error) {
	root := fs.root
	root.mu.Lock()
	child, err := root.childLocked(name)
	root.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if child.IsDir() != target.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	return v.attach(fs, child, target, flags)
}
