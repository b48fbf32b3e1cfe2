package boot

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/host"
	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Exec starts a process in the running container (`runsc exec`): its executable is found
// and opened through the container's root filesystem, as init's was; it starts in the
// container's root with e.Cwd as its working directory (init's if empty) and init's umask.
// stdio are its descriptors 0, 1 and 2 (host files; missing ones are closed); Exec makes
// its own copies. With e.Terminal, stdio[0] is a host pty's slave and the process gets a
// terminal of its own instead (StartConsole), the controlling terminal of its session.
//
// Preconditions: Prepare succeeded.
func (s *Sandbox) Exec(e control.ExecSpec, stdio []*os.File) (*kernel.ThreadGroup, error) {
	if s.prep == nil || s.prep.template == nil {
		return nil, errors.New("the container's filesystem is not ready")
	}
	return s.execIn(s.prep.template, spawnOpts{container: s.ContainerID}, e, stdio)
}

// execIn is Exec in the container whose filesystem context template is tmpl, with o's
// container and pid namespace.
func (s *Sandbox) execIn(tmpl kernel.FSContext, o spawnOpts, e control.ExecSpec, stdio []*os.File) (*kernel.ThreadGroup, error) {
	if len(e.Args) == 0 {
		return nil, errors.New("no command to run")
	}
	fsc := tmpl.Fork().(*vfs.FSContext)
	caps := KernelCaps(e.Caps)
	creds := vfs.CredsFor(e.UID, e.GID, e.AdditionalGIDs)
	if caps != nil {
		creds.Caps = caps.Normalize().Effective
	}
	if e.Cwd != "" {
		root := fsc.Root()
		pop := &vfs.PathOperation{Root: root, Start: root, Path: e.Cwd, FollowFinal: true}
		cwd, err := fsc.VFS().GetDentry(creds, pop)
		if err == nil && !cwd.Dentry.IsDir() {
			err = unix.ENOTDIR
		}
		if err != nil {
			fsc.DecRef()
			return nil, fmt.Errorf("cwd %s: %w", e.Cwd, err)
		}
		fsc.SetCwd(cwd)
	}
	exe, path, err := openInitExecutable(fsc, creds, e.Args[0], e.Env)
	if err != nil {
		fsc.DecRef()
		return nil, ExecError(e.Args[0], err)
	}
	defer exe.Release()
	return s.spawn(fsc, exe, path, e, stdio, o)
}

// spawnOpts are what a process started from outside gets beyond its ExecSpec.
type spawnOpts struct {
	// container is its container's id; init makes it that container's init.
	container string
	init      bool
	// rlimits override the sandbox init's resource limits.
	rlimits map[int]kernel.Rlimit
	// pidns is the pid namespace the process is made in (nil: the sandbox's).
	pidns *kernel.PIDNamespace
}

// spawn starts a process with filesystem context fsc (whose reference it takes over) and
// executable exe (opened through it; the caller releases it once spawn returns): its
// terminal or stdio as e says, then kernel.Spawn.
func (s *Sandbox) spawn(fsc *vfs.FSContext, exe *vfs.FileDescription, path string, e control.ExecSpec, stdio []*os.File, o spawnOpts) (*kernel.ThreadGroup, error) {
	var files [3]kernel.File
	var onSession func(*kernel.Session, *kernel.ProcessGroup)
	if e.Terminal {
		// stdio[0] is the slave of a host pty made for this process: it gets a terminal
		// of the container's devpts, joined to that pty, as its descriptors 0-2 and its
		// new session's controlling terminal. The host pty is not this process's
		// controlling terminal: runsc exec sends SIGWINCH when it is resized
		// (runsc/cmd's execConsole), and every console then re-reads its size.
		if len(stdio) == 0 {
			fsc.DecRef()
			return nil, errors.New("a terminal needs the host pty's slave")
		}
		fd, err := unix.FcntlInt(stdio[0].Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			fsc.DecRef()
			return nil, fmt.Errorf("console: %w", err)
		}
		c := &Console{In: fd, Out: fd, Stdio: [3]bool{true, true, true}, Own: true}
		files, onSession, err = s.StartConsole(fsc, c)
		if err != nil {
			unix.Close(fd)
			fsc.DecRef()
			return nil, err
		}
		stdio = nil
	}
	for i := 0; i < len(files) && i < len(stdio); i++ {
		fd, err := unix.FcntlInt(stdio[i].Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			continue
		}
		f, err := host.New(fd)
		if err != nil {
			unix.Close(fd)
			continue
		}
		files[i] = f
	}
	tg, err := s.Kernel.Spawn(kernel.SpawnArgs{
		Executable: exe, Path: path, Argv: e.Args, Envv: e.Env, Stdio: files, FS: fsc,
		UID: e.UID, GID: e.GID, Groups: e.AdditionalGIDs, OnSession: onSession, Caps: KernelCaps(e.Caps), NoNewPrivs: e.NoNewPrivs,
		Container: o.container, ContainerInit: o.init, Rlimits: o.rlimits, PIDNamespace: o.pidns,
	})
	if err != nil {
		return nil, ExecError(e.Args[0], err)
	}
	return tg, nil
}
