package cmd

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer"
	"github.com/stockade-sandbox/stockade/runsc/confine"
)

// pivotGoferRoot makes the gofer's root a small read-only tmpfs that holds only what it
// serves and a procfs of its own: mounts[i] is bind-mounted (a recursive clone of its
// tree, confine.CloneTree: runsc's from mounts[i].File, else made here from the path,
// read-only when the mount is) at /i, /proc shows the gofer's pid namespace alone, and the
// host's tree is detached. mounts' Files become descriptors of /0, /1, ... (Path still
// names the host's file, for messages); the trees passed in them are closed.
// The tmpfs is attached over / (only this mount namespace sees it covered), which needs
// no path walked: a gofer in a user namespace may not search the directories above
// $TMPDIR. The caller must be in a mount namespace of its own (StartGofer's CLONE_NEWNS),
// with CAP_SYS_ADMIN over it.
//
// Why: the server holds a descriptor of each thing it serves. With a chroot, the root of a
// bind mount's source was an ordinary directory of the host's tree, and ".." from it led
// to the host's root; here each is the root of a mount whose parent is the tmpfs, so ".."
// ends at the tmpfs's root, and nothing of the host's tree is reachable from the gofer.
func pivotGoferRoot(mounts []gofer.Mount) error {
	// Nothing done here may reach the host's mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the mounts private: %w", err)
	}
	// The trees runsc cloned (Files), or clones of the paths made here, before the
	// scratch tmpfs exists: a tree that contains the scratch directory (`runsc do` serves
	// /) must not show the tmpfs instead of the host's files.
	trees := make([]int, len(mounts))
	for i := range trees {
		trees[i] = -1
	}
	defer func() {
		for _, t := range trees {
			if t >= 0 {
				unix.Close(t)
			}
		}
	}()
	dirs := make([]bool, len(mounts))
	for i, m := range mounts {
		t := -1
		if m.File != nil {
			fd, err := unix.FcntlInt(m.File.Fd(), unix.F_DUPFD_CLOEXEC, 0)
			m.File.Close()
			if err != nil {
				return fmt.Errorf("the mount tree of %s: %w", m.Path, err)
			}
			t = fd
		} else {
			fd, err := confine.CloneTree(unix.AT_FDCWD, m.Path, m.ReadOnly)
			if err != nil {
				return fmt.Errorf("cloning the mount tree of %s: %w", m.Path, err)
			}
			t = fd
		}
		trees[i] = t
		var st unix.Stat_t
		if err := unix.Fstat(t, &st); err != nil {
			return fmt.Errorf("the mount tree of %s: %w", m.Path, err)
		}
		dirs[i] = st.Mode&unix.S_IFMT == unix.S_IFDIR
	}
	// The root: a tmpfs made detached (fsopen, fsmount), attached over / and entered
	// through its own descriptor, so that no path to it is walked.
	root, err := scratchTmpfs()
	if err != nil {
		return err
	}
	defer unix.Close(root)
	if err := unix.MoveMount(root, "", unix.AT_FDCWD, "/", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mounting the gofer's root: %w", err)
	}
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("entering the gofer's root: %w", err)
	}
	for i, t := range trees {
		target := strconv.Itoa(i)
		var err error
		if dirs[i] {
			err = unix.Mkdir(target, 0o755)
		} else {
			var fd int
			if fd, err = unix.Open(target, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o644); err == nil {
				unix.Close(fd)
			}
		}
		if err != nil {
			return fmt.Errorf("making the mount point of %s: %w", mounts[i].Path, err)
		}
		if err := unix.MoveMount(t, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("mounting %s: %w", mounts[i].Path, err)
		}
		mounts[i].File = nil
		unix.Close(t)
		trees[i] = -1
	}
	// The server reopens its descriptors through /proc/self/fd: a procfs of the gofer's
	// own pid namespace, where it is the only process.
	if err := unix.Mkdir("proc", 0o555); err != nil {
		return fmt.Errorf("making the gofer's /proc: %w", err)
	}
	if err := mountProc("proc"); err != nil {
		return fmt.Errorf("mounting the gofer's /proc: %w", err)
	}
	// Read-only from now on (this mount only: not the trees or /proc on it).
	if err := unix.MountSetattr(root, "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
		return fmt.Errorf("making the gofer's root read-only: %w", err)
	}
	// pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the
	// tmpfs alone (Linux's pivot_root(2), "pivot_root(".", ".")").
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	// What NewServer serves: /i, opened here; Path keeps naming the host's file.
	for i := range mounts {
		fd, err := unix.Open("/"+strconv.Itoa(i), unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening %s's mount: %w", mounts[i].Path, err)
		}
		mounts[i].File = os.NewFile(uintptr(fd), mounts[i].Path)
	}
	return nil
}

// scratchTmpfs makes the gofer's root: a detached 16 KiB tmpfs, mode 0755, nosuid,
// nodev, noexec. It returns the mount's descriptor.
func scratchTmpfs() (int, error) {
	fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen tmpfs: %w", err)
	}
	defer unix.Close(fs)
	for _, kv := range [][2]string{{"size", "16k"}, {"mode", "0755"}} {
		if err := unix.FsconfigSetString(fs, kv[0], kv[1]); err != nil {
			return -1, fmt.Errorf("tmpfs %s=%s: %w", kv[0], kv[1], err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("creating the tmpfs: %w", err)
	}
	m, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsmount: %w", err)
	}
	return m, nil
}

// goferProcBindEnv, set to 1, makes mountProc take its fallback (tests only).
const goferProcBindEnv = "STOCKADE_DEBUG_GOFER_PROC_BIND"

// mountProc mounts a procfs of the gofer's pid namespace on target. A user namespace may
// mount a new procfs only where the host's /proc is fully visible (Linux's
// mount_too_revealing: not so in a container whose runtime masked parts of /proc), so
// when that is refused, a clone of the host's /proc is attached instead: /proc/self/fd
// works there too, and the gofer sees the host's processes as any process of its pid
// namespace's parent would (as it did before it had a procfs of its own). Called before
// the pivot, while the host's /proc is reachable.
func mountProc(target string) error {
	var err error = unix.EPERM
	if os.Getenv(goferProcBindEnv) != "1" {
		err = unix.Mount("proc", target, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	}
	if err == nil || !(errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		return err
	}
	host, cerr := confine.CloneTree(unix.AT_FDCWD, "/proc", false)
	if cerr != nil {
		return fmt.Errorf("%w, and cloning the host's /proc: %v", err, cerr)
	}
	defer unix.Close(host)
	return unix.MoveMount(host, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// checkOwnMountNamespace refuses to go on in the mount namespace of the process that
// started this one, where pivotGoferRoot would change the host's mounts. --mount-ns says
// runsc made one (StartGofer); where the parent's namespace can be read, it is compared as
// well (from a user namespace of its own, the gofer may not read it: ptrace rules).
func checkOwnMountNamespace(declared bool) error {
	if !declared {
		return errors.New("not started in a mount namespace of its own (--mount-ns): runsc gofer pivots into a root of its own and must not do so in its parent's namespace")
	}
	mine, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return fmt.Errorf("reading this process's mount namespace: %w", err)
	}
	if parent, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid())); err == nil && parent == mine {
		return fmt.Errorf("--mount-ns is set but the mount namespace %s is the parent's", mine)
	}
	return nil
}
