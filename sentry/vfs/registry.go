package vfs

import (
	"fmt"
	"sort"
	"sync"
)

// FilesystemType makes filesystem instances (tmpfs, devtmpfs, the gofer's...).
type FilesystemType interface {
	// NewFilesystem returns a new instance and its root directory.
	NewFilesystem(v *VirtualFilesystem, opts MountOptions) (FilesystemImpl, DirInode, error)
}

// MountOptions are mount(2)'s arguments as a filesystem type sees them.
type MountOptions struct {
	// Source is the device name ("none", a host path for the gofer).
	Source string
	// Data is the filesystem-specific option string ("mode=1777,size=...").
	Data string
	// Creds are the mounting task's credentials (owner of a new tmpfs root).
	Creds *Creds
	// Private is for in-sentry callers that configure a filesystem with Go values.
	Private any
}

var (
	registryMu sync.RWMutex
	registry   = map[string]FilesystemType{}
)

// RegisterFilesystemType makes a filesystem type available by name. Filesystem packages
// call it from init; it panics on a duplicate name (a programming error).
func RegisterFilesystemType(name string, t FilesystemType) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("filesystem type %q registered twice", name))
	}
	registry[name] = t
}

// FilesystemTypes returns the registered names, sorted.
func FilesystemTypes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookupType(name string) (FilesystemType, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	t, ok := registry[name]
	return t, ok
}
