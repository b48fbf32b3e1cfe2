package overlay

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Extended attributes read the current layer (the upper file once it exists); a change
// copies the file up first and changes the upper file. Copy-up carries the lower file's
// attributes (those the lower layer lets the overlay read: through a gofer, user.*).
//
// Names under trusted.overlay. are the overlay's own in Linux (whiteouts, opaque
// directories, redirects): they are neither listed nor accessible (EOPNOTSUPP) through
// the overlay, as Linux's. This overlay keeps its state in side tables, not in such
// attributes, so a lower file's own trusted.overlay.* attributes are what stays hidden.

// privateXattrPrefix is the overlay's own namespace.
const privateXattrPrefix = "trusted.overlay."

var _ vfs.XattrInode = (*File)(nil)

func xattrsOf(ino vfs.Inode) (vfs.XattrInode, bool) {
	x, ok := ino.(vfs.XattrInode)
	return x, ok
}

// GetXattr implements vfs.XattrInode.
func (n *node) GetXattr(name string) ([]byte, error) {
	if strings.HasPrefix(name, privateXattrPrefix) {
		return nil, unix.EOPNOTSUPP
	}
	x, ok := xattrsOf(n.cur())
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	return x.GetXattr(name)
}

// SetXattr implements vfs.XattrInode.
func (n *node) SetXattr(name string, value []byte, flags uint32) error {
	if strings.HasPrefix(name, privateXattrPrefix) {
		return unix.EOPNOTSUPP
	}
	if err := n.fs.copyUp(n); err != nil {
		return err
	}
	x, ok := xattrsOf(n.upperInode())
	if !ok {
		return unix.EOPNOTSUPP
	}
	return x.SetXattr(name, value, flags)
}

// ListXattr implements vfs.XattrInode.
func (n *node) ListXattr() ([]string, error) {
	x, ok := xattrsOf(n.cur())
	if !ok {
		return nil, nil
	}
	names, err := x.ListXattr()
	if err != nil {
		return nil, err
	}
	out := names[:0:0]
	for _, name := range names {
		if !strings.HasPrefix(name, privateXattrPrefix) {
			out = append(out, name)
		}
	}
	return out, nil
}

// RemoveXattr implements vfs.XattrInode.
func (n *node) RemoveXattr(name string) error {
	if strings.HasPrefix(name, privateXattrPrefix) {
		return unix.EOPNOTSUPP
	}
	// Removing a name the file does not have changes nothing: no copy-up for ENODATA.
	if x, ok := xattrsOf(n.cur()); ok {
		if _, err := x.GetXattr(name); err == unix.ENODATA {
			return err
		}
	}
	if err := n.fs.copyUp(n); err != nil {
		return err
	}
	x, ok := xattrsOf(n.upperInode())
	if !ok {
		return unix.EOPNOTSUPP
	}
	return x.RemoveXattr(name)
}

// copyXattrs copies the attributes of a lower file to its new upper copy. A lower layer
// that stores none, or refuses to list them for this type, gives nothing to copy.
func copyXattrs(from, to vfs.Inode) error {
	src, ok := xattrsOf(from)
	if !ok {
		return nil
	}
	dst, ok := xattrsOf(to)
	if !ok {
		return nil
	}
	names, err := src.ListXattr()
	if err != nil {
		return nil
	}
	for _, name := range names {
		if strings.HasPrefix(name, privateXattrPrefix) {
			continue
		}
		v, err := src.GetXattr(name)
		if err == unix.ENODATA {
			continue // removed behind our back
		}
		if err != nil {
			return err
		}
		if err := dst.SetXattr(name, v, 0); err != nil {
			return err
		}
	}
	return nil
}
