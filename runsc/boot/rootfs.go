package boot

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/dev"
	"github.com/stockade-sandbox/stockade/fsimpl/devpts"
	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	"github.com/stockade-sandbox/stockade/fsimpl/overlay"
	"github.com/stockade-sandbox/stockade/fsimpl/proc"
	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// RootFS says what the container's root filesystem is. The zero value is an empty tmpfs
// root (with /dev and /tmp), for callers that have no gofer yet.
type RootFS struct {
	// Gofer serves the root as attach point "/", and each bind mount's source (a directory
	// or a regular file) as an attach point named by its host path.
	Gofer *client.Client
	// Overlay puts a writable in-memory layer over the gofer's root, which is then used
	// read-only: nothing the sandbox changes reaches the host (runsc do's mode).
	Overlay bool
	// Container says that the mounts are the spec's (Mounts, in order; /dev first if they
	// have none) rather than runsc do's defaults (/dev, /tmp if empty, /proc and /sys when
	// registered), and that Cwd is created if missing, as runc does.
	Container bool
	// Mounts are the spec's mounts (with Container).
	Mounts []Mount
	// Devices are the spec's linux.devices, made in /dev after the mounts (with Container).
	Devices []Device
	// ReadonlyPaths and MaskedPaths are the spec's linux.readonlyPaths and
	// linux.maskedPaths, applied after the mounts, in that order, as runc does: each
	// read-only path is bound onto itself read-only; a masked directory gets an empty
	// read-only tmpfs, any other masked file /dev/null. Paths that do not exist are skipped.
	ReadonlyPaths, MaskedPaths []string
	// RootPropagation is linux.rootfsPropagation: "unbindable" and "runbindable" make the
	// root mount (and, with runbindable, every mount) unbindable; the others leave every
	// mount private (the sentry has no shared mounts).
	RootPropagation string
	// ReadOnly makes the root mount read-only once the mount points and the cwd have been
	// made (root.readonly; under the overlay, too: its writable layer then only holds them).
	ReadOnly bool
	// Cwd is init's working directory; "/" if empty (without Container: also if it does
	// not exist in the sandbox).
	Cwd string
	// Umask is init's umask (nil: 022).
	Umask *uint32
	// UID, GID and Groups are init's identity, for the execute permission check of the
	// program and the cwd lookup.
	UID, GID uint32
	Groups   []uint32
	// Caps are init's capability sets (nil: by uid).
	Caps *kernel.CapSets
	// Kernel is given to the filesystems built from kernel state (proc) as
	// vfs.MountOptions.Private; tmpfs instances (and the overlay's upper layer) take its
	// memory file for their data.
	Kernel *kernel.Kernel
	// PIDNamespace is the pid namespace the container's proc instances show (nil: the
	// sandbox's).
	PIDNamespace *kernel.PIDNamespace
	// Logf, if set, receives debug notes (spec mounts that are skipped).
	Logf func(format string, args ...any)
	// goferFS, if set, is called with every gofer filesystem made (a joined container
	// releases their host files when it leaves, containers.go).
	goferFS func(*gofer.Filesystem)
}

func (r *RootFS) noteGofer(fs *gofer.Filesystem) {
	if r.goferFS != nil {
		r.goferFS(fs)
	}
}

func (r *RootFS) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

func (r *RootFS) creds() *vfs.Creds {
	c := vfs.CredsFor(r.UID, r.GID, r.Groups)
	if r.Caps != nil {
		c.Caps = r.Caps.Normalize().Effective
	}
	return c
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

// defaultDevpts is /dev/pts when the spec has no devpts mount, and for `runsc do`: the
// options OCI runtimes' default specs give it, so that /dev/ptmx (-> pts/ptmx) works.
var defaultDevpts = sentryMount{path: "/dev/pts", fstype: devpts.Name, source: "devpts", data: "newinstance,ptmxmode=0666,mode=0620,gid=5",
	flags: unix.MS_NOSUID | unix.MS_NOEXEC}

func hasDevpts(ms []sentryMount) bool {
	for _, m := range ms {
		if m.fstype == devpts.Name {
			return true
		}
	}
	return false
}

// devMount is /dev when the spec has none (and for `runsc do`): the sandbox's devtmpfs.
var devMount = sentryMount{path: "/dev", fstype: dev.Name, source: "devtmpfs", data: "mode=755", flags: unix.MS_NOSUID}

func hasDev(ms []sentryMount) bool {
	for _, m := range ms {
		if m.path == "/dev" {
			return true
		}
	}
	return false
}

// sentryMount is one mount newRootFS makes.
type sentryMount struct {
	path, fstype, source, data string
	flags                      uint32
	// populateDev fills a tmpfs mounted on /dev with the sandbox's device nodes and links
	// (the spec's tmpfs /dev, as runc fills it).
	populateDev bool
	// attach and readOnly are a gofer bind mount's attach point and mode.
	attach   string
	readOnly bool
	// propagation is the spec's propagation option, if any ("unbindable", "rprivate"...).
	propagation string
}

// newRootFS builds the container's root mount namespace and init's filesystem context:
//
//   - / is the gofer's root, under an overlay (upper in memory) if r.Overlay, or an empty
//     tmpfs without a gofer;
//   - with r.Container, the spec's mounts in order (specMounts), after a devtmpfs /dev if
//     they have no /dev, with defaultDevpts right after /dev if they have no devpts; then
//     r.Devices, r.ReadonlyPaths and r.MaskedPaths (maskPaths);
//   - otherwise /dev is a devtmpfs, /dev/pts defaultDevpts,
//     /tmp is a fresh tmpfs if the root has no /tmp or an empty one (as gVisor does, a
//     non-empty /tmp in the image is kept: under the overlay it is writable in memory
//     anyway, and hiding it would hide files the program may expect, such as the host's
//     /tmp that `runsc do` programs are often started from), and /proc and /sys when a
//     "proc" or "sysfs" filesystem type is registered.
func newRootFS(r RootFS) (*vfs.FSContext, error) {
	v := vfs.New()
	ns, err := newRootNamespace(v, r)
	if err != nil {
		return nil, err
	}
	root := ns.Root()
	registered := map[string]bool{}
	for _, t := range vfs.FilesystemTypes() {
		registered[t] = true
	}
	var mounts []sentryMount
	if r.Container {
		sm, err := specMounts(&r, registered)
		if err != nil {
			return nil, err
		}
		if !hasDev(sm) {
			sm = append([]sentryMount{devMount}, sm...)
		}
		for _, m := range sm {
			mounts = append(mounts, m)
			if m.path == "/dev" && !hasDevpts(sm) {
				mounts = append(mounts, defaultDevpts)
			}
		}
	} else {
		mounts = append(mounts, devMount, defaultDevpts)
		if r.Gofer == nil || dirEmptyOrMissing(v, root, "/tmp") {
			mounts = append(mounts, sentryMount{path: "/tmp", fstype: tmpfs.Name, source: "tmpfs", data: "mode=1777", flags: unix.MS_NOSUID | unix.MS_NODEV})
		}
		for _, m := range optionalMounts {
			if registered[m.fstype] {
				mounts = append(mounts, sentryMount{path: m.path, fstype: m.fstype, source: m.fstype, flags: m.flags})
			}
		}
	}
	for _, m := range mounts {
		opts := vfs.MountOptions{Source: m.source, Data: m.data, Creds: vfs.RootCreds, Private: r.Kernel}
		if m.fstype == proc.Name && r.PIDNamespace != nil {
			opts.Private = proc.Options{Kernel: r.Kernel, PIDNamespace: r.PIDNamespace}
		}
		if m.fstype == gofer.Name {
			opts = vfs.MountOptions{Source: m.attach, Private: gofer.Options{Client: r.Gofer, Attach: m.attach, ReadOnly: m.readOnly, MemFile: r.memFile()}}
		}
		fs, err := v.NewFilesystem(m.fstype, opts)
		if err != nil {
			return nil, fmt.Errorf("creating %s for %s: %w", m.fstype, m.path, err)
		}
		if m.populateDev {
			if err := dev.Populate(fs.Impl().(*tmpfs.Filesystem), fs.Root().Inode().(*tmpfs.Dir)); err != nil {
				return nil, fmt.Errorf("populating %s: %w", m.path, err)
			}
		}
		fileBind := false
		if gfs, ok := fs.Impl().(*gofer.Filesystem); ok {
			r.noteGofer(gfs)
			if gfs.ReadOnly() {
				m.flags |= unix.MS_RDONLY
			}
			fileBind = gfs.FileAttach()
		}
		if fileBind {
			// A bind mount of a file: the file goes on a file, created if missing.
			target, err := fileMountPoint(v, root, m.path)
			if err != nil {
				return nil, fmt.Errorf("mount point %s: %w", m.path, err)
			}
			nm, err := v.BindChild(fs, gofer.FileAttachName, target, m.flags)
			if err != nil {
				return nil, fmt.Errorf("mounting %s: %w", m.path, err)
			}
			setPropagation(v, nm, m.propagation)
			continue
		}
		target, err := mountPoint(v, root, m.path, r.Container)
		if err != nil {
			return nil, fmt.Errorf("mount point %s: %w", m.path, err)
		}
		nm, err := v.MountAt(fs, target, m.flags)
		if err != nil {
			return nil, fmt.Errorf("mounting %s: %w", m.path, err)
		}
		setPropagation(v, nm, m.propagation)
	}
	if r.Container {
		if err := makeDevices(v, root, r.Devices); err != nil {
			return nil, err
		}
		if err := readonlyPaths(v, root, r.ReadonlyPaths); err != nil {
			return nil, err
		}
		if err := maskPaths(v, root, r.MaskedPaths); err != nil {
			return nil, err
		}
		setPropagation(v, root.Mount, r.RootPropagation)
	}
	fsc := vfs.NewFSContext(ns)
	if r.Umask != nil {
		fsc.SwapUmask(*r.Umask & 0o777)
	}
	if r.Cwd != "" && r.Cwd != "/" {
		pop := &vfs.PathOperation{Root: root, Start: root, Path: r.Cwd, FollowFinal: true}
		cwd, err := v.GetDentry(r.creds(), pop)
		if r.Container && errors.Is(err, unix.ENOENT) {
			// As runc: a missing cwd is created (in the overlay, by default).
			if err = mkdirAll(v, root, r.Cwd); err == nil {
				cwd, err = v.GetDentry(r.creds(), pop)
			}
		}
		if err == nil && !cwd.Dentry.IsDir() {
			err = unix.ENOTDIR
		}
		switch {
		case err == nil:
			fsc.SetCwd(cwd)
		case r.Container:
			return nil, fmt.Errorf("process.cwd %s: %w", r.Cwd, err)
		}
	}
	if r.ReadOnly {
		root.Mount.SetFlags(root.Mount.Flags() | unix.MS_RDONLY)
	}
	return fsc, nil
}

// mountFlags are the spec mount options that are mount flags.
var mountFlags = map[string]uint32{
	"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "sync": unix.MS_SYNCHRONOUS, "noatime": unix.MS_NOATIME,
	"nodiratime": unix.MS_NODIRATIME, "relatime": unix.MS_RELATIME,
	"strictatime": unix.MS_STRICTATIME,
}

// tmpfsData are the tmpfs options the sentry's tmpfs takes as data.
var tmpfsData = map[string]bool{"size": true, "mode": true, "uid": true, "gid": true}

// devptsData are the spec's devpts options that reach the filesystem.
var devptsData = map[string]bool{"newinstance": true, "ptmxmode": true, "mode": true, "uid": true, "gid": true, "max": true}

// specMounts turns the spec's mounts into the sentry's, in order: bind mounts through the
// gofer's attach points, tmpfs (a tmpfs or devtmpfs on /dev is filled with the sandbox's
// devices), devpts, and other types when registered (proc, sysfs, mqueue). Others (cgroup,
// ...) are skipped with a debug note: the sandbox has no such filesystems yet. Each keeps
// the spec's source, which /proc/<pid>/mountinfo shows.
func specMounts(r *RootFS, registered map[string]bool) ([]sentryMount, error) {
	var out []sentryMount
	for _, m := range r.Mounts {
		dst := path.Clean(m.Destination)
		var flags uint32
		var data []string
		var sm sentryMount
		keys := tmpfsData
		if m.Type == "devpts" {
			keys = devptsData
		}
		for _, o := range m.Options {
			k, _, _ := strings.Cut(o, "=")
			switch {
			case mountFlags[o] != 0:
				flags |= mountFlags[o]
			case o == "rw":
				flags &^= unix.MS_RDONLY
			case keys[k]:
				data = append(data, o)
			case propagationTypes[o]:
				sm.propagation = o
			}
		}
		sm.path, sm.source, sm.flags = dst, m.Source, flags&^unix.MS_RELATIME&^unix.MS_STRICTATIME&^unix.MS_NODIRATIME&^unix.MS_NOATIME&^unix.MS_SYNCHRONOUS
		switch {
		case m.IsBind():
			if r.Gofer == nil {
				return nil, fmt.Errorf("bind mount %s: no gofer", dst)
			}
			sm.fstype, sm.attach, sm.readOnly = gofer.Name, m.Source, m.ReadOnly()
		case dst == "/dev" && m.Type == "tmpfs":
			// As runc: a tmpfs, in its place among the mounts, with the devices made in it.
			sm.fstype, sm.data, sm.populateDev = tmpfs.Name, strings.Join(data, ","), true
		case dst == "/dev" && m.Type == "devtmpfs":
			sm.fstype, sm.data = dev.Name, strings.Join(data, ",")
		case m.Type == "tmpfs":
			sm.fstype, sm.data = tmpfs.Name, strings.Join(data, ",")
		case m.Type == "devpts":
			sm.fstype, sm.data = devpts.Name, strings.Join(data, ",")
		case m.Type == "proc" || m.Type == "sysfs" || m.Type == "mqueue":
			if !registered[m.Type] {
				r.logf("mount %s: no %s filesystem in the sandbox yet; skipped", dst, m.Type)
				continue
			}
			sm.fstype = m.Type
		default:
			r.logf("mount %s: filesystem type %q is not supported in the sandbox yet; skipped", dst, m.Type)
			continue
		}
		out = append(out, sm)
	}
	return out, nil
}

// IsPropagation says whether s is a mount propagation option (and so a valid
// linux.rootfsPropagation).
func IsPropagation(s string) bool { return propagationTypes[s] }

// propagationTypes are the spec's mount propagation options.
var propagationTypes = map[string]bool{
	"shared": true, "rshared": true, "slave": true, "rslave": true, "private": true,
	"rprivate": true, "unbindable": true, "runbindable": true,
}

// setPropagation applies a spec propagation option (or linux.rootfsPropagation) to m: the
// unbindable ones are kept (with runbindable, for the mounts below m too); shared and
// slave ones leave the mounts private, as the sentry has no propagation between mounts.
func setPropagation(v *vfs.VirtualFilesystem, m *vfs.Mount, p string) {
	switch p {
	case "unbindable":
		v.SetPropagation(m, unix.MS_UNBINDABLE, false)
	case "runbindable":
		v.SetPropagation(m, unix.MS_UNBINDABLE, true)
	}
}

// newRootNamespace makes the mount namespace whose root is r's root filesystem.
func newRootNamespace(v *vfs.VirtualFilesystem, r RootFS) (*vfs.MountNamespace, error) {
	if r.Gofer == nil {
		return v.NewMountNamespace(tmpfs.Name, vfs.MountOptions{Source: "none", Data: "mode=755", Creds: vfs.RootCreds, Private: r.Kernel}, 0)
	}
	if r.Overlay {
		gfs, lower, err := gofer.New(gofer.Options{Client: r.Gofer, Attach: "/", ReadOnly: true, MemFile: r.memFile()})
		if err != nil {
			return nil, fmt.Errorf("attaching the gofer root: %w", err)
		}
		r.noteGofer(gfs)
		oopts := overlay.Options{Lower: lower}
		if r.Kernel != nil {
			oopts.MemFile = r.Kernel.MemFile // upper-layer files map MAP_SHARED
		}
		ns, err := v.NewMountNamespace(overlay.Name, vfs.MountOptions{Source: "overlay", Private: oopts}, 0)
		if err != nil {
			return nil, fmt.Errorf("overlay root: %w", err)
		}
		return ns, nil
	}
	opts := gofer.Options{Client: r.Gofer, Attach: "/", MemFile: r.memFile()}
	ns, err := v.NewMountNamespace(gofer.Name, vfs.MountOptions{Source: "/", Private: opts}, 0)
	if err != nil {
		return nil, fmt.Errorf("gofer root: %w", err)
	}
	gfs := ns.Root().Mount.Filesystem().Impl().(*gofer.Filesystem)
	r.noteGofer(gfs)
	if gfs.ReadOnly() {
		ns.Root().Mount.SetFlags(unix.MS_RDONLY)
	}
	return ns, nil
}

// mountPoint returns the directory p under root, creating it if it does not exist (with
// all, its missing parents too).
func mountPoint(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string, all bool) (vfs.VirtualDentry, error) {
	pop := &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}
	vd, err := v.GetDentry(vfs.RootCreds, pop)
	if errors.Is(err, unix.ENOENT) {
		if all {
			err = mkdirAll(v, root, p)
		} else {
			err = v.MkdirAt(vfs.RootCreds, pop, 0755)
		}
		if err != nil {
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

// fileMountPoint returns the file p under root for a file bind mount, creating it (empty,
// mode 0644, with its missing parents) if it does not exist, as runc does. EISDIR if p is a
// directory.
func fileMountPoint(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) (vfs.VirtualDentry, error) {
	pop := &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}
	vd, err := v.GetDentry(vfs.RootCreds, pop)
	if errors.Is(err, unix.ENOENT) {
		if err = mkdirAll(v, root, path.Dir(path.Clean(p))); err != nil {
			return vfs.VirtualDentry{}, err
		}
		fd, err := v.OpenAt(vfs.RootCreds, pop, unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err != nil {
			return vfs.VirtualDentry{}, err
		}
		fd.Release()
		vd, err = v.GetDentry(vfs.RootCreds, pop)
	}
	if err != nil {
		return vfs.VirtualDentry{}, err
	}
	if vd.Dentry.IsDir() {
		return vfs.VirtualDentry{}, unix.EISDIR
	}
	return vd, nil
}

// mkdirAll creates directory p and its missing parents (mode 0755, as root).
func mkdirAll(v *vfs.VirtualFilesystem, root vfs.VirtualDentry, p string) error {
	cur := "/"
	for _, c := range strings.Split(strings.Trim(path.Clean(p), "/"), "/") {
		if c == "" {
			continue
		}
		cur = path.Join(cur, c)
		err := v.MkdirAt(vfs.RootCreds, &vfs.PathOperation{Root: root, Start: root, Path: cur, FollowFinal: true}, 0755)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	return nil
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

// ExecError phrases a failure to prepare a container's init (Sandbox.Prepare) as runc
// does for its executable name: `exec "NAME": executable file not found in $PATH`, or
// `exec "NAME": ERRNO` for a file that cannot be used. Other errors are returned as they are.
func ExecError(name string, err error) error {
	var rfs *rootFSError
	switch {
	case errors.As(err, &rfs):
		return err
	case errors.Is(err, ErrCommandNotFound):
		return fmt.Errorf("exec %q: executable file not found in $PATH", name)
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return fmt.Errorf("exec %q: %w", name, errno)
	}
	return fmt.Errorf("exec %q: %w", name, err)
}

// rootFSError is a failure to build the root filesystem (not the executable's fault).
type rootFSError struct{ err error }

func (e *rootFSError) Error() string { return "building the root filesystem: " + e.err.Error() }
func (e *rootFSError) Unwrap() error { return e.err }

// memFile returns the kernel's memory file, where gofer files mapped MAP_SHARED cache their
// pages (nil without a kernel).
func (r RootFS) memFile() *memfile.File {
	if r.Kernel == nil {
		return nil
	}
	return r.Kernel.MemFile
}
