package boot

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Controller serves a container's control socket in the sandbox process: it starts init
// when `runsc start` asks, delivers signals, and answers waits. Protocol: runsc/control.
type Controller struct {
	sb *Sandbox

	mu sync.Mutex
	// args is init's program, consumed by start. Guarded by mu.
	args Args
	// started is set once init runs. Guarded by mu.
	started bool
	// exit is set once, when the container has ended. Guarded by mu.
	exit *control.Exit
	// done is closed when exit is set.
	done chan struct{}
	// onExit is called with the exit status before done is closed (and so before any
	// waiter hears of it).
	onExit func(control.Exit)

	// handlers counts connections being answered.
	handlers sync.WaitGroup

	// held are the signals sent while the sandbox is paused, delivered when it resumes.
	// Guarded by mu.
	held []control.Request

	// execs are the processes started by exec, by sandbox pid, until waited for. Guarded
	// by mu.
	execs map[int32]*execProc

	// joined are the containers that joined the sandbox, by id, until deleted
	// (controller_containers.go). Guarded by mu.
	joined map[string]*joinedState
	// Logf, if set, receives debug notes (a joining container's skipped mounts). Set
	// before Serve.
	Logf func(format string, args ...any)
}

// execProc is a process started by exec.
type execProc struct {
	// done is closed once exit is set (by the goroutine that reaps the process).
	done chan struct{}
	exit control.Exit
}

// NewController returns a controller for sb that will start a as init. onExit records the
// exit status (in the state directory) before anyone is told the container has stopped.
func NewController(sb *Sandbox, a Args, onExit func(control.Exit)) *Controller {
	return &Controller{sb: sb, args: a, done: make(chan struct{}), onExit: onExit}
}

// Done is closed when the container has ended (init exited, or it was killed before start).
func (c *Controller) Done() <-chan struct{} { return c.done }

// Exit returns how the container ended.
//
// Preconditions: Done is closed.
func (c *Controller) Exit() control.Exit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.exit
}

// Started reports whether init was started.
func (c *Controller) Started() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// Serve answers connections on l until l is closed.
func (c *Controller) Serve(l *control.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		c.handlers.Add(1)
		go func() {
			defer c.handlers.Done()
			c.handle(conn)
		}()
	}
}

// Drain waits up to d for connections being answered (waiters told of the exit).
func (c *Controller) Drain(d time.Duration) {
	ch := make(chan struct{})
	go func() { c.handlers.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

func (c *Controller) handle(conn *os.File) {
	defer conn.Close()
	if !control.PeerAllowed(conn) {
		json.NewEncoder(conn).Encode(control.Response{Error: "permission denied"})
		return
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	req, files, err := control.ReadRequest(conn)
	if err != nil {
		json.NewEncoder(conn).Encode(control.Response{Error: "malformed request: " + err.Error()})
		return
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	conn.SetReadDeadline(time.Time{})
	var resp control.Response
	if req.Cmd == control.CmdCreate || (req.Container != "" && req.Container != c.sb.ContainerID) {
		resp = c.handleJoined(req, files)
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		json.NewEncoder(conn).Encode(resp)
		return
	}
	switch req.Cmd {
	case control.CmdExec:
		resp.Pid, err = c.exec(req.Exec, files)
	case control.CmdWaitPID:
		var e control.Exit
		if e, err = c.waitPID(req.Pid); err == nil {
			resp.Exit = &e
		}
	case control.CmdPs:
		resp.Processes = c.ps(c.sb.ContainerID)
	case control.CmdPause:
		err = c.sb.Kernel.Pause(5 * time.Second)
	case control.CmdResume:
		err = c.resume()
	case control.CmdStats:
		resp.Stats = c.stats()
	case control.CmdUpdate:
		if req.MemoryLimit != nil {
			c.sb.Kernel.SetMemoryLimit(*req.MemoryLimit)
		}
		if req.PidsLimit != nil {
			c.sb.Kernel.SetPidsLimit(*req.PidsLimit)
		}
	case control.CmdStart:
		err = c.start()
	case control.CmdSignal:
		err = c.signalRequest(req)
	case control.CmdDelete:
		err = errors.New("the sandbox's own container is deleted by ending the sandbox")
	case control.CmdWait:
		<-c.done
		e := c.Exit()
		resp.Exit = &e
	default:
		err = fmt.Errorf("unknown request %q", req.Cmd)
	}
	if err != nil {
		resp.Error = err.Error()
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	json.NewEncoder(conn).Encode(resp)
}

// ErrStartFailed is the exit code recorded when init could not be started (a bad
// executable): 127, as a shell reports a command it could not run.
const ErrStartFailed = 127

func (c *Controller) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.exit != nil:
		return errors.New("container has stopped")
	case c.started:
		return errors.New("container is already running")
	}
	c.started = true
	if err := c.sb.Start(c.args); err != nil {
		c.finishLocked(control.Exit{Code: ErrStartFailed})
		return fmt.Errorf("starting init: %w", err)
	}
	c.sb.ForwardSignals()
	go func() {
		st := c.sb.Kernel.Wait()
		c.mu.Lock()
		c.finishLocked(control.Exit{Code: st.Code, Signal: st.Signo})
		c.mu.Unlock()
	}()
	return nil
}

// finishLocked records how the container ended, once.
//
// Preconditions: c.mu is held.
func (c *Controller) finishLocked(e control.Exit) {
	if c.exit != nil {
		return
	}
	c.exit = &e
	if c.onExit != nil {
		c.onExit(e)
	}
	// The sandbox ends, and every joined container with it (its processes are killed).
	for _, j := range c.joined {
		j.finishLocked(control.Exit{Signal: int(syscall.SIGKILL)})
	}
	close(c.done)
}

// signalRequest delivers a signal request to the sandbox's own container (held while the
// sandbox is paused).
func (c *Controller) signalRequest(req control.Request) error {
	if c.holdSignal(req) {
		return nil
	}
	if req.Pid != 0 {
		return c.signalExec(req.Pid, req.Signal)
	}
	return c.signal(req.Signal, req.All)
}

func (c *Controller) signal(sig int, all bool) error {
	if sig < 0 || (sig != 0 && !kernel.ValidSignal(sig)) {
		return fmt.Errorf("invalid signal %d", sig)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exit != nil {
		return errors.New("container is not running")
	}
	if !c.started {
		// Init is not running yet: a signal whose default action is to terminate ends the
		// container as it would have ended init; others (ignore, stop) do nothing.
		if sig != 0 && terminatesByDefault(syscall.Signal(sig)) {
			c.finishLocked(control.Exit{Signal: sig})
		}
		return nil
	}
	if all {
		for _, tg := range c.sb.Kernel.ThreadGroups() {
			if tg.Container() != c.sb.ContainerID {
				continue
			}
			if t := tg.Leader(); t != nil && sig != 0 {
				t.SendExternalSignal(sig)
			}
		}
		return nil
	}
	t := c.sb.Kernel.TaskByTID(1)
	if t == nil {
		return errors.New("container is not running")
	}
	if sig != 0 {
		// As from an ancestor pid namespace: init ignores what it has no handler for,
		// except SIGKILL and SIGSTOP (pid_namespaces(7)).
		t.SendExternalSignal(sig)
	}
	return nil
}

// terminatesByDefault reports whether sig's default action ends a process.
func terminatesByDefault(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGWINCH,
		syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	return true
}
