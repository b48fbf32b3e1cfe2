package boot

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// The control requests beyond init's lifecycle: exec'd processes, ps, stats.

// exec starts a process (Sandbox.Exec) and reaps it when it exits, keeping its exit status
// for waitPID.
func (c *Controller) exec(e *control.ExecSpec, files []*os.File) (int32, error) {
	if e == nil {
		return 0, errors.New("exec: no process")
	}
	if e.Stdio < len(files) {
		files = files[:e.Stdio]
	}
	c.mu.Lock()
	running := c.started && c.exit == nil
	c.mu.Unlock()
	if !running {
		return 0, errors.New("the container is not running")
	}
	tg, err := c.sb.Exec(*e, files)
	if err != nil {
		return 0, err
	}
	return c.trackExec(tg), nil
}

// trackExec reaps exec'd process tg when it exits, keeping its exit status for waitPID,
// and returns its pid.
func (c *Controller) trackExec(tg *kernel.ThreadGroup) int32 {
	p := &execProc{done: make(chan struct{})}
	pid := tg.TGID()
	c.mu.Lock()
	if c.execs == nil {
		c.execs = make(map[int32]*execProc)
	}
	c.execs[pid] = p
	c.mu.Unlock()
	go func() {
		st := c.sb.Kernel.WaitSpawned(tg)
		p.exit = control.Exit{Code: st.Code, Signal: st.Signo}
		close(p.done)
	}()
	return pid
}

// waitPID waits for exec'd process pid to exit and forgets it.
func (c *Controller) waitPID(pid int32) (control.Exit, error) {
	c.mu.Lock()
	p := c.execs[pid]
	c.mu.Unlock()
	if p == nil {
		return control.Exit{}, fmt.Errorf("no process %d started by exec", pid)
	}
	<-p.done
	c.mu.Lock()
	delete(c.execs, pid)
	c.mu.Unlock()
	return p.exit, nil
}

// signalExec sends sig to exec'd process pid.
func (c *Controller) signalExec(pid int32, sig int) error {
	c.mu.Lock()
	p := c.execs[pid]
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("no process %d started by exec", pid)
	}
	select {
	case <-p.done:
		return fmt.Errorf("process %d has exited", pid)
	default:
	}
	return c.sb.Kernel.SignalProcess(pid, sig)
}

// ps lists the processes of container id with the pids of its pid namespace (a joined
// container's own, or the sandbox's).
func (c *Controller) ps(id string) []control.Process {
	k := c.sb.Kernel
	boot := k.BootTime()
	ns := k.RootPIDNamespace()
	if j := c.lookupJoined(id); j != nil {
		c.mu.Lock()
		if j.c != nil {
			ns = j.c.PIDNamespace(k)
		}
		c.mu.Unlock()
	}
	var out []control.Process
	for _, p := range k.ProcessListIn(ns) {
		if p.Container != id {
			continue
		}
		out = append(out, control.Process{
			PID: p.PID, PPID: p.PPID, UID: p.UID, Started: boot.Add(p.Start),
			CPUNanos: int64(p.CPU.User + p.CPU.Sys), Name: p.Name, Cmd: p.Cmd, Threads: p.Threads,
			HostPID: p.HostPID,
		})
	}
	return out
}

// stats returns the sandbox's figures.
func (c *Controller) stats() *control.Stats {
	s := c.sb.Kernel.Stats()
	return &control.Stats{
		CPUUserNanos: int64(s.CPU.User), CPUSystemNanos: int64(s.CPU.Sys),
		MemoryUsage: s.MemoryUsage, MemoryLimit: s.MemoryLimit, PidsLimit: s.PidsLimit,
		Processes: s.Processes, Tasks: s.Tasks,
	}
}

// holdSignal keeps a signal request (other than SIGKILL and the signal-0 probe) for later
// while the sandbox is paused, as a frozen cgroup holds signals: the sentry would
// otherwise act on a fatal one at once. It reports whether it did.
//
// The check and the append are made under c.mu, as resume's thaw and its taking of the held
// list are: otherwise a request that saw the sandbox paused could be appended just after a
// concurrent resume took the list, and be held until the next resume.
func (c *Controller) holdSignal(req control.Request) bool {
	if req.Signal == 0 || req.Signal == int(unix.SIGKILL) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.sb.Kernel.Paused() {
		return false
	}
	c.held = append(c.held, req)
	return true
}

// resume thaws the sandbox and delivers the signals held meanwhile, in order.
func (c *Controller) resume() error {
	// Kernel.Resume takes only the kernel's pause lock, a leaf, so it may run under c.mu.
	c.mu.Lock()
	if err := c.sb.Kernel.Resume(); err != nil {
		c.mu.Unlock()
		return err
	}
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, r := range held {
		if r.Container != "" && r.Container != c.sb.ContainerID {
			c.signalJoined(r)
			continue
		}
		if r.Pid != 0 {
			c.signalExec(r.Pid, r.Signal)
		} else {
			c.signal(r.Signal, r.All)
		}
	}
	return nil
}
