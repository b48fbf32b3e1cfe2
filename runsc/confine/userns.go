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

// InMappedUserNamespace makes attr start its process in a new user namespace with the
// given mappings (a container's linux.uidMappings and gidMappings, docs/security.md "User
// namespaces"), which only a process with CAP_SETUID and CAP_SETGID over the host's
// namespace may write unless they map just the caller. The process becomes uid and gid 0
// of the namespace (which the mappings must map): its host ids are not mapped there, and
// root of the namespace has its capabilities over what it owns. setgroups is denied in
// it, which an unprivileged gid mapping requires and the gofer never needs.
func InMappedUserNamespace(attr *syscall.SysProcAttr, uids, gids []syscall.SysProcIDMap) {
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.UidMappings = uids
	attr.GidMappings = gids
	attr.GidMappingsEnableSetgroups = false
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
}
