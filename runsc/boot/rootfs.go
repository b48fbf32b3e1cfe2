package boot

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/dev"
	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	"github.com/stockade-sandbox/stockade/fsimpl/overlay"
	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// RootFS says what the container's root filesystem is. The zero value is an empty tmpfs
// root (with /dev and /tmp), for callers that have no gofer yet.
type RootFS struct {
	// Gofer serves the root as attach point "/".
	Gofer *client.Client
	// Overlay puts a writable in-memory layer over the gofer's root, which is then used
	// read-only: nothing the sandbox changes reaches the host (runsc do's mode).
	Overlay bool
	// Cwd is init's working directory; "/" if empty or if it does not exist in the sandbox.
	Cwd string
	// UID and GID are init's identity, for the execute permission check of the program.
	UID, GID uint32
	// Kernel is given to the filesystems built from kernel state (proc) as
	// vfs.MountOptions.Private.
	Kernel *kernel.Kernel
}

// Optional filesystem types mounted when their package is linked in (registered): the hook
// for procfs and sysfs, which are other engineers' work.
var optionalMounts = []struct {
	path, fstype string
	flags        uint32
}{
	{"/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
	{"/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RDONLY},
}

// newRootFS builds the container's root mount namespace and init's filesystem context:
//
//   - / is the gofer's root, under an overlay (upper in memory) if r.Overlay, or an empty
//     tmpfs without a gofer;
//   - /dev is a devtmpfs;
//   - /tmp is a fresh tmpfs if the root has no /tmp or an empty one. As gVisor does, a
//     non-empty /tmp in the image is kept (under the overlay it is writable in memory
//     anyway): hiding it would hide files the program may expect, such as the host's /tmp
//     that `runsc do` programs are often started from.
//   - /proc and /sys when a "proc" or "sysfs" filesystem type is registered.
func newRootFS(r RootFS) (*vfs.FSContext, error) {
	v := vfs.New()
	ns, err := newRootNamespace(v, r)
	if err != nil {
		return nil, err
	}
	root := ns.Root()
	type mount struct {
		path, fstype, data string
		flags              uint32
	}
	mounts := []mount{{"/dev", dev.Name, "mode=755", unix.MS_NOSUID}}
	if r.Gofer == nil || dirEmptyOrMissing(v, root, "/tmp") {
		mounts = append(mounts, mount{"/tmp", tmpfs.Name, "mode=1777", unix.MS_NOSUID | unix.MS_NODEV})
	}
	registered := map[string]bool{}
	for _, t := range vfs.FilesystemTypes() {
		registered[t] = true
	}
	for _, m := range optionalMounts {
		if registered[m.fstype] {
			mounts = append(mounts, mount{m.path, m.fstype, "", m.flags})
		}
	}
	for _, m := range mounts {
		target, err := mountPoint(v, root, m.path)
		if err != nil {
			return nil, fmt.Errorf("mount point %s: %w", m.path, err)
		}
		fs, err := v.NewFilesystem(m.fstype, vfs.MountOptions{Source: "none", Data: m.data, Creds: vfs.RootCreds, Private: r.Kernel})
		if err != nil {
			return nil, fmt.Errorf("creating %s for %s: %w", m.fstype, m.path, err)
		}
		if _, err := v.MountAt(fs, target, m.flags); err != nil {
			return nil, fmt.Errorf("mounting %s: %w", m.path, err)
		}
	}
	fsc := vfs.NewFSContext(ns)
	if r.Cwd != "" && r.Cwd != "/" {
		cwd, err := v.GetDentry(&vfs.Creds{UID: r.UID, GID: r.GID}, &vfs.PathOperation{Root: root, Start: root, Path: r.Cwd, FollowFinal: true})
		if err == nil && cwd.Dentry.IsDir() {
			fsc.SetCwd(cwd)
		}
	}
	return fsc, nil
}

// newRootNamespace makes the mount namespace whose root is r's root filesystem.
func newRootNamespace(v *vfs.VirtualFilesystem, r RootFS) (*vfs.MountNamespace, error) {
	if r.Gofer == nil {
		return v.NewMountNamespace(tmpfs.Name, vfs.MountOptions{Source: "none", Data: "mode=755", Creds: vfs.RootCreds}, 0)
	}
	if r.Overlay {
		_, lower, err := gofer.New(gofer.Options{Client: r.Gofer, Attach: "/", ReadOnly: true})
		if err != nil {
			return nil, fmt.Errorf("attaching the gofer root: %w", err)
		}
		ns, err := v.NewMountNamespace(overlay.Name, vfs.MountOptions{Source: "overlay", Private: overlay.Options{Lower: lower}}, 0)
		if err != nil {
			return nil, fmt.Errorf("overlay root: %w", err)
		}
		return ns, nil
	}
	opts := gofer.Options{Client: r.Gofer, Attach: "/"}
	ns, err := v.NewMountNamespace(gofer.Name, vfs.MountOptions{Source: "/", Private: opts}, 0)
	if err != nil {
		return nil, fmt.Errorf("gofer root: %w", err)
	}
	if ns.Root().Mount.Filesystem().Impl().(*gofer.Filesystem).ReadOnly() {
		ns.Root().Mount.SetFlags(unix.MS_RDONLY)
	}
	return ns, nil
}

// mountPoint returns the directory p under root, creating it if it does not exist.
func mountPoint(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) (vfs.VirtualDentry, error) {
	pop := &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}
	vd, err := v.GetDentry(vfs.RootCreds, pop)
	if errors.Is(err, unix.ENOENT) {
		if err := v.MkdirAt(vfs.RootCreds, pop, 0755); err != nil {
			return vfs.VirtualDentry{}, err
		}
		vd, err = v.GetDentry(vfs.RootCreds, pop)
	}
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	if !vd.Dentry.IsDir() {
		return vfs.VirtualDentry{}, unix.ENOTDIR
	}
	return vd, nil
}

// dirEmptyOrMissing reports whether p is missing or an empty directory.
func dirEmptyOrMissing(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) bool {
	fd, err := v.OpenAt(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return errors.Is(err, unix.ENOENT)
	}
	defer fd.Release()
	empty := true
	fd.IterDirents(func(d vfs.Dirent, _ int64) bool {
		if d.Name != "." && d.Name != ".." {
			empty = false
			return false
		}
		return true
	})
	return empty
}

// ErrCommandNotFound is wrapped by the error of a program name that is not on PATH.
var ErrCommandNotFound = errors.New("command not found")

// openInitExecutable finds name as execvp(3) would, inside the sandbox and through its VFS
// (so through the gofer for a gofer root: the sandbox process opens no host file), and opens
// it for execution: a name with a slash is a path (relative to init's cwd), any other is
// looked up in env's PATH. It returns the file and its path in the sandbox.
func openInitExecutable(fsc *vfs.FSContext, creds *vfs.Creds, name string, env []string) (*vfs.FileDescription, string, error) {
	if name == "" {
		return nil, "", fmt.Errorf("empty executable name: %w", unix.ENOENT)
	}
	if strings.Contains(name, "/") {
		fd, err := openInSandbox(fsc, creds, name)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		return fd, name, nil
	}
	search := defaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	var firstErr error
	for _, dir := range strings.Split(search, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		if !strings.Contains(p, "/") {
			p = "./" + p
		}
		fd, err := openInSandbox(fsc, creds, p)
		if err == nil {
			return fd, p, nil
		}
		// As execvp does, keep searching past missing files, but remember a file that was
		// found and could not be used.
		if firstErr == nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
			firstErr = fmt.Errorf("%s: %w", p, err)
		}
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	return nil, "", fmt.Errorf("%s: %w", name, ErrCommandNotFound)
}

// openInSandbox opens p in the sandbox (as vfs.OpenExecutable does for a task): a
// regular file on a mount without MS_NOEXEC, with execute permission for creds.
func openInSandbox(fsc *vfs.FSContext, creds *vfs.Creds, p string) (*vfs.FileDescription, error) {
	v := fsc.VFS()
	fd, err := v.OpenAt(creds, &vfs.PathOperation{Root: fsc.Root(), Start: fsc.Cwd(), Path: p, FollowFinal: true}, unix.O_RDONLY, 0)
	if err != nil {
		if err == unix.EISDIR {
			err = unix.EACCES
		}
		return nil, err
	}
	vd := fd.VirtualDentry()
	if vd.Dentry.IsDir() {
		fd.Release()
		return nil, unix.EISDIR
	}
	if vd.Dentry.Type() != unix.S_IFREG || vd.Mount.Flags()&unix.MS_NOEXEC != 0 {
		fd.Release()
		return nil, unix.EACCES
	}
	if err := v.Access(creds, vd, unix.X_OK); err != nil {
		fd.Release()
		return nil, err
	}
	return fd, nil
}
