package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/mqueue"
	"github.com/stockade-sandbox/stockade/fsimpl/proc"
	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// noteMount describes what mount(2) supports.
const noteMount = "CAP_SYS_ADMIN only (EPERM otherwise); new tmpfs, proc, sysfs and mqueue mounts, bind mounts of directories and files (MS_REC copies submounts), MS_MOVE, MS_REMOUNT (per-mount flags only, e.g. MS_REMOUNT|MS_BIND|MS_RDONLY); propagation: MS_UNBINDABLE is kept (bind mounts of the mount fail with EINVAL, recursive binds skip it), MS_SHARED and MS_SLAVE are accepted but every mount stays private; other filesystem types return ENODEV"

// mountableTypes are the filesystem types mount(2) may create: the others need in-sentry
// configuration (the gofer, overlay) or are the sandbox's own (devtmpfs).
var mountableTypes = map[string]bool{tmpfs.Name: true, proc.Name: true, proc.SysfsName: true, mqueue.Name: true}

const msPropagation = unix.MS_SHARED | unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE

// Mount implements Linux syscall mount(2).
func Mount(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	srcAddr, targetAddr, typeAddr, dataAddr := args.Pointer(0), args.Pointer(1), args.Pointer(2), args.Pointer(4)
	flags := uint32(args[3])
	if args[3]&0xffff0000 == unix.MS_MGC_VAL {
		flags &^= 0xffff0000
	}
	tvd, err := resolvePath(t, targetAddr, true)
	if err != nil {
		return 0, err
	}
	// As Linux, the target is looked up before the privilege check.
	if !t.ThreadGroup().Creds().HasCap(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	fsc, err := fsContext(t)
	if err != nil {
		return 0, err
	}
	vfsys := fsc.VFS()
	const perMount = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME
	switch {
	case flags&unix.MS_REMOUNT != 0:
		// Only per-mount flags change (with or without MS_BIND): no filesystem here has
		// options that can change after it is made.
		if !tvd.IsMountRoot() {
			return 0, unix.EINVAL
		}
		tvd.Mount.SetFlags(flags & perMount)
		return 0, nil
	case flags&unix.MS_BIND != 0:
		svd, err := resolvePath(t, srcAddr, true)
		if err != nil {
			return 0, err
		}
		// As Linux, the new mount copies the source mount's flags; MS_RDONLY and the
		// others need a remount.
		if flags&unix.MS_REC != 0 {
			_, err = vfsys.BindMountRecursive(svd, tvd, svd.Mount.Flags())
		} else {
			_, err = vfsys.BindMount(svd, tvd, svd.Mount.Flags())
		}
		return 0, err
	case flags&msPropagation != 0:
		// Exactly one propagation type (with MS_REC and MS_SILENT at most), on a mount's
		// root, as Linux's do_change_type requires.
		if !tvd.IsMountRoot() {
			return 0, unix.EINVAL
		}
		if p := flags & msPropagation; p&(p-1) != 0 || flags&^(msPropagation|unix.MS_REC|unix.MS_SILENT) != 0 {
			return 0, unix.EINVAL
		}
		vfsys.SetPropagation(tvd.Mount, flags, flags&unix.MS_REC != 0)
		return 0, nil
	case flags&unix.MS_MOVE != 0:
		svd, err := resolvePath(t, srcAddr, true)
		if err != nil {
			return 0, err
		}
		return 0, vfsys.MoveMount(svd, tvd)
	}
	fstype, err := t.CopyInString(typeAddr, 4096)
	if err != nil {
		return 0, err
	}
	if !mountableTypes[fstype] || !contains(vfs.FilesystemTypes(), fstype) {
		return 0, unix.ENODEV
	}
	var data string
	if dataAddr != 0 {
		// The data page: at most a page, NUL-terminated.
		if data, err = t.CopyInString(dataAddr, 4096); err != nil {
			return 0, err
		}
	}
	src := "none"
	if srcAddr != 0 {
		if src, err = t.CopyInString(srcAddr, vfs.PathMax); err != nil {
			return 0, err
		}
	}
	opts := vfs.MountOptions{Source: src, Data: data, Creds: vfs.TaskCreds(t)}
	if fstype == proc.Name || fstype == proc.SysfsName {
		// A proc instance shows the mounting task's pid namespace.
		opts.Private = proc.Options{Kernel: t.Kernel(), PIDNamespace: t.PIDNamespace()}
	}
	if !tvd.Dentry.IsDir() {
		return 0, unix.ENOTDIR
	}
	fs, err := vfsys.NewFilesystem(fstype, opts)
	if err != nil {
		return 0, err
	}
	_, err = vfsys.MountAt(fs, tvd, flags&perMount)
	return 0, err
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// Umount2 implements Linux syscall umount2(2): MNT_DETACH detaches the mount and those
// below it (open files keep working); otherwise EBUSY if something is mounted below or
// the mount is in use (open files, a process's cwd or root). MNT_EXPIRE marks the mount
// (EAGAIN) and a second call unmounts it. MNT_FORCE is accepted.
func Umount2(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := args.Int(1)
	const valid = unix.MNT_FORCE | unix.MNT_DETACH | unix.MNT_EXPIRE | unix.UMOUNT_NOFOLLOW
	if flags&^valid != 0 || flags&unix.MNT_EXPIRE != 0 && flags&(unix.MNT_FORCE|unix.MNT_DETACH) != 0 {
		return 0, unix.EINVAL
	}
	target, err := copyInPath(t, args.Pointer(0))
	if err != nil {
		return 0, err
	}
	pop, err := pathOp(t, unix.AT_FDCWD, target, flags&unix.UMOUNT_NOFOLLOW == 0)
	if err != nil {
		return 0, err
	}
	pop.KeepExpiry = true // umount2's own lookup is no use of the mount (MNT_EXPIRE)
	fsc, err := fsContext(t)
	if err != nil {
		return 0, err
	}
	vd, err := fsc.VFS().GetDentry(vfs.TaskCreds(t), pop)
	if err != nil {
		return 0, err
	}
	if !t.ThreadGroup().Creds().HasCap(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	if !vd.IsMountRoot() {
		return 0, unix.EINVAL
	}
	expire := flags&unix.MNT_EXPIRE != 0
	if expire && vd.Mount == fsc.Root().Mount {
		return 0, unix.EINVAL
	}
	if flags&unix.MNT_DETACH != 0 {
		return 0, fsc.VFS().UmountDetach(vd)
	}
	return 0, fsc.VFS().Umount(vd, expire)
}
