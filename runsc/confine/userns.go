package confine

import (
	"os"
	"syscall"
)

// InUserNamespace makes attr start its process in a new user namespace (rootless mode,
// docs/security.md) where the caller's effective uid and gid are mapped to 0, one id each,
// the only mapping an unprivileged process may write (as `unshare -r` does; the Go runtime
// denies setgroups first, which an unprivileged gid mapping requires). The process is root
// with every capability in that namespace, over it and the namespaces created with it
// (attr's other Cloneflags: the kernel makes the user namespace first), and nothing beyond:
// on the host it stays the caller, and host files of any other owner appear owned by the
// overflow id (65534).
func InUserNamespace(attr *syscall.SysProcAttr) {
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	attr.GidMappingsEnableSetgroups = false
}
