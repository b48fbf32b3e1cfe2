package vfs

import (
	"sort"
	"strings"
	"sync/atomic"
)

// lastMountID numbers mounts for /proc/pid/mountinfo.
var lastMountID atomic.Uint64

// ID returns the mount's ID, unique in the sentry and stable for the mount's life.
func (m *Mount) ID() uint64 {
	if id := m.id.Load(); id != 0 {
		return id
	}
	m.id.CompareAndSwap(0, lastMountID.Add(1))
	return m.id.Load()
}

// MountEntry describes one mount of a namespace for /proc/pid/mounts and mountinfo.
type MountEntry struct {
	Mount *Mount
	// Parent is the mount it is attached to (itself for the namespace root) and Point the
	// dentry of Parent it is attached at.
	Parent *Mount
	Point  VirtualDentry
}

// Mounts returns the namespace's mounts in the order Linux lists them in /proc/pid/mounts:
// the order they were attached in (mount IDs are given at attach time; a recursive bind
// copies parents before children; a moved mount keeps its place), so the root first.
func (ns *MountNamespace) Mounts() []MountEntry {
	v := ns.vfs
	v.mountMu.RLock()
	out := []MountEntry{{Mount: ns.root, Parent: ns.root, Point: VirtualDentry{ns.root, ns.root.root}}}
	for k, stack := range v.mounts {
		if k.parent.ns != ns {
			continue
		}
		for _, m := range stack {
			out = append(out, MountEntry{Mount: m, Parent: m.parent, Point: VirtualDentry{m.parent, m.point}})
		}
	}
	v.mountMu.RUnlock()
	sort.Slice(out[1:], func(i, j int) bool { return out[1+i].Mount.ID() < out[1+j].Mount.ID() })
	return out
}

// Namespace returns the mount namespace the mount belongs to.
func (m *Mount) Namespace() *MountNamespace { return m.ns }

// BackingPather is implemented by filesystems whose root is a subtree of a larger one (the
// gofer's bind mounts of host directories): BackingPath maps a path from the filesystem's
// root to the path in that larger one.
type BackingPather interface {
	BackingPath(p string) string
}

// RootPath returns the path of the mount's root inside its filesystem (mountinfo's fourth
// field): "/" for a mount of a whole filesystem, the bound subtree's path for a bind mount,
// mapped through BackingPather when the filesystem implements it.
func (m *Mount) RootPath() string {
	p := m.rootPath()
	if bp, ok := m.fs.impl.(BackingPather); ok {
		return bp.BackingPath(p)
	}
	return p
}

func (m *Mount) rootPath() string {
	fs := m.fs
	fs.renameMu.RLock()
	defer fs.renameMu.RUnlock()
	var parts []string
	for d := m.root; d != fs.root && d.parent != nil; d = d.parent {
		parts = append(parts, d.name)
	}
	var sb strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		sb.WriteByte('/')
		sb.WriteString(parts[i])
	}
	if sb.Len() == 0 {
		return "/"
	}
	return sb.String()
}
