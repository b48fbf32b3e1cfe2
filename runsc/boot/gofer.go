package boot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/runsc/confine"
)

// GoferSpec says what a gofer process serves: the container's root and the host
// directories and files of its bind mounts (each its own attach point, named by its host
// path).
type GoferSpec struct {
	// Root is the host directory served as attach point "/"; RootReadOnly serves it
	// read-only.
	Root         string
	RootReadOnly bool
	// Mounts are the bind mount sources.
	Mounts []GoferMount
	// Setsid starts the gofer in a session of its own (a container's gofer outlives runsc
	// create and must not get the terminal's signals).
	Setsid bool
	// Rootless starts the gofer in a user namespace of its own (confine.InUserNamespace),
	// where it is root and may chroot (the caller's files are served as owned by 0). The
	// gofer always gets new network, pid, ipc and uts namespaces.
	Rootless bool
	// UIDMappings and GIDMappings, when set, start the gofer in a user namespace with
	// these mappings instead (the container's: ContainerConfig.UIDMappings): the kernel
	// then translates every owner the gofer reads or writes.
	UIDMappings, GIDMappings []IDMap
}

// GoferMount is one host directory or regular file the gofer serves as an attach point of
// its own name.
type GoferMount struct {
	Path     string
	ReadOnly bool
}

// GoferSpec returns what the container's gofer serves: the root (read-only unless the
// container writes through to it: --overlay=none and a writable root.path) and the source
// of every bind mount, read-write if any bind mount of it is.
func (c *ContainerConfig) GoferSpec() GoferSpec {
	gs := GoferSpec{Root: c.Root, RootReadOnly: c.RootReadonly || c.Overlay, Setsid: true,
		UIDMappings: c.UIDMappings, GIDMappings: c.GIDMappings}
	rw := map[string]bool{}
	for _, m := range c.Mounts {
		if !m.IsBind() {
			continue
		}
		rw[m.Source] = rw[m.Source] || !m.ReadOnly()
	}
	for p, w := range rw {
		gs.Mounts = append(gs.Mounts, GoferMount{Path: p, ReadOnly: !w})
	}
	sort.Slice(gs.Mounts, func(i, j int) bool { return gs.Mounts[i].Path < gs.Mounts[j].Path })
	return gs
}

// StartGofer starts `runsc gofer` serving gs as a separate process, connected to the
// sentry by a SOCK_SEQPACKET socketpair: the gofer gets one end as its descriptor 3, and
// the other end is returned (close-on-exec) for the sentry, which dials it with
// gofer/client (`runsc do` in its own process; `runsc create` passes it on to `runsc
// boot`). The gofer serves until the sentry's end is closed. stderr is the gofer's stderr
// (nil: this process's).
//
// The root and every mount are cloned here as detached mount trees
// (confine.CloneTree: read-only ones read-only) and passed as descriptors 4, 5, ...
// (`runsc gofer --mount-trees 4`), which the gofer mounts in its own root: the paths are
// walked here, as the caller, because a gofer in a user namespace is a host user that may
// not be allowed to walk them (a bundle in a directory only root may search), and a
// descriptor of this mount namespace's files cannot be cloned from the gofer's. A caller
// that may not clone mount trees (rootless: EPERM) passes none, and the gofer, whose user
// namespace then maps the caller, walks and clones the paths itself.
func StartGofer(gs GoferSpec, stderr *os.File) (*exec.Cmd, *os.File, error) {
	type served struct {
		path string
		ro   bool
	}
	all := []served{{gs.Root, gs.RootReadOnly}}
	for _, m := range gs.Mounts {
		all = append(all, served{m.Path, m.ReadOnly})
	}
	var trees []*os.File
	defer func() {
		for _, f := range trees {
			f.Close()
		}
	}()
	for i, m := range all {
		t, err := confine.CloneTree(unix.AT_FDCWD, m.path, m.ro)
		if i == 0 && errors.Is(err, unix.EPERM) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("gofer: cloning the mount tree of %s: %w", m.path, err)
		}
		trees = append(trees, os.NewFile(uintptr(t), m.path))
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("gofer socketpair: %w", err)
	}
	theirs := os.NewFile(uintptr(fds[0]), "gofer-socket")
	ours := os.NewFile(uintptr(fds[1]), "gofer-client")
	mode := func(ro bool) string {
		if ro {
			return ":ro"
		}
		return ":rw"
	}
	args := []string{"gofer", "--root", gs.Root + mode(gs.RootReadOnly)}
	for _, m := range gs.Mounts {
		args = append(args, "--mount", m.Path+mode(m.ReadOnly))
	}
	args = append(args, "--fd", "3", "--mount-ns")
	if len(trees) > 0 {
		args = append(args, "--mount-trees", "4")
	}
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = "runsc-gofer"
	// Descriptor 3 in the child, then the root's and mounts' trees.
	cmd.ExtraFiles = append([]*os.File{theirs}, trees...)
	cmd.Stderr = os.Stderr
	// Namespaces of its own for what the gofer needs nothing of: no network, no other
	// process, no System V IPC, no host name; as root as well as rootless, so that a
	// network stays out of reach even if its filter let a socket through. In its own
	// mount namespace it pivots into a root holding only what it serves (runsc/cmd's
	// pivotGoferRoot); its filter allows no mount, chroot or pivot_root afterwards. It is
	// only ever ended by SIGKILL, which reaches a pid namespace's init from outside.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: gs.Setsid,
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS}
	switch {
	case len(gs.UIDMappings) > 0:
		confine.InMappedUserNamespace(cmd.SysProcAttr, sysIDMaps(gs.UIDMappings), sysIDMaps(gs.GIDMappings))
	case gs.Rootless:
		confine.InUserNamespace(cmd.SysProcAttr)
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		ours.Close()
		return nil, nil, fmt.Errorf("starting the gofer: %w", err)
	}
	return cmd, ours, nil
}

// sysIDMaps converts ms for syscall.SysProcAttr.
func sysIDMaps(ms []IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(ms))
	for i, m := range ms {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}

// DialGofer connects to the gofer on f, the sentry's end of its socketpair (StartGofer's,
// or the one `runsc boot` inherits). f is closed.
func DialGofer(f *os.File) (*client.Client, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("gofer socket: %w", err)
	}
	c, err := client.Dial(fd)
	if err != nil {
		return nil, fmt.Errorf("connecting to the gofer: %w", err)
	}
	return c, nil
}
