package boot

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// The control requests about containers that joined the sandbox (containers.go): create,
// start, signal, wait, exec, ps, stats and delete, each naming its container.

// joinedState is the controller's record of a joined container.
type joinedState struct {
	c *JoinedContainer
	// stdio are the descriptors its init gets, from create until start. Guarded by
	// Controller.mu.
	stdio []*os.File
	// started is set once start was asked; init is its init once running. Guarded by
	// Controller.mu.
	started bool
	init    *kernel.ThreadGroup
	// exit is set once, when the container has ended; done is closed then. Guarded by
	// Controller.mu.
	exit *control.Exit
	done chan struct{}
}

// finishLocked records how the container ended, once.
//
// Preconditions: Controller.mu is held.
func (j *joinedState) finishLocked(e control.Exit) {
	if j.exit != nil {
		return
	}
	j.exit = &e
	close(j.done)
}

// handleJoined answers a request about a joined container.
func (c *Controller) handleJoined(req control.Request, files []*os.File) control.Response {
	var resp control.Response
	var err error
	if req.Cmd == control.CmdCreate {
		err = c.createJoined(req.Container, req.Config, files)
	} else if j := c.lookupJoined(req.Container); j == nil {
		err = fmt.Errorf("container %s is not in this sandbox", req.Container)
	} else {
		switch req.Cmd {
		case control.CmdStart:
			err = c.startJoined(j)
		case control.CmdSignal:
			err = c.signalJoined(req)
		case control.CmdWait:
			<-j.done
			c.mu.Lock()
			e := *j.exit
			c.mu.Unlock()
			resp.Exit = &e
		case control.CmdExec:
			resp.Pid, err = c.execJoined(j, req.Exec, files)
		case control.CmdWaitPID:
			var e control.Exit
			if e, err = c.waitPID(req.Pid); err == nil {
				resp.Exit = &e
			}
		case control.CmdPs:
			resp.Processes = c.ps(req.Container)
		case control.CmdStats:
			s := c.sb.Kernel.ContainerStats(req.Container)
			resp.Stats = &control.Stats{
				CPUUserNanos: int64(s.CPU.User), CPUSystemNanos: int64(s.CPU.Sys),
				MemoryUsage: s.MemoryUsage, MemoryLimit: s.MemoryLimit, PidsLimit: s.PidsLimit,
				Processes: s.Processes, Tasks: s.Tasks,
			}
		case control.CmdDelete:
			err = c.deleteJoined(req.Container)
		case control.CmdPause, control.CmdResume, control.CmdUpdate:
			err = fmt.Errorf("%s acts on the whole sandbox: ask its container, not a container that joined it", req.Cmd)
		default:
			err = fmt.Errorf("unknown request %q", req.Cmd)
		}
	}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp
}

func (c *Controller) lookupJoined(id string) *joinedState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined[id]
}

// createJoined makes container id join the sandbox: files are its gofer's socket, then its
// stdio. Its root filesystem is built and its executable opened now (PrepareContainer).
func (c *Controller) createJoined(id string, raw json.RawMessage, files []*os.File) error {
	var cfg ContainerConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("create: bad container config: %w", err)
	}
	if id == "" || cfg.ID != id || id == c.sb.ContainerID {
		return fmt.Errorf("create: bad container id %q", id)
	}
	if len(files) == 0 {
		return errors.New("create: no gofer socket")
	}
	c.mu.Lock()
	switch {
	case c.exit != nil:
		c.mu.Unlock()
		return errors.New("the sandbox has stopped")
	case c.joined[id] != nil:
		c.mu.Unlock()
		return fmt.Errorf("container %s is already in this sandbox", id)
	}
	// Reserved while its filesystem is built, so that a second create of it fails.
	if c.joined == nil {
		c.joined = make(map[string]*joinedState)
	}
	j := &joinedState{done: make(chan struct{})}
	c.joined[id] = j
	c.mu.Unlock()
	fail := func(err error) error {
		c.mu.Lock()
		delete(c.joined, id)
		j.finishLocked(control.Exit{Code: ErrStartFailed})
		c.mu.Unlock()
		return err
	}
	gf, err := dupFile(files[0])
	if err != nil {
		return fail(err)
	}
	gc, err := DialGofer(gf)
	if err != nil {
		return fail(err)
	}
	logf := c.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	jc, err := c.sb.PrepareContainer(cfg, gc, func(format string, a ...any) { logf("container %s: "+format, append([]any{id}, a...)...) })
	if err != nil {
		return fail(err)
	}
	var stdio []*os.File
	for _, f := range files[1:] {
		d, err := dupFile(f)
		if err != nil {
			for _, s := range stdio {
				s.Close()
			}
			jc.Release()
			return fail(err)
		}
		stdio = append(stdio, d)
	}
	c.mu.Lock()
	j.c, j.stdio = jc, stdio
	if c.exit != nil {
		j.finishLocked(control.Exit{Signal: int(syscall.SIGKILL)})
	}
	c.mu.Unlock()
	return nil
}

// dupFile returns a copy of f that the caller owns.
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// startJoined starts a joined container's init and records its exit when it ends.
func (c *Controller) startJoined(j *joinedState) error {
	c.mu.Lock()
	switch {
	case j.c == nil:
		c.mu.Unlock()
		return errors.New("the container is still being created")
	case j.exit != nil:
		c.mu.Unlock()
		return errors.New("container has stopped")
	case j.started:
		c.mu.Unlock()
		return errors.New("container is already running")
	}
	j.started = true
	stdio := j.stdio
	j.stdio = nil
	c.mu.Unlock()
	tg, err := c.sb.StartContainer(j.c, stdio)
	for _, f := range stdio {
		f.Close()
	}
	if err != nil {
		if errors.Is(err, kernel.ErrNotRunning) {
			err = errors.New("the sandbox's own container is not running")
		}
		c.mu.Lock()
		j.finishLocked(control.Exit{Code: ErrStartFailed})
		c.mu.Unlock()
		return fmt.Errorf("starting init: %w", err)
	}
	c.mu.Lock()
	j.init = tg
	c.mu.Unlock()
	go func() {
		st := c.sb.Kernel.WaitSpawned(tg)
		c.mu.Lock()
		j.finishLocked(control.Exit{Code: st.Code, Signal: st.Signo})
		c.mu.Unlock()
	}()
	return nil
}

// signalJoined delivers a signal request to a joined container: its init, every process of
// it (all), or a process exec started (pid). A signal that terminates by default ends a
// container that has not started.
func (c *Controller) signalJoined(req control.Request) error {
	sig := req.Signal
	if sig < 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return fmt.Errorf("invalid signal %d", sig)
	}
	if c.holdSignal(req) {
		return nil
	}
	if req.Pid != 0 {
		return c.signalExec(req.Pid, sig)
	}
	j := c.lookupJoined(req.Container)
	if j == nil {
		return fmt.Errorf("container %s is not in this sandbox", req.Container)
	}
	c.mu.Lock()
	if j.exit != nil {
		c.mu.Unlock()
		return errors.New("container is not running")
	}
	if !j.started {
		if sig != 0 && terminatesByDefault(syscall.Signal(sig)) {
			j.finishLocked(control.Exit{Signal: sig})
		}
		c.mu.Unlock()
		return nil
	}
	init := j.init
	c.mu.Unlock()
	if sig == 0 {
		return nil
	}
	if req.All {
		for _, tg := range c.sb.Kernel.ThreadGroups() {
			if tg.Container() == req.Container {
				if t := tg.Leader(); t != nil {
					t.SendExternalSignal(sig)
				}
			}
		}
		return nil
	}
	if init == nil {
		return errors.New("container is not running")
	}
	t := init.Leader()
	if t == nil {
		return errors.New("container is not running")
	}
	t.SendExternalSignal(sig)
	return nil
}

// execJoined starts a process in a running joined container.
func (c *Controller) execJoined(j *joinedState, e *control.ExecSpec, files []*os.File) (int32, error) {
	if e == nil {
		return 0, errors.New("exec: no process")
	}
	if e.Stdio < len(files) {
		files = files[:e.Stdio]
	}
	c.mu.Lock()
	running := j.started && j.exit == nil && j.c != nil
	c.mu.Unlock()
	if !running {
		return 0, errors.New("the container is not running")
	}
	tg, err := c.sb.ExecInContainer(j.c, *e, files)
	if err != nil {
		return 0, err
	}
	return c.trackExec(tg), nil
}

// deleteJoined kills a joined container's processes, waits for them to be gone, and
// releases its mount namespace and gofer. The sandbox goes on.
func (c *Controller) deleteJoined(id string) error {
	j := c.lookupJoined(id)
	if j == nil {
		return fmt.Errorf("container %s is not in this sandbox", id)
	}
	k := c.sb.Kernel
	k.KillContainer(id)
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := k.ContainerRunning(id)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s: %d processes do not exit", id, left)
		}
		k.KillContainer(id)
		time.Sleep(5 * time.Millisecond)
	}
	c.mu.Lock()
	if c.joined[id] != j || j.c == nil {
		c.mu.Unlock()
		return fmt.Errorf("container %s is being created or deleted", id)
	}
	delete(c.joined, id)
	j.finishLocked(control.Exit{Signal: int(syscall.SIGKILL)})
	stdio := j.stdio
	j.stdio = nil
	c.mu.Unlock()
	for _, f := range stdio {
		f.Close()
	}
	j.c.Release()
	return nil
}
