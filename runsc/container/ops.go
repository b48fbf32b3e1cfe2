package container

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/cgroup"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// Operations on a running container's sandbox beyond init's lifecycle: exec, ps, pause and
// resume, stats, update. Each goes through the control socket.

// call sends req (with files) and turns an error answer into an error for op.
func (c *Container) call(op string, req control.Request, files []*os.File, timeout time.Duration) (*control.Response, error) {
	req.Container = c.ID
	resp, err := control.CallWithFiles(c.controlPath(), req, files, timeout)
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot %s container %s: %w", op, c.ID, err)
	}
	return resp, nil
}

// Exec starts a process in the running container with stdio as its descriptors 0-2 and
// returns its sandbox pid. A paused container refuses (as runc does).
//
// Preconditions: c is locked (shared suffices).
func (c *Container) Exec(spec control.ExecSpec, stdio []*os.File) (int32, error) {
	if c.status != Running {
		return 0, &StateError{Op: "exec in", ID: c.ID, Status: c.status}
	}
	spec.Stdio = len(stdio)
	resp, err := c.call("exec in", control.Request{Cmd: control.CmdExec, Exec: &spec}, stdio, 30*time.Second)
	if err != nil {
		return 0, err
	}
	return resp.Pid, nil
}

// WaitPID waits, without holding the container's lock, for the process exec started as
// pid in container id's sandbox, and returns how it ended.
func WaitPID(root, id string, pid int32) (control.Exit, error) {
	c, err := Load(root, id, false)
	if err != nil {
		return control.Exit{}, err
	}
	path, req := c.controlPath(), c.request(control.CmdWaitPID)
	req.Pid = pid
	c.Close()
	resp, err := control.Call(path, req, 0)
	if err == nil && resp.Error != "" {
		err = errors.New(resp.Error)
	}
	if err != nil || resp.Exit == nil {
		// The sandbox is gone: so is the process, killed with it.
		return control.Exit{Signal: int(unix.SIGKILL)}, nil
	}
	return *resp.Exit, nil
}

// SignalPID sends sig to the process exec started as pid.
func SignalPID(root, id string, pid int32, sig unix.Signal) error {
	c, err := Load(root, id, false)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.call("kill", control.Request{Cmd: control.CmdSignal, Pid: pid, Signal: int(sig)}, nil, 10*time.Second)
	return err
}

// Processes lists the sandbox's processes (sandbox pids).
//
// Preconditions: c is locked (shared suffices).
func (c *Container) Processes() ([]control.Process, error) {
	switch c.status {
	case Running, Paused:
	case Created:
		return nil, nil // nothing runs yet
	default:
		return nil, &StateError{Op: "ps", ID: c.ID, Status: c.status}
	}
	resp, err := c.call("ps", control.Request{Cmd: control.CmdPs}, nil, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return resp.Processes, nil
}

// Pause freezes every task of the sandbox.
//
// Preconditions: c is locked exclusively.
func (c *Container) Pause() error {
	if err := CheckOp(OpPause, c.ID, c.status); err != nil {
		return err
	}
	if c.Joined() {
		return fmt.Errorf("cannot pause container %s: it runs in container %s's sandbox, which pauses as a whole", c.ID, c.SandboxID)
	}
	if _, err := c.call("pause", control.Request{Cmd: control.CmdPause}, nil, 10*time.Second); err != nil {
		return err
	}
	return c.save(Paused)
}

// Resume thaws a paused sandbox.
//
// Preconditions: c is locked exclusively.
func (c *Container) Resume() error {
	if err := CheckOp(OpResume, c.ID, c.status); err != nil {
		return err
	}
	if c.Joined() {
		return fmt.Errorf("cannot resume container %s: it runs in container %s's sandbox, which resumes as a whole", c.ID, c.SandboxID)
	}
	if _, err := c.call("resume", control.Request{Cmd: control.CmdResume}, nil, 10*time.Second); err != nil {
		return err
	}
	return c.save(Running)
}

// Stats returns the sandbox's figures (and the cgroup's, if it has one).
//
// Preconditions: c is locked (shared suffices).
func (c *Container) Stats() (*control.Stats, *cgroup.Stats, error) {
	switch c.status {
	case Created, Running, Paused:
	default:
		return nil, nil, &StateError{Op: "get stats of", ID: c.ID, Status: c.status}
	}
	resp, err := c.call("get stats of", control.Request{Cmd: control.CmdStats}, nil, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	var cs *cgroup.Stats
	if c.Cgroup != nil {
		s := c.Cgroup.Stats()
		cs = &s
	}
	return resp.Stats, cs, nil
}

// Update changes the container's resource limits: in its cgroup (made now if it has none)
// and, for the memory and pids limits, in the sentry (which alone enforces the pids limit).
//
// Preconditions: c is locked exclusively.
func (c *Container) Update(r cgroup.Resources) error {
	switch c.status {
	case Created, Running, Paused:
	default:
		return &StateError{Op: "update", ID: c.ID, Status: c.status}
	}
	if c.Joined() {
		// The sandbox's cgroup and limits are the pod's: a joined container's own are not
		// applied (docs/architecture.md).
		c.warn(fmt.Errorf("resources of a container that joined container %s's sandbox are not applied", c.SandboxID))
		return nil
	}
	if c.Cgroup == nil {
		cg, err := cgroup.New("", c.ID, false)
		if err != nil {
			return err
		}
		if err := cg.Create(); err != nil {
			return err
		}
		// The sandbox's session holds it and the platform's stub processes.
		for _, pid := range append(sessionPIDs(c.Pid), c.GoferPid) {
			if pid > 0 {
				if err := cg.Join(pid); err != nil {
					cg.Destroy()
					return err
				}
			}
		}
		c.Cgroup = cg
		if err := c.save(c.status); err != nil {
			return err
		}
	}
	if err := c.Cgroup.Apply(r); err != nil {
		return fmt.Errorf("cannot update container %s: %w", c.ID, err)
	}
	if r.MemoryLimit != nil || r.PidsLimit != nil {
		req := control.Request{Cmd: control.CmdUpdate, PidsLimit: r.PidsLimit}
		if r.MemoryLimit != nil {
			l := uint64(0)
			if *r.MemoryLimit > 0 {
				l = uint64(*r.MemoryLimit)
			}
			req.MemoryLimit = &l
		}
		if _, err := c.call("update", req, nil, 10*time.Second); err != nil {
			return err
		}
	}
	return nil
}
