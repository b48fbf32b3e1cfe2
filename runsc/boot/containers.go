package boot

import (
	"errors"
	"fmt"
	"os"

	"github.com/stockade-sandbox/stockade/fsimpl/gofer"
	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Containers that join a running sandbox (Kubernetes pods: the CRI annotations, see
// ContainerConfig.ContainerType). Each has its own gofer, its own mount namespace built from
// its config as init's is (newRootFS), and its own processes in the sandbox's kernel
// (sentry/kernel/kernel_containers.go), in a pid namespace of its own unless its spec
// names the sandbox's (ContainerConfig.SharesPIDNamespace); it shares the kernel, memory,
// network stack and hostname of the sandbox. Its resource limits are the sandbox's (only process.rlimits are
// its own).

// JoinedContainer is a container that joined the sandbox, prepared by PrepareContainer.
type JoinedContainer struct {
	// ID is the container id.
	ID  string
	cfg ContainerConfig
	// gofer serves its root and bind mounts; closing it ends the gofer.
	gofer *client.Client
	// fsc and exe are its init's filesystem context and executable until StartContainer
	// uses them (nil after); template is an unused copy of fsc for exec'd processes.
	fsc      *vfs.FSContext
	exe      *vfs.FileDescription
	path     string
	template kernel.FSContext
	// goferFS are the gofer filesystems of its mounts.
	goferFS []*gofer.Filesystem
	// pidns is its pid namespace, whose init its init is; nil when it shares the
	// sandbox's (ContainerConfig.SharesPIDNamespace).
	pidns *kernel.PIDNamespace
}

// PIDNamespace returns the pid namespace of jc's processes (the sandbox's when it shares
// it).
func (jc *JoinedContainer) PIDNamespace(k *kernel.Kernel) *kernel.PIDNamespace {
	if jc.pidns == nil {
		return k.RootPIDNamespace()
	}
	return jc.pidns
}

// PrepareContainer builds the root filesystem of container cfg, served by gofer g, and finds
// and opens its init's executable through it, so that a bad one fails `runsc create`. On
// success the container owns g; on failure g is closed.
func (s *Sandbox) PrepareContainer(cfg ContainerConfig, g *client.Client, logf func(string, ...any)) (*JoinedContainer, error) {
	if len(cfg.Args) == 0 {
		g.Close()
		return nil, errors.New("the container has no process to run")
	}
	// Its pid namespace exists before its init, so that its /proc shows it.
	var pidns *kernel.PIDNamespace
	if !cfg.SharesPIDNamespace {
		var err error
		if pidns, err = s.Kernel.RootPIDNamespace().NewChild(); err != nil {
			g.Close()
			return nil, fmt.Errorf("pid namespace: %w", err)
		}
	}
	r := cfg.RootFS(g)
	r.Kernel = s.Kernel
	r.PIDNamespace = pidns
	r.Logf = logf
	var gfs []*gofer.Filesystem
	r.goferFS = func(fs *gofer.Filesystem) { gfs = append(gfs, fs) }
	fsc, err := newRootFS(r)
	if err != nil {
		g.Close()
		return nil, &rootFSError{err}
	}
	exe, path, err := openInitExecutable(fsc, r.creds(), cfg.Args[0], cfg.Env)
	if err != nil {
		fsc.DecRef()
		g.Close()
		return nil, ExecError(cfg.Args[0], err)
	}
	return &JoinedContainer{ID: cfg.ID, cfg: cfg, gofer: g, fsc: fsc, exe: exe, path: path, template: fsc.Fork(), goferFS: gfs, pidns: pidns}, nil
}

// StartContainer starts jc's init, in a new session, with stdio as its descriptors 0-2 (or,
// if the container has a terminal, stdio[0] the slave of its host pty): pid 1 of the
// container's pid namespace unless it shares the sandbox's. Its exit kills the rest of the
// container (the namespace's rule, or kernel.SpawnArgs.ContainerInit's).
func (s *Sandbox) StartContainer(jc *JoinedContainer, stdio []*os.File) (*kernel.ThreadGroup, error) {
	if jc.fsc == nil {
		return nil, errors.New("the container's init was already started")
	}
	c := &jc.cfg
	e := control.ExecSpec{
		Args: c.Args, Env: c.Env, UID: c.UID, GID: c.GID, AdditionalGIDs: c.AdditionalGIDs,
		Caps: c.Caps, NoNewPrivs: c.NoNewPrivileges, Stdio: len(stdio), Terminal: c.Terminal,
	}
	o := spawnOpts{container: jc.ID, init: true, pidns: jc.pidns}
	if len(c.Rlimits) > 0 {
		o.rlimits = make(map[int]kernel.Rlimit, len(c.Rlimits))
		for _, r := range c.Rlimits {
			o.rlimits[r.Resource] = kernel.Rlimit{Cur: r.Cur, Max: r.Max}
		}
	}
	fsc, exe := jc.fsc, jc.exe
	jc.fsc, jc.exe = nil, nil
	defer exe.Release()
	return s.spawn(fsc, exe, jc.path, e, stdio, o)
}

// ExecInContainer is Exec in jc: the process joins its pid namespace.
func (s *Sandbox) ExecInContainer(jc *JoinedContainer, e control.ExecSpec, stdio []*os.File) (*kernel.ThreadGroup, error) {
	return s.execIn(jc.template, spawnOpts{container: jc.ID, pidns: jc.pidns}, e, stdio)
}

// Release drops what jc holds: its filesystem contexts (and so, once its processes are
// gone, its mount namespace), the host files its filesystems keep open (so that the
// sandbox holds nothing in its root: gofer.Filesystem.ReleaseHostFiles) and its gofer,
// which then exits.
//
// Preconditions: no process of jc is left.
func (jc *JoinedContainer) Release() {
	if jc.exe != nil {
		jc.exe.Release()
		jc.exe = nil
	}
	if jc.fsc != nil {
		jc.fsc.DecRef()
		jc.fsc = nil
	}
	if jc.template != nil {
		jc.template.DecRef()
		jc.template = nil
	}
	for _, fs := range jc.goferFS {
		fs.ReleaseHostFiles()
	}
	jc.goferFS = nil
	if jc.gofer != nil {
		jc.gofer.Close()
		jc.gofer = nil
	}
}
