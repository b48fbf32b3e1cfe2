package boot

// defaultPath is execvp's search path when the environment has no PATH.
//
// Init's executable is found and opened inside the sandbox, through its VFS (and so
// through the gofer): openInitExecutable in rootfs.go. No host file is opened for it.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
