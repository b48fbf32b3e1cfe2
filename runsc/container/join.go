package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/boot"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Containers that join another container's sandbox (a Kubernetes pod: the CRI annotations,
// boot.ContainerConfig.ContainerType). The pod's first container starts the sandbox as any
// container does; a joining container has a state directory of its own under the same
// root, and:
//
//   - create starts its gofer, sends the sandbox a create request with its config, the
//     gofer's socket and its stdio (the sandbox builds its mount namespace and opens its
//     executable), then starts its waiter;
//   - every control request goes to the sandbox's control socket, naming the container;
//   - its waiter (`runsc wait-joined`, WaiterCommand) is the host process that stands for
//     it: a process of its own session, orphaned when create exits (so that a child
//     subreaper such as containerd's shim adopts it), which asks the sandbox to wait for
//     the container's init, records the exit status in exit.json and exits with it (128+N
//     for signal N, as the sandbox process does for its own container). Its pid is the
//     container's pid (--pid-file, state). If the sandbox dies, the container was killed
//     with it: the waiter records SIGKILL. A container whose waiter is gone is stopped, as
//     one whose sandbox is gone.
//   - delete asks the sandbox to kill its processes and release its mount namespace and
//     gofer; the sandbox goes on.

// WaiterCommand is the hidden subcommand of a joined container's waiter.
const WaiterCommand = "wait-joined"

// Joined reports whether the container runs in another container's sandbox.
func (c *Container) Joined() bool { return c.SandboxID != "" && c.SandboxID != c.ID }

// controlPath is the control socket of the container's sandbox.
func (c *Container) controlPath() string {
	if c.Joined() {
		return ControlPath(filepath.Join(filepath.Dir(c.dir), c.SandboxID))
	}
	return ControlPath(c.dir)
}

// request returns a control request cmd about this container.
func (c *Container) request(cmd string) control.Request {
	return control.Request{Cmd: cmd, Container: c.ID}
}

// sandboxToJoin checks that container sandboxID, under root, has a sandbox that container
// id can join, and returns its directory.
func sandboxToJoin(root, id, sandboxID string) (string, error) {
	if sandboxID == id {
		return "", fmt.Errorf("container %s: its sandbox id is its own id, but it is of type %q (the sandbox is a container of type %q)", id, boot.ContainerTypeContainer, boot.ContainerTypeSandbox)
	}
	if err := ValidateID(sandboxID); err != nil {
		return "", fmt.Errorf("container %s: sandbox id: %w", id, err)
	}
	sb, err := Load(root, sandboxID, false)
	if err != nil {
		var ne *NotExistError
		if errors.As(err, &ne) {
			return "", fmt.Errorf("container %s: its sandbox, container %s, does not exist", id, sandboxID)
		}
		return "", fmt.Errorf("container %s: its sandbox: %w", id, err)
	}
	defer sb.Close()
	if sb.Joined() {
		return "", fmt.Errorf("container %s: container %s is not a sandbox (it joined container %s's)", id, sandboxID, sb.SandboxID)
	}
	switch sb.status {
	case Created, Running, Paused:
	default:
		return "", fmt.Errorf("container %s: its sandbox, container %s, is %s", id, sandboxID, sb.status)
	}
	return sb.dir, nil
}

// join makes the container join the sandbox in sandboxDir and starts its waiter, which it
// returns (to be released, not waited for: it must outlive create).
//
// Preconditions: c is locked exclusively and Creating.
func (c *Container) join(o CreateOptions, sandboxDir string) (*os.Process, error) {
	if err := c.save(Creating); err != nil {
		return nil, err
	}
	// The gofer lives until the container is deleted, which may be long after its
	// processes exit: it must not hold the container's stdio (a pipe's reader would not
	// see the end), so its stderr is runsc's log.
	gproc, gsock, err := c.startGofer(o, o.GoferStderr)
	if err != nil {
		return nil, err
	}
	defer gsock.Close()
	killGofer := func() { gproc.Kill() }

	files := []*os.File{gsock}
	switch {
	case o.Console:
		files = append(files, o.Stdio[0])
	default:
		for i, f := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
			if o.Stdio[i] != nil {
				f = o.Stdio[i]
			}
			files = append(files, f)
		}
	}
	cfg, err := json.Marshal(o.Config)
	if err != nil {
		killGofer()
		return nil, err
	}
	path := ControlPath(sandboxDir)
	req := control.Request{Cmd: control.CmdCreate, Container: c.ID, Config: cfg}
	timeout := o.ReadyTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	resp, err := control.CallWithFiles(path, req, files, timeout)
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	if err != nil {
		killGofer()
		return nil, fmt.Errorf("joining container %s's sandbox: %w", c.SandboxID, err)
	}
	// From here on, a failure must also take the container out of the sandbox.
	fail := func(err error) (*os.Process, error) {
		control.Call(path, c.request(control.CmdDelete), 10*time.Second)
		killGofer()
		return nil, err
	}
	proc, err := c.startWaiter(o)
	if err != nil {
		return fail(err)
	}
	start, err := processStartTime(proc.Pid)
	if err != nil {
		proc.Kill()
		return fail(fmt.Errorf("reading the waiter's start time: %w", err))
	}
	c.Pid, c.PidStartTime = proc.Pid, start
	if err := c.finishCreate(o); err != nil {
		proc.Kill()
		return fail(err)
	}
	return proc, nil
}

// startWaiter starts the container's waiter and returns once it is about to wait.
func (c *Container) startWaiter(o CreateOptions) (*os.Process, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	defer readyW.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	args := append(append([]string{}, o.BootFlags...), WaiterCommand, "--sandbox="+c.SandboxID, c.ID)
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = exe
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{readyW} // descriptor 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the container's waiter: %w", err)
	}
	readyW.Close()
	readyR.SetReadDeadline(time.Now().Add(30 * time.Second))
	msg, err := io.ReadAll(readyR)
	if s := strings.TrimSpace(string(msg)); err != nil || s != "ready" {
		cmd.Process.Kill()
		cmd.Process.Wait()
		if s == "" && err != nil {
			s = err.Error()
		}
		return nil, fmt.Errorf("the container's waiter did not start: %s", s)
	}
	return cmd.Process, nil
}

// RunWaiter is the waiter of container id, which joined container sandboxID's sandbox:
// it writes "ready" to ready, waits for the container's init, records how it ended in the
// container's directory and returns it.
func RunWaiter(root, id, sandboxID string, ready *os.File) control.Exit {
	path := ControlPath(filepath.Join(root, sandboxID))
	fmt.Fprintln(ready, "ready")
	ready.Close()
	e := control.Exit{Signal: int(unix.SIGKILL)}
	resp, err := control.Call(path, control.Request{Cmd: control.CmdWait, Container: id}, 0)
	if err == nil && resp.Error == "" && resp.Exit != nil {
		e = *resp.Exit
	}
	// Otherwise the sandbox died (and the container with it) or no longer has the
	// container (deleted): it was killed.
	WriteExit(filepath.Join(root, id), e)
	return e
}

// waitRecorded waits (briefly) until container id's waiter has recorded its exit status
// and returns that, or e if it has not.
func waitRecorded(root, id string, e control.Exit) control.Exit {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := Load(root, id, false)
		if err != nil {
			return e
		}
		status, exit := c.status, c.exit
		c.Close()
		if status == Stopped {
			if exit != nil {
				return *exit
			}
			return e
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e
}

// leave takes a joined container out of its sandbox: its processes are killed, its mount
// namespace and gofer released; then its waiter is gone.
//
// Preconditions: c is locked exclusively.
func (c *Container) leave() error {
	resp, err := control.Call(c.controlPath(), c.request(control.CmdDelete), 10*time.Second)
	if err == nil && resp.Error != "" && !strings.Contains(resp.Error, "is not in this sandbox") {
		return fmt.Errorf("cannot delete container %s: %s", c.ID, resp.Error)
	}
	// An error connecting means the sandbox is gone, and the container with it.
	if c.Pid > 0 && !waitGone(c.Pid, c.PidStartTime, 3*time.Second) {
		if err := killProcess(c.Pid, c.PidStartTime, unix.SIGKILL); err != nil {
			return fmt.Errorf("cannot delete container %s: killing its waiter: %w", c.ID, err)
		}
		if !waitGone(c.Pid, c.PidStartTime, 10*time.Second) {
			return fmt.Errorf("cannot delete container %s: its waiter (pid %d) does not exit", c.ID, c.Pid)
		}
	}
	return nil
}
