package gofer

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Extended attributes are requests to the gofer, uncached. The gofer serves user.* only
// (EOPNOTSUPP for the other namespaces, so that a container can neither read nor plant
// host security attributes) and the host filesystem answers the rest: EOPNOTSUPP where it
// stores none, its own ENOSPC or E2BIG limits.

var _ vfs.XattrInode = (*Regular)(nil)

// GetXattr implements vfs.XattrInode.
func (i *inode) GetXattr(name string) ([]byte, error) {
	v, err := i.fs.c.GetXattr(i.h, name)
	return v, errno(err)
}

// SetXattr implements vfs.XattrInode.
func (i *inode) SetXattr(name string, value []byte, flags uint32) error {
	if i.fs.readOnly {
		return unix.EROFS
	}
	if err := i.fs.c.SetXattr(i.h, name, value, int(flags)); err != nil {
		return errno(err)
	}
	i.invalidate() // ctime changed
	return nil
}

// ListXattr implements vfs.XattrInode. Types that cannot carry user.* attributes (the
// gofer refuses them with EPERM) list none.
func (i *inode) ListXattr() ([]string, error) {
	if t := i.ifmt(); t != unix.S_IFREG && t != unix.S_IFDIR {
		return nil, nil
	}
	names, err := i.fs.c.ListXattr(i.h)
	if errno(err) == unix.EOPNOTSUPP {
		return nil, nil
	}
	return names, errno(err)
}

// RemoveXattr implements vfs.XattrInode.
func (i *inode) RemoveXattr(name string) error {
	if i.fs.readOnly {
		return unix.EROFS
	}
	if err := i.fs.c.RemoveXattr(i.h, name); err != nil {
		return errno(err)
	}
	i.invalidate()
	return nil
}
