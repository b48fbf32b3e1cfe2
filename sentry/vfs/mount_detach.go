package vfs

import "golang.org/x/sys/unix"

// UmountDetach is umount2 with MNT_DETACH: the mount whose root is vd and every mount
// below it leave the tree at once (open files and working directories on them keep
// working). EINVAL if vd is not a mount's root, EBUSY for the namespace root.
func (v *VirtualFilesystem) UmountDetach(vd VirtualDentry) error {
	m := vd.Mount
	if vd.Dentry != m.root {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.parent == nil {
		return unix.EBUSY
	}
	// Detach the subtree leaves first, so that each mount has no children when it goes.
	var detach func(m *Mount)
	detach = func(m *Mount) {
		for k, stack := range v.mounts {
			if k.parent != m {
				continue
			}
			for i := len(stack) - 1; i >= 0; i-- {
				detach(stack[i])
			}
		}
		v.detachLocked(m)
	}
	detach(m)
	return nil
}

// detachLocked removes m from its mount point. v.mountMu must be held for writing.
func (v *VirtualFilesystem) detachLocked(m *Mount) {
	if m.parent == nil {
		return
	}
	k := mountKey{m.parent, m.point}
	stack := v.mounts[k]
	for i, s := range stack {
		if s == m {
			stack = append(stack[:i:i], stack[i+1:]...)
			break
		}
	}
	if len(stack) == 0 {
		delete(v.mounts, k)
	} else {
		v.mounts[k] = stack
	}
	m.parent.children--
	m.point.mounts.Add(-1)
	m.parent, m.point = nil, nil
	v.unmountedLocked(m.fs)
	if m.rootHeld {
		m.rootHeld = false
		m.root.decRef()
	}
}

// IsMountRoot reports whether vd is the root of its mount (a valid umount2 or
// remount target).
func (vd VirtualDentry) IsMountRoot() bool { return vd.Mount != nil && vd.Dentry == vd.Mount.root }
