package vfs

import "golang.org/x/sys/unix"

// Mount propagation. Every mount is private (no peer groups or slaves yet: a mount made
// under a shared mount does not appear in its peers); the one propagation type kept is
// unbindable, which makes bind mounts of the mount fail with EINVAL and keeps it out of
// recursive bind copies, as in Linux.

// Unbindable reports whether the mount is unbindable (MS_UNBINDABLE).
func (m *Mount) Unbindable() bool { return m.unbindable.Load() }

// SetPropagation is mount(2)'s propagation change on m: MS_UNBINDABLE makes it
// unbindable, MS_PRIVATE and MS_SHARED make it bindable again (and private: sharing is not
// implemented), MS_SLAVE leaves it as it is (as Linux's change_mnt_propagation: a slave
// keeps its unbindable flag). With rec (MS_REC) the mounts below m change too.
func (v *VirtualFilesystem) SetPropagation(m *Mount, flags uint32, rec bool) {
	if flags&unix.MS_SLAVE != 0 {
		return
	}
	unbindable := flags&unix.MS_UNBINDABLE != 0
	if !rec {
		m.unbindable.Store(unbindable)
		return
	}
	v.mountMu.RLock()
	below := map[*Mount][]*Mount{}
	for k, stack := range v.mounts {
		below[k.parent] = append(below[k.parent], stack...)
	}
	v.mountMu.RUnlock()
	var visit func(m *Mount)
	visit = func(m *Mount) {
		m.unbindable.Store(unbindable)
		for _, c := range below[m] {
			visit(c)
		}
	}
	visit(m)
}
