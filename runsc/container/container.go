// Package container keeps OCI containers' state on the host and drives their sandboxes.
//
// Each container has a directory under the state root (runsc --root), named by its id:
//
//	lock          flock'ed by every command while it works on the container: exclusively
//	              to change its state (create, start, delete), shared to read it or to
//	              signal it (state, list, kill, wait)
//	state.json    the recorded State; written only under the exclusive lock, atomically
//	              (temporary file + rename), so a reader always sees a whole file
//	control.sock  the sandbox's control socket (protocol: runsc/control)
//	exit.json     how init ended; written by the sandbox process itself (atomically) just
//	              before it exits. The sandbox never takes the lock, so a command may wait
//	              for the sandbox while holding it.
//
// A command holds at most one container's lock at a time. The status state.json records
// is refined when loaded: a container whose sandbox process is gone (checked by pid and
// start time, so a reused pid is not mistaken for it) or that has an exit file is stopped.
// The allowed status changes and which commands may act on which status are in status.go.
package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/confine"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Names of the files in a container's directory.
const (
	lockName    = "lock"
	stateName   = "state.json"
	controlName = "control.sock"
	exitName    = "exit.json"
)

// State is what state.json records.
type State struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	Rootfs string `json:"rootfs"`
	// Status is the last status a command recorded (see Container.Status for the live one).
	Status Status `json:"status"`
	// Pid is the sandbox process; PidStartTime is its start time (see procStat). For a
	// container that joined another's sandbox, Pid is its waiter (join.go).
	Pid          int    `json:"pid"`
	PidStartTime uint64 `json:"pidStartTime"`
	// SandboxID is the id of the container whose sandbox this container runs in: its own
	// id, or, for a container that joined a sandbox (a pod's), the sandbox's container's.
	SandboxID string `json:"sandboxId,omitempty"`
	// GoferPid is the container's gofer process (serving its rootfs and bind mounts);
	// GoferStartTime its start time. The gofer exits when the sandbox hangs up; delete
	// makes sure.
	GoferPid       int    `json:"goferPid,omitempty"`
	GoferStartTime uint64 `json:"goferStartTime,omitempty"`
	// Cgroup is the container's cgroup, when it has one (created by create, removed by
	// delete).
	Cgroup *cgroup.Cgroup `json:"cgroup,omitempty"`
	// Hooks are the spec's hooks that are still to run (start's and delete's).
	Hooks *Hooks `json:"hooks,omitempty"`
	// Process holds the defaults of a process `runsc exec` starts: the spec's.
	Process     *ProcessDefaults  `json:"process,omitempty"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Container is a loaded container. It holds the container's lock until Close.
type Container struct {
	State
	dir  string
	lock *os.File
	// status is the live status: State.Status refined by the sandbox's liveness.
	status Status
	// exit is how init ended, when known.
	exit *control.Exit
	// log receives warnings; may be nil.
	log interface{ Warnf(string, ...any) }
}

// Status is the container's live status.
func (c *Container) Status() Status { return c.status }

// ForceStatus changes the live status this Container value acts on, not the recorded one
// (exec --ignore-paused acts on a paused container as on a running one).
func (c *Container) ForceStatus(s Status) { c.status = s }

// ExitStatus is how the container's init ended; nil unless stopped (and nil if the sandbox
// died without saying).
func (c *Container) ExitStatus() *control.Exit { return c.exit }

// Dir is the container's state directory.
func (c *Container) Dir() string { return c.dir }

// Close releases the container's lock.
func (c *Container) Close() {
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
}

// NotExistError is returned for a container id with no state.
type NotExistError struct{ ID string }

func (e *NotExistError) Error() string { return fmt.Sprintf("container %s does not exist", e.ID) }

// lockFile takes the flock on f (exclusive or shared), retrying on EINTR.
func lockFile(f *os.File, exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Load locks and reads container id's state.
func Load(root, id string, exclusive bool) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotExistError{id}
		}
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	if err := lockFile(lock, exclusive); err != nil {
		lock.Close()
		return nil, fmt.Errorf("container %s: locking: %w", id, err)
	}
	c := &Container{dir: dir, lock: lock}
	data, err := os.ReadFile(filepath.Join(dir, stateName))
	if err != nil {
		lock.Close()
		if errors.Is(err, fs.ErrNotExist) {
			// Deleted while we waited for the lock, or a create that has not written it.
			return nil, &NotExistError{id}
		}
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	if err := json.Unmarshal(data, &c.State); err != nil {
		lock.Close()
		return nil, fmt.Errorf("container %s: corrupt %s: %w", id, stateName, err)
	}
	c.refresh()
	return c, nil
}

// refresh computes the live status from the recorded one, the exit file and the sandbox.
func (c *Container) refresh() {
	c.status = c.State.Status
	if e, err := readExit(c.dir); err == nil {
		c.exit = e
		c.status = Stopped
		return
	}
	if c.status != Stopped && c.Pid > 0 && !alive(c.Pid, c.PidStartTime) {
		c.status = Stopped
		// The sandbox may have written the exit file just before we looked at it.
		if e, err := readExit(c.dir); err == nil {
			c.exit = e
		}
	}
}

// save writes state.json atomically, after checking that the status change is allowed.
//
// Preconditions: the exclusive lock is held.
func (c *Container) save(to Status) error {
	if c.State.Status != to {
		if err := checkTransition(c.ID, c.status, to); err != nil {
			return err
		}
	}
	c.State.Status = to
	c.status = to
	data, err := json.MarshalIndent(&c.State, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(c.dir, stateName), append(data, '\n'), 0o600)
}

// writeFileAtomic writes name through a temporary file and a rename, so that a reader sees
// the old content or the new, never a part.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func readExit(dir string) (*control.Exit, error) {
	data, err := os.ReadFile(filepath.Join(dir, exitName))
	if err != nil {
		return nil, err
	}
	var e control.Exit
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// WriteExit records how init ended in the container's directory dir. The sandbox calls it
// just before it exits.
func WriteExit(dir string, e control.Exit) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, exitName), append(data, '\n'), 0o600)
}

// ControlPath is the control socket of the container in dir.
func ControlPath(dir string) string { return filepath.Join(dir, controlName) }

// CreateOptions describe a container to create.
type CreateOptions struct {
	// Root is the state root; ID the container id.
	Root, ID string
	// Bundle is the absolute bundle directory.
	Bundle string
	// Config is the container, converted from the bundle's spec.
	Config *boot.ContainerConfig
	// BootFlags are the global flags for the sandbox process (config.Config.Flags).
	BootFlags []string
	// PidFile, if set, receives the sandbox's pid.
	PidFile string
	// Stdio are the container's stdin, stdout and stderr (nil: this process's own).
	Stdio [3]*os.File
	// Console says that Stdio[0] is the container's console, a host pty slave: it becomes
	// the sandbox's controlling terminal, so that the sandbox hears of resizes (SIGWINCH).
	Console bool
	// ReadyTimeout bounds the sandbox's setup.
	ReadyTimeout time.Duration
	// Cgroup, if set, is the cgroup the sandbox and gofer go into, with Resources applied.
	Cgroup    *cgroup.Cgroup
	Resources cgroup.Resources
	// Hooks are the spec's hooks.
	Hooks *Hooks
	// NetNS, if set, is a network namespace the sandbox joins instead of making its own;
	// IPCNS and UTSNS the same for the ipc and uts namespaces (the sandbox uses neither
	// itself: joining them puts it where the spec asks, as runc puts the container).
	NetNS, IPCNS, UTSNS string
	// Rootless starts the sandbox and the gofer in user namespaces of their own
	// (confine.InUserNamespace), and lets create go on without a cgroup it may not make
	// when the limits do not need one (rootlessCgroup).
	Rootless bool
	// GoferStderr is the stderr of a joining container's gofer (nil: this process's).
	GoferStderr *os.File
	// CgroupNS asks for a new cgroup namespace for the sandbox (a cgroup namespace without
	// a path in linux.namespaces): rooted at the container's cgroup, which the sandbox is
	// started in.
	CgroupNS bool
	// Log receives warnings (failed poststart/poststop hooks come later; create's own
	// are errors). May be nil.
	Log interface{ Warnf(string, ...any) }
}

// ProcessDefaults are the spec's process settings an exec'd process starts with unless
// told otherwise.
type ProcessDefaults struct {
	Env            []string `json:"env,omitempty"`
	Cwd            string   `json:"cwd"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGIDs []uint32 `json:"additionalGids,omitempty"`
	// Caps are the container process's capability sets (nil: by uid).
	Caps *control.CapSets `json:"caps,omitempty"`
	// NoNewPrivs is process.noNewPrivileges, inherited by exec'd processes as in runc.
	NoNewPrivs bool `json:"noNewPrivs,omitempty"`
}

// Create creates a container: its state directory, its gofer process (`runsc gofer`,
// serving the rootfs and the bind mounts' sources) and its sandbox process (`runsc boot`,
// in a new session, with the container's stdio), connected by a socketpair, and returns
// once the sandbox is ready.
// The returned container is locked (Close it) and Created. The second result is the
// sandbox process, for a caller that waits for it itself (`runsc run`); others Release it.
func Create(o CreateOptions) (*Container, *os.Process, error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(o.Root, 0o711); err != nil {
		return nil, nil, fmt.Errorf("creating state root: %w", err)
	}
	var sandboxDir string
	if o.Config.Joins() {
		// Checked before anything is made, so that a bad sandbox id leaves nothing.
		d, err := sandboxToJoin(o.Root, o.ID, o.Config.SandboxID)
		if err != nil {
			return nil, nil, err
		}
		sandboxDir = d
	}
	dir := filepath.Join(o.Root, o.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, nil, fmt.Errorf("container %s already exists", o.ID)
		}
		return nil, nil, fmt.Errorf("creating container directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = lockFile(lock, true)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("container %s: locking: %w", o.ID, err)
	}
	c := &Container{
		State: State{
			ID: o.ID, Bundle: o.Bundle, Rootfs: o.Config.Root, Status: Creating, SandboxID: o.ID,
			Created: time.Now().UTC(), Owner: "", Annotations: o.Config.Annotations,
			Cgroup: o.Cgroup, Hooks: o.Hooks,
			Process: &ProcessDefaults{
				Env: o.Config.Env, Cwd: o.Config.Cwd, UID: o.Config.UID, GID: o.Config.GID,
				AdditionalGIDs: o.Config.AdditionalGIDs, Caps: o.Config.Caps,
				NoNewPrivs: o.Config.NoNewPrivileges,
			},
		},
		dir: dir, lock: lock, status: Creating, log: o.Log,
	}
	var proc *os.Process
	if o.Config.Joins() {
		c.SandboxID = o.Config.SandboxID
		proc, err = c.join(o, sandboxDir)
	} else {
		proc, err = c.startSandbox(o)
	}
	if err != nil {
		if o.Cgroup != nil {
			o.Cgroup.Destroy()
		}
		os.RemoveAll(dir)
		c.Close()
		return nil, nil, err
	}
	return c, proc, nil
}

// startGofer starts the container's gofer (stderr is its stderr) and returns its process
// and the sandbox's end of its socket. Its pid and start time are saved in c's state at
// once, so that a delete --force of a container whose create is interrupted still finds
// it; it is reaped when it exits, while this process lives (`runsc run`). On error it has
// been killed.
//
// Preconditions: c is locked exclusively and Creating.
func (c *Container) startGofer(o CreateOptions, stderr *os.File) (*os.Process, *os.File, error) {
	gs := o.Config.GoferSpec()
	gs.Rootless = o.Rootless
	gcmd, gsock, err := boot.StartGofer(gs, stderr)
	if err != nil {
		return nil, nil, err
	}
	gproc := gcmd.Process
	go gcmd.Wait()
	gstart, err := processStartTime(gproc.Pid)
	if err != nil {
		err = fmt.Errorf("reading the gofer's start time: %w", err)
	} else {
		c.GoferPid, c.GoferStartTime = gproc.Pid, gstart
		err = c.save(Creating)
	}
	if err != nil {
		gproc.Kill()
		gsock.Close()
		return nil, nil, err
	}
	return gproc, gsock, nil
}

// startSandbox starts the gofer and `runsc boot` and waits until the sandbox is ready.
//
// Preconditions: c is locked exclusively and Creating.
func (c *Container) startSandbox(o CreateOptions) (*os.Process, error) {
	if err := c.save(Creating); err != nil {
		return nil, err
	}
	if o.Cgroup != nil && o.Rootless {
		if err := c.rootlessCgroup(&o); err != nil {
			return nil, err
		}
	}
	if o.Cgroup != nil {
		// The gofer and the sandbox (and the platform's stubs, its children) are started
		// from inside the cgroup, so that nothing of theirs runs outside it; this process
		// then goes back to where it was.
		if err := o.Cgroup.Create(); err != nil {
			return nil, err
		}
		if err := o.Cgroup.Apply(o.Resources); err != nil {
			return nil, err
		}
		cur, err := cgroup.Current()
		if err != nil {
			return nil, fmt.Errorf("reading this process's cgroup: %w", err)
		}
		if err := o.Cgroup.Join(os.Getpid()); err != nil {
			return nil, err
		}
		defer o.Cgroup.Return(cur)
	}
	goferStderr := os.Stderr
	if o.Stdio[2] != nil {
		goferStderr = o.Stdio[2]
	}
	gproc, gsock, err := c.startGofer(o, goferStderr)
	if err != nil {
		return nil, err
	}
	defer gsock.Close()
	killGofer := func() {
		gproc.Kill()
	}
	l, err := control.Listen(ControlPath(c.dir))
	if err != nil {
		killGofer()
		return nil, fmt.Errorf("creating control socket: %w", err)
	}
	lf := l.File()
	defer l.Close()
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		killGofer()
		return nil, err
	}
	defer cfgR.Close()
	defer cfgW.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		killGofer()
		return nil, err
	}
	defer readyR.Close()
	defer readyW.Close()

	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	args := append(append([]string{}, o.BootFlags...), "boot", "--bundle="+o.Bundle, c.ID)
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = exe
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if o.Stdio[0] != nil {
		cmd.Stdin = o.Stdio[0]
	}
	if o.Stdio[1] != nil {
		cmd.Stdout = o.Stdio[1]
	}
	if o.Stdio[2] != nil {
		cmd.Stderr = o.Stdio[2]
	}
	// fd 3: the container config; fd 4: the readiness pipe; fd 5: the control socket;
	// fd 6: the sentry's end of the gofer's socketpair.
	cmd.ExtraFiles = []*os.File{cfgR, readyW, lf, gsock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: o.Console, Ctty: 0}
	// BEGIN confinement (docs/security.md): as root, or rootless in a user namespace of
	// its own, the sandbox gets its own mount, pid, ipc, uts and network namespaces, in
	// which it pivots into an empty root.
	if os.Geteuid() == 0 || o.Rootless {
		cmd.SysProcAttr.Cloneflags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC |
			unix.CLONE_NEWUTS | unix.CLONE_NEWNET
		cmd.Env = append(os.Environ(), BootNamespacesEnv+"=1")
	}
	// With a user namespace in the spec as well: the sandbox touches no host file (the
	// gofer does, in a namespace with the spec's mappings), so its own maps the caller
	// alone, and its capabilities reach nothing outside.
	userns := o.Rootless || o.Config.UserNamespace()
	if userns {
		confine.InUserNamespace(cmd.SysProcAttr)
	}
	// END confinement
	var joins []nsJoin
	for _, j := range []nsJoin{{unix.CLONE_NEWNET, "network", o.NetNS}, {unix.CLONE_NEWIPC, "ipc", o.IPCNS}, {unix.CLONE_NEWUTS, "uts", o.UTSNS}} {
		if j.path != "" {
			joins = append(joins, j)
			cmd.SysProcAttr.Cloneflags &^= uintptr(j.flag)
		}
	}
	if o.CgroupNS && cmd.SysProcAttr.Cloneflags != 0 {
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWCGROUP
	}
	// A new user namespace starts with every capability in it, whatever the bounding set
	// of the thread that forks it: rootless, the sandbox drops them itself.
	if err := startSandboxProcess(cmd, joins, os.Geteuid() == 0 && !userns); err != nil {
		killGofer()
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	proc := cmd.Process
	fail := func(err error) (*os.Process, error) {
		proc.Kill()
		proc.Wait()
		killGofer()
		return nil, err
	}
	cfgR.Close()
	readyW.Close()
	gsock.Close()
	start, err := processStartTime(proc.Pid)
	if err != nil {
		return fail(fmt.Errorf("reading the sandbox's start time: %w", err))
	}
	go func() {
		json.NewEncoder(cfgW).Encode(o.Config)
		cfgW.Close()
	}()

	timeout := o.ReadyTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	readyR.SetReadDeadline(time.Now().Add(timeout))
	msg, err := io.ReadAll(readyR)
	if err != nil {
		return fail(fmt.Errorf("waiting for the sandbox: %w", err))
	}
	switch s := strings.TrimSpace(string(msg)); {
	case s == "ready":
	case s == "":
		st, _ := proc.Wait()
		killGofer()
		return nil, fmt.Errorf("the sandbox exited during setup (%v)", st)
	default:
		return fail(errors.New(s))
	}

	c.Pid, c.PidStartTime = proc.Pid, start
	if err := c.finishCreate(o); err != nil {
		return fail(err)
	}
	return proc, nil
}

// finishCreate ends a create whose process (c.Pid: the sandbox, or a joined container's
// waiter) is ready: it runs create's hooks, records the container as created and writes
// the pid file. On error the caller undoes the create.
func (c *Container) finishCreate(o CreateOptions) error {
	if h := o.Hooks; h != nil {
		for _, hs := range []struct {
			kind  string
			hooks []Hook
		}{{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer}} {
			if err := c.runHooks(hs.kind, hs.hooks, Creating); err != nil {
				return err
			}
		}
	}
	if err := c.save(Created); err != nil {
		return err
	}
	if o.PidFile != "" {
		if err := writeFileAtomic(o.PidFile, []byte(fmt.Sprintf("%d", c.Pid)), 0o644); err != nil {
			return fmt.Errorf("writing pid file: %w", err)
		}
	}
	return nil
}

// Start starts the container's init.
//
// Preconditions: c is locked exclusively.
func (c *Container) Start() error {
	if err := CheckOp(OpStart, c.ID, c.status); err != nil {
		return err
	}
	if h := c.Hooks; h != nil {
		if err := c.runHooks("startContainer", h.StartContainer, Created); err != nil {
			// As the runtime-spec says: the container is stopped.
			c.Signal(unix.SIGKILL, true)
			return fmt.Errorf("cannot start container %s: %w", c.ID, err)
		}
	}
	resp, err := control.Call(c.controlPath(), c.request(control.CmdStart), 30*time.Second)
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	if err != nil {
		return fmt.Errorf("cannot start container %s: %w", c.ID, err)
	}
	if err := c.save(Running); err != nil {
		return err
	}
	if h := c.Hooks; h != nil {
		c.runHooksLogged("poststart", h.Poststart, Running, c.warn)
	}
	return nil
}

// warn logs err as a warning about the container.
func (c *Container) warn(err error) {
	if c.log != nil {
		c.log.Warnf("container %s: %v", c.ID, err)
	}
}

// SetLog sets where warnings go (failed poststart and poststop hooks).
func (c *Container) SetLog(l interface{ Warnf(string, ...any) }) { c.log = l }

// Signal sends sig (0: only check) to init, or to every process with all (which, on a
// stopped container, is nothing: no error).
//
// Preconditions: c is locked (shared suffices).
func (c *Container) Signal(sig unix.Signal, all bool) error {
	// kill --all of a stopped container succeeds, as runc's does: none of its processes is
	// left to signal. containerd kills every process of an exited task with --all before
	// deleting it, and takes any error but runc's wordings as a failure (a pod's container
	// would then never be seen to exit).
	if all && c.status == Stopped {
		return nil
	}
	if err := CheckOp(OpKill, c.ID, c.status); err != nil {
		return err
	}
	req := c.request(control.CmdSignal)
	req.Signal, req.All = int(sig), all
	resp, err := control.Call(c.controlPath(), req, 10*time.Second)
	if err != nil {
		// The sandbox does not answer: SIGKILL can still be delivered, to all of it.
		if sig == unix.SIGKILL && !c.Joined() {
			if kerr := killProcess(c.Pid, c.PidStartTime, unix.SIGKILL); kerr == nil {
				return nil
			}
		}
		return fmt.Errorf("cannot kill container %s: %w", c.ID, err)
	}
	if resp.Error != "" {
		return fmt.Errorf("cannot kill container %s: %s", c.ID, resp.Error)
	}
	return nil
}

// Delete kills the sandbox if it still runs (only with force, unless the container is just
// created) and removes the container's state. No process of the container is left.
//
// Preconditions: c is locked exclusively. c is closed when Delete returns.
func (c *Container) Delete(force bool) error {
	defer c.Close()
	if err := CheckOp(OpDelete, c.ID, c.status); err != nil && !force {
		return err
	}
	if c.Joined() {
		if err := c.leave(); err != nil {
			return err
		}
	} else if c.Pid > 0 && alive(c.Pid, c.PidStartTime) {
		// Ask the sandbox first, so that it tears down cleanly; then make sure.
		control.Call(ControlPath(c.dir), control.Request{Cmd: control.CmdSignal, Signal: int(unix.SIGKILL), All: true}, 2*time.Second)
		if !waitGone(c.Pid, c.PidStartTime, 3*time.Second) {
			if err := killProcess(c.Pid, c.PidStartTime, unix.SIGKILL); err != nil {
				return fmt.Errorf("cannot delete container %s: killing the sandbox: %w", c.ID, err)
			}
			if !waitGone(c.Pid, c.PidStartTime, 10*time.Second) {
				return fmt.Errorf("cannot delete container %s: the sandbox (pid %d) does not exit", c.ID, c.Pid)
			}
		}
	}
	// The gofer ends when the sandbox hangs up; make sure, so that none is left behind.
	if c.GoferPid > 0 && !waitGone(c.GoferPid, c.GoferStartTime, time.Second) {
		if err := killProcess(c.GoferPid, c.GoferStartTime, unix.SIGKILL); err != nil {
			return fmt.Errorf("cannot delete container %s: killing the gofer: %w", c.ID, err)
		}
		if !waitGone(c.GoferPid, c.GoferStartTime, 10*time.Second) {
			return fmt.Errorf("cannot delete container %s: the gofer (pid %d) does not exit", c.ID, c.GoferPid)
		}
	}
	if c.Cgroup != nil {
		if err := c.Cgroup.Destroy(); err != nil {
			return fmt.Errorf("cannot delete container %s: %w", c.ID, err)
		}
	}
	if h := c.Hooks; h != nil {
		c.runHooksLogged("poststop", h.Poststop, Stopped, c.warn)
	}
	// state.json first: a command waiting for the lock then finds no container.
	if err := os.Remove(filepath.Join(c.dir, stateName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot delete container %s: %w", c.ID, err)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("cannot delete container %s: %w", c.ID, err)
	}
	return nil
}

// Wait waits until container id's init has exited and returns how. It does not hold the
// container's lock while it waits.
func Wait(root, id string) (control.Exit, error) {
	for {
		c, err := Load(root, id, false)
		if err != nil {
			return control.Exit{}, err
		}
		status, exit, joined := c.status, c.exit, c.Joined()
		path, req := c.controlPath(), c.request(control.CmdWait)
		c.Close()
		if status == Stopped {
			if exit == nil {
				return control.Exit{}, fmt.Errorf("container %s: the sandbox died without recording an exit status", id)
			}
			return *exit, nil
		}
		resp, err := control.Call(path, req, 0)
		if err == nil && resp.Exit != nil {
			if joined {
				// The waiter records the exit status: wait for it, so that `runsc state`
				// reports it once this returns.
				return waitRecorded(root, id, *resp.Exit), nil
			}
			return *resp.Exit, nil
		}
		// The sandbox is going away: look again once it has.
		time.Sleep(20 * time.Millisecond)
	}
}

// List loads every container under root (shared locks, released before it returns).
func List(root string) ([]*Container, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Container
	for _, e := range ents {
		if !e.IsDir() || ValidateID(e.Name()) != nil {
			continue
		}
		c, err := Load(root, e.Name(), false)
		if err != nil {
			continue // being created or deleted
		}
		c.Close()
		out = append(out, c)
	}
	return out, nil
}

// OCIState is the state `runsc state` prints, as runc prints it, plus the exit status of a
// stopped container (exitCode, the shell-style code; exitSignal when a signal ended it).
type OCIState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      Status            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
	ExitCode    *int              `json:"exitCode,omitempty"`
	ExitSignal  int               `json:"exitSignal,omitempty"`
	// SandboxID is the id of the container whose sandbox runs this container (its own,
	// unless it joined a pod's sandbox).
	SandboxID string `json:"sandboxId,omitempty"`
}

// OCIState returns the container's state for `runsc state` and `runsc list`.
func (c *Container) OCIState(ociVersion string) OCIState {
	s := OCIState{
		OCIVersion: ociVersion, ID: c.ID, Status: c.status, Bundle: c.Bundle, Rootfs: c.Rootfs,
		Created: c.Created, Owner: c.Owner, Annotations: c.Annotations, SandboxID: c.SandboxID,
	}
	if c.status != Stopped {
		s.Pid = c.Pid
	}
	if c.exit != nil {
		code := c.exit.ShellCode()
		s.ExitCode = &code
		s.ExitSignal = c.exit.Signal
	}
	return s
}

// BootNamespacesEnv tells runsc boot that runsc create started it in new namespaces, in
// which it may pivot_root (runsc/cmd/boot_confine.go).
const BootNamespacesEnv = "STOCKADE_BOOT_NAMESPACES"
