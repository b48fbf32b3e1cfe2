package confine

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// CloneTree returns a detached copy of the mount tree at path relative to dirfd (path ""
// for dirfd itself): open_tree(2) with OPEN_TREE_CLONE and AT_RECURSIVE, the submounts
// included, nosuid and nodev, and read-only when readOnly. The copy belongs to no mount
// namespace until move_mount(2) attaches it; it is how the gofer's root gets what it
// serves (docs/gofer.md). Cloning needs CAP_SYS_ADMIN over the caller's mount namespace
// and a path in it: EPERM for an unprivileged caller, EINVAL for a descriptor opened in
// another mount namespace.
func CloneTree(dirfd int, path string, readOnly bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_RECURSIVE)
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	t, err := unix.OpenTree(dirfd, path, flags)
	if err != nil {
		return -1, err
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if readOnly {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(t, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		unix.Close(t)
		return -1, fmt.Errorf("mount_setattr: %w", err)
	}
	return t, nil
}
