package boot

import (
	"errors"
	"fmt"
	"os"

	"github.com/stockade-sandbox/stockade/runsc/control"
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
	return pid, nil
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

// ps lists the sandbox's processes.
func (c *Controller) ps() []control.Process {
	k := c.sb.Kernel
	boot := k.BootTime()
	var out []control.Process
	for _, p := range k.ProcessList() {
		out = append(out, control.Process{
			PID: p.PID, PPID: p.PPID, UID: p.UID, Started: boot.Add(p.Start),
			CPUNanos: int64(p.CPU.User + p.CPU.Sys), Name: p.Name, Cmd: p.Cmd, Threads: p.Threads,
		})
	}
	return out
}

// stats returns the sandbox's figures.
func (c *Controller) stats() *control.Stats {
	s := c.sb.Kernel.Stats()
	return &control.Stats{
		CPUUserNanos: int64(s.CPU.User), CPUSystemNanos: int64(s.CPU.Sys),
		MemoryUsage: s.MemoryUsage, MemoryLimit: s.MemoryLimit,
		Processes: s.Processes, Tasks: s.Tasks,
	}
}
