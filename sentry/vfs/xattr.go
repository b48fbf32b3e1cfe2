package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Extended attribute namespaces (the prefix of every name).
const (
	XattrUserPrefix     = "user."
	XattrTrustedPrefix  = "trusted."
	XattrSecurityPrefix = "security."
	XattrSystemPrefix   = "system."
)

// XattrInode is implemented by inodes of filesystems that store extended attributes; the
// VFS gives EOPNOTSUPP for the others. The VFS has checked the name (1 to 255 bytes, a
// known namespace), the value's size (at most 64 KiB), the flags and every permission
// (xattrPermission) before it calls these; a filesystem refuses the namespaces it does not
// store with EOPNOTSUPP.
type XattrInode interface {
	// GetXattr returns the whole value of name, or ENODATA.
	GetXattr(name string) ([]byte, error)
	// SetXattr sets name to value; flags is 0, unix.XATTR_CREATE (EEXIST if name exists)
	// or unix.XATTR_REPLACE (ENODATA if it does not).
	SetXattr(name string, value []byte, flags uint32) error
	// ListXattr returns every name the filesystem stores for the inode (the VFS hides
	// those the caller may not see).
	ListXattr() ([]string, error)
	// RemoveXattr removes name, or fails with ENODATA.
	RemoveXattr(name string) error
}

// XattrNamespaceKnown reports whether name has the prefix of a namespace Linux knows and
// something after it; EOPNOTSUPP for an unknown prefix and EINVAL for a bare prefix, as
// xattr_resolve_name decides.
func XattrNamespaceKnown(name string) error {
	for _, p := range []string{XattrUserPrefix, XattrTrustedPrefix, XattrSecurityPrefix, XattrSystemPrefix} {
		if strings.HasPrefix(name, p) {
			if len(name) == len(p) {
				return unix.EINVAL
			}
			return nil
		}
	}
	return unix.EOPNOTSUPP
}

// XattrPermission is xattr_permission (and the capability checks of security.*): may c
// access name (write: set or remove) on a file of the given mode and owner? Unprivileged
// callers see no trusted.* attribute (ENODATA) and may not change trusted.* or security.*
// ones (EPERM); user.* attributes exist only on regular files and directories, and in a
// sticky directory only its owner may change them; beyond that, user.* and trusted.* need
// the file's read or write permission.
func XattrPermission(c *Creds, name string, write bool, mode, uid, gid uint32) error {
	deny := unix.ENODATA
	if write {
		deny = unix.EPERM
	}
	switch {
	case strings.HasPrefix(name, XattrSecurityPrefix):
		if write && !c.Privileged() {
			return unix.EPERM
		}
		return nil
	case strings.HasPrefix(name, XattrSystemPrefix):
		return nil
	case strings.HasPrefix(name, XattrTrustedPrefix):
		if !c.Privileged() {
			return deny
		}
		return nil
	case strings.HasPrefix(name, XattrUserPrefix):
		t := mode & unix.S_IFMT
		if t != unix.S_IFREG && t != unix.S_IFDIR {
			return deny
		}
		if t == unix.S_IFDIR && mode&unix.S_ISVTX != 0 && write && !c.IsOwner(uid) {
			return unix.EPERM
		}
	}
	ats := uint32(MayRead)
	if write {
		ats = MayWrite
	}
	return CheckPermission(c, ats, mode, uid, gid)
}

// xattrTarget checks c's access to name on vd and returns the inode's xattr operations.
func xattrTarget(c *Creds, vd VirtualDentry, name string, write bool) (XattrInode, error) {
	if write && vd.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	st, err := vd.Dentry.inode.Stat()
	if err != nil {
		return nil, err
	}
	if err := XattrPermission(c, name, write, st.Mode, st.UID, st.GID); err != nil {
		return nil, err
	}
	if err := XattrNamespaceKnown(name); err != nil {
		return nil, err
	}
	xi, ok := vd.Dentry.inode.(XattrInode)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	return xi, nil
}

// GetXattr is getxattr(2) on vd: the whole value.
func (v *VirtualFilesystem) GetXattr(c *Creds, vd VirtualDentry, name string) ([]byte, error) {
	xi, err := xattrTarget(c, vd, name, false)
	if err != nil {
		return nil, err
	}
	val, err := xi.GetXattr(name)
	if err == nil && name == capabilityXattr {
		val = capabilityForReader(val)
	}
	return val, err
}

// capabilityForReader is cap_inode_getsecurity's conversion: a revision 3 value whose
// root id is root (in the sandbox's only user namespace) reads as revision 2, keeping the
// effective flag and the capability sets.
func capabilityForReader(val []byte) []byte {
	if len(val) != 24 || val[3] != 0x03 || val[20]|val[21]|val[22]|val[23] != 0 {
		return val
	}
	out := append([]byte(nil), val[:20]...)
	out[0] &= 0x01 // VFS_CAP_FLAGS_EFFECTIVE
	out[1], out[2], out[3] = 0, 0, 0x02
	return out
}

// capabilityXattr is the file capabilities attribute; its value is checked (validheader).
const capabilityXattr = "security.capability"

// validCapability reports whether value is a struct vfs_cap_data (revision 2, 20 bytes) or
// vfs_ns_cap_data (revision 3, 24 bytes), as cap_convert_nscap requires.
func validCapability(value []byte) bool {
	if len(value) < 4 {
		return false
	}
	rev := uint32(value[0]) | uint32(value[1])<<8 | uint32(value[2])<<16 | uint32(value[3])<<24
	rev &= 0xff000000 // VFS_CAP_REVISION_MASK
	return (len(value) == 20 && rev == 0x02000000) || (len(value) == 24 && rev == 0x03000000)
}

// SetXattr is setxattr(2) on vd.
func (v *VirtualFilesystem) SetXattr(c *Creds, vd VirtualDentry, name string, value []byte, flags uint32) error {
	if name == capabilityXattr && !validCapability(value) {
		// Checked before any permission, as Linux converts the value first.
		if vd.Mount.ReadOnly() {
			return unix.EROFS
		}
		return unix.EINVAL
	}
	xi, err := xattrTarget(c, vd, name, true)
	if err != nil {
		return err
	}
	return xi.SetXattr(name, value, flags)
}

// RemoveXattr is removexattr(2) on vd.
func (v *VirtualFilesystem) RemoveXattr(c *Creds, vd VirtualDentry, name string) error {
	xi, err := xattrTarget(c, vd, name, true)
	if err != nil {
		return err
	}
	return xi.RemoveXattr(name)
}

// ListXattr is listxattr(2) on vd: the names c may see (no trusted.* for the
// unprivileged). A filesystem without xattrs lists none.
func (v *VirtualFilesystem) ListXattr(c *Creds, vd VirtualDentry) ([]string, error) {
	xi, ok := vd.Dentry.inode.(XattrInode)
	if !ok {
		return nil, nil
	}
	names, err := xi.ListXattr()
	if err != nil || c.Privileged() {
		return names, err
	}
	out := names[:0:0]
	for _, n := range names {
		if !strings.HasPrefix(n, XattrTrustedPrefix) {
			out = append(out, n)
		}
	}
	return out, nil
}
