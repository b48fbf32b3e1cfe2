package tmpfs

import (
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Extended attributes: every tmpfs inode stores user.*, trusted.* and security.*
// attributes in memory (the VFS has checked names, sizes and permissions, including that
// user.* is only on regular files and directories, and security.capability values). File
// capabilities go when the file is written, truncated or changes owner. system.* (POSIX ACLs) is not
// supported: EOPNOTSUPP.

var _ vfs.XattrInode = (*Regular)(nil)

func xattrSupported(name string) bool {
	return strings.HasPrefix(name, vfs.XattrUserPrefix) ||
		strings.HasPrefix(name, vfs.XattrTrustedPrefix) ||
		strings.HasPrefix(name, vfs.XattrSecurityPrefix)
}

// GetXattr implements vfs.XattrInode.
func (i *inode) GetXattr(name string) ([]byte, error) {
	if !xattrSupported(name) {
		return nil, unix.EOPNOTSUPP
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	v, ok := i.xattrs[name]
	if !ok {
		return nil, unix.ENODATA
	}
	return append([]byte(nil), v...), nil
}

// SetXattr implements vfs.XattrInode.
func (i *inode) SetXattr(name string, value []byte, flags uint32) error {
	if !xattrSupported(name) {
		return unix.EOPNOTSUPP
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	_, exists := i.xattrs[name]
	if exists && flags&unix.XATTR_CREATE != 0 {
		return unix.EEXIST
	}
	if !exists && flags&unix.XATTR_REPLACE != 0 {
		return unix.ENODATA
	}
	if i.xattrs == nil {
		i.xattrs = make(map[string][]byte)
	}
	i.xattrs[name] = append([]byte(nil), value...)
	i.ctime = time.Now()
	return nil
}

// ListXattr implements vfs.XattrInode: names in descending byte order, the order in which
// Linux's tmpfs lists them (its tree of names is walked from the largest).
func (i *inode) ListXattr() ([]string, error) {
	i.mu.Lock()
	names := make([]string, 0, len(i.xattrs))
	for n := range i.xattrs {
		names = append(names, n)
	}
	i.mu.Unlock()
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	return names, nil
}

// killPrivLocked drops the file capabilities (security.capability), as Linux does when a
// file is written, truncated or changes owner (ATTR_KILL_PRIV), whoever does it.
//
// Preconditions: i.mu is held.
func (i *inode) killPrivLocked() {
	delete(i.xattrs, "security.capability")
}

// RemoveXattr implements vfs.XattrInode.
func (i *inode) RemoveXattr(name string) error {
	if !xattrSupported(name) {
		return unix.EOPNOTSUPP
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.xattrs[name]; !ok {
		return unix.ENODATA
	}
	delete(i.xattrs, name)
	i.ctime = time.Now()
	return nil
}
