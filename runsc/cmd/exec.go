package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/config"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/control"
	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Exec implements `runsc exec`: run a new process in a running container.
type Exec struct {
	Conf *config.Config

	process        string
	detach         bool
	cwd            string
	env            stringList
	user           string
	additionalGids stringList
	pidFile        string
	caps           stringList
	noNewPrivs     bool
	apparmor       string
	processLabel   string
	tty            bool
	consoleSocket  string
	preserveFDs    int
	// consoleRows and consoleCols are the process.json's consoleSize (0: none).
	consoleRows, consoleCols uint16
	cgroup                   string
	ignorePaused             bool
	// startedFD is internal: the descriptor on which a detached exec's child reports the
	// process it started.
	startedFD int
}

func (*Exec) Name() string     { return "exec" }
func (*Exec) Synopsis() string { return "execute new process inside the container" }
func (*Exec) Usage() string {
	return `exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>

Runs <command> (or the process process.json describes) in the running container, in a new
session of the container's pid namespace, with this command's stdin, stdout and stderr.
exec exits with the process's exit code (128+N if signal N killed it) and passes on the
signals it receives. Unless given, env, cwd and user are the container's (config.json's
process); --env adds to or replaces the container's environment.

With --detach, exec returns once the process runs; a "runsc exec" process of its own then
waits for it (its host pid is what --pid-file gets: the process itself has only a pid in
the sandbox, which "runsc ps" shows). Without --detach, --pid-file gets this command's pid.

With --tty (or a process.json whose terminal is true), the process gets a terminal of its
own as its controlling terminal: a new host pty, sized from the process.json's consoleSize,
whose master is sent to --console-socket as runc does, or, without one, relayed to this
command's stdin and stdout. A detached exec needs --console-socket for a terminal.

--cap adds a capability to the process's bounding, permitted and effective sets (the
sentry's own, never the host's). --no-new-privs (or the
container's process.noNewPrivileges) sets the sandbox's no_new_privs for the process
(PR_GET_NO_NEW_PRIVS, /proc status). --apparmor and --process-label are accepted: the
sandbox runs no host program, so they change nothing.
`
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (e *Exec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&e.process, "process", "", "path to the process.json")
	f.StringVar(&e.process, "p", "", "short for --process")
	f.BoolVar(&e.detach, "detach", false, "detach from the container's process")
	f.BoolVar(&e.detach, "d", false, "short for --detach")
	f.StringVar(&e.cwd, "cwd", "", "current working directory in the container")
	f.Var(&e.env, "env", "set environment variables (NAME=VALUE; repeatable)")
	f.Var(&e.env, "e", "short for --env")
	f.StringVar(&e.user, "user", "", "UID (format: <uid>[:<gid>])")
	f.StringVar(&e.user, "u", "", "short for --user")
	f.Var(&e.additionalGids, "additional-gids", "additional gids (repeatable)")
	f.Var(&e.additionalGids, "g", "short for --additional-gids")
	f.StringVar(&e.pidFile, "pid-file", "", "specify the file to write the process id to")
	f.Var(&e.caps, "cap", "add a capability to the bounding, permitted and effective sets of the process")
	f.Var(&e.caps, "c", "short for --cap")
	f.BoolVar(&e.noNewPrivs, "no-new-privs", false, "set the no new privileges value for the process")
	f.StringVar(&e.apparmor, "apparmor", "", "set the apparmor profile for the process (accepted)")
	f.StringVar(&e.processLabel, "process-label", "", "set the asm process label for the process (accepted)")
	f.BoolVar(&e.tty, "tty", false, "allocate a pseudo-TTY")
	f.BoolVar(&e.tty, "t", false, "short for --tty")
	f.StringVar(&e.consoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
	f.IntVar(&e.preserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the process (0 only)")
	f.StringVar(&e.cgroup, "cgroup", "", "run the process in an (existing) sub-cgroup (accepted: the process runs in the sandbox, which is in the container's cgroup)")
	f.BoolVar(&e.ignorePaused, "ignore-paused", false, "allow exec in a paused container (the process starts when the container resumes)")
	f.IntVar(&e.startedFD, "internal-started-fd", -1, "for internal use")
}

func (e *Exec) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() < 1 {
		return fail("exec: expected a container id")
	}
	id := f.Arg(0)
	if e.process == "" && f.NArg() < 2 {
		return fail("exec: no command given (exec CONTAINER_ID COMMAND [ARGS...], or --process process.json)")
	}
	if e.process != "" && f.NArg() > 1 {
		return fail("exec: --process and a command cannot both be given")
	}
	if e.preserveFDs != 0 {
		return fail("exec: --preserve-fds %d: passing extra descriptors is not supported", e.preserveFDs)
	}
	tty := e.tty || (e.process != "" && processTerminal(e.process))
	if err := checkConsoleFlags(tty, e.detach, e.consoleSocket); err != nil {
		return fail("exec: %v", err)
	}
	if e.detach {
		return e.detachSelf(f.NArg(), tty)
	}
	c, err := container.Load(e.Conf.Root, id, false)
	if err != nil {
		return fail("exec: %v", err)
	}
	spec, err := e.processSpec(c, f.Args()[1:])
	if err != nil {
		c.Close()
		return fail("exec: %v", err)
	}
	stdio := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	// resized tells the sandbox that the exec'd terminal's size changed: SIGWINCH makes
	// it re-read its terminals' sizes (boot.Console). Its default action is to be ignored,
	// so a sandbox pid reused meanwhile is harmless.
	sandbox := c.Pid
	resized := func() { unix.Kill(sandbox, unix.SIGWINCH) }
	forwardWinch := false
	if e.tty {
		files, done, fw, err := execConsole(e.consoleSocket, e.consoleRows, e.consoleCols, resized)
		forwardWinch = fw
		if err != nil {
			c.Close()
			return fail("exec: %v", err)
		}
		defer done()
		stdio = files
		spec.Terminal = true
	}
	// Catch signals before the process exists, so that none is lost.
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	defer signal.Stop(sigs)
	if c.Status() == container.Paused && e.ignorePaused {
		// Started in the frozen sandbox, it runs once the container resumes.
		c.ForceStatus(container.Running)
	}
	pid, err := c.Exec(spec, stdio)
	c.Close()
	if err != nil {
		if c.Status() == container.Paused {
			return fail("exec: cannot exec in a paused container (use --ignore-paused to override)")
		}
		return fail("exec: %v", err)
	}
	if e.startedFD >= 0 {
		rep := os.NewFile(uintptr(e.startedFD), "started")
		fmt.Fprintf(rep, "%d\n", pid)
		rep.Close()
	} else if e.pidFile != "" {
		if err := writePidFile(e.pidFile, os.Getpid()); err != nil {
			return fail("exec: %v", err)
		}
	}
	go func() {
		for s := range sigs {
			sig := s.(syscall.Signal)
			if sig == unix.SIGCHLD || sig == unix.SIGURG || sig == unix.SIGPIPE {
				continue
			}
			if e.tty && sig == unix.SIGWINCH {
				// The exec'd terminal was resized (execConsole): not a signal for the
				// process, whose terminal sends it one if its size changed.
				if forwardWinch {
					resized()
				}
				continue
			}
			container.SignalPID(e.Conf.Root, id, pid, unix.Signal(sig))
		}
	}()
	ex, err := container.WaitPID(e.Conf.Root, id, pid)
	if err != nil {
		return fail("exec: %v", err)
	}
	return subcommands.ExitStatus(ex.ShellCode())
}

// containerCaps is a copy of the container process's capability sets (nil: by uid).
func containerCaps(c *container.Container) *control.CapSets {
	if d := c.Process; d != nil && d.Caps != nil {
		cs := *d.Caps
		return &cs
	}
	return nil
}

// processSpec builds the process to start: process.json as it is, or the container's
// defaults with the command line's changes.
func (e *Exec) processSpec(c *container.Container, argv []string) (control.ExecSpec, error) {
	var s control.ExecSpec
	if e.process != "" {
		data, err := os.ReadFile(e.process)
		if err != nil {
			return s, fmt.Errorf("--process: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(data, &p); err != nil {
			return s, fmt.Errorf("--process %s: malformed JSON: %v", e.process, err)
		}
		if len(p.Args) == 0 || p.Args[0] == "" {
			return s, fmt.Errorf("--process %s: \"args\" is missing or empty", e.process)
		}
		if p.Terminal && !e.tty {
			e.tty = true
		}
		if p.ConsoleSize != nil {
			e.consoleRows, e.consoleCols = uint16(p.ConsoleSize.Height), uint16(p.ConsoleSize.Width)
		}
		s = control.ExecSpec{Args: p.Args, Env: p.Env, Cwd: p.Cwd, UID: p.User.UID, GID: p.User.GID, AdditionalGIDs: p.User.AdditionalGids, Caps: containerCaps(c), NoNewPrivs: p.NoNewPrivileges || e.noNewPrivs}
		// Without capabilities of its own the process gets the container's, as with runc.
		if p.Capabilities != nil {
			s.Caps = specutil.CapSets(p.Capabilities)
		}
		if s.Cwd == "" && c.Process != nil {
			s.Cwd = c.Process.Cwd
		}
		return s, nil
	}
	s.Args = argv
	if d := c.Process; d != nil {
		s.Env = append([]string(nil), d.Env...)
		s.Cwd, s.UID, s.GID = d.Cwd, d.UID, d.GID
		s.AdditionalGIDs = append([]uint32(nil), d.AdditionalGIDs...)
		s.NoNewPrivs = d.NoNewPrivs
		s.Caps = containerCaps(c)
	}
	s.NoNewPrivs = s.NoNewPrivs || e.noNewPrivs
	for _, kv := range e.env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return s, fmt.Errorf("--env %q: want NAME=VALUE", kv)
		}
		s.Env = setEnv(s.Env, name, kv)
	}
	if e.cwd != "" {
		s.Cwd = e.cwd
	}
	if e.user != "" {
		u, g, hasG := strings.Cut(e.user, ":")
		uid, err := strconv.ParseUint(u, 10, 32)
		if err != nil {
			return s, fmt.Errorf("--user %q: want <uid>[:<gid>] (numbers)", e.user)
		}
		s.UID = uint32(uid)
		if hasG {
			gid, err := strconv.ParseUint(g, 10, 32)
			if err != nil {
				return s, fmt.Errorf("--user %q: want <uid>[:<gid>] (numbers)", e.user)
			}
			s.GID = uint32(gid)
		}
	}
	if len(e.additionalGids) > 0 {
		s.AdditionalGIDs = nil
		for _, v := range e.additionalGids {
			for _, g := range strings.Split(v, ",") {
				gid, err := strconv.ParseUint(strings.TrimSpace(g), 10, 32)
				if err != nil {
					return s, fmt.Errorf("--additional-gids %q: not a number", g)
				}
				s.AdditionalGIDs = append(s.AdditionalGIDs, uint32(gid))
			}
		}
	}
	// --cap adds to the bounding, permitted and effective sets, as runc's does.
	for _, cp := range e.caps {
		bit, ok := specutil.CapMask([]string{cp})
		if !ok {
			return s, fmt.Errorf("--cap %q: not a capability name (CAP_...)", cp)
		}
		if s.Caps != nil {
			s.Caps.Bounding |= bit
			s.Caps.Permitted |= bit
			s.Caps.Effective |= bit
		}
	}
	return s, nil
}

// setEnv sets name (kv is "name=value") in env, replacing an existing entry.
func setEnv(env []string, name, kv string) []string {
	for i, x := range env {
		if n, _, _ := strings.Cut(x, "="); n == name {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// detachSelf runs this exec again without --detach, as a process of its own (a new
// session, the same stdio) that waits for the container's process, and returns once that
// has started it. --pid-file gets that process's pid.
func (e *Exec) detachSelf(nargs int, tty bool) subcommands.ExitStatus {
	r, w, err := os.Pipe()
	if err != nil {
		return fail("exec: %v", err)
	}
	defer r.Close()
	// The flags are what precedes the container id and the command (the last nargs
	// arguments, which are passed on as they are: the command may have a -d of its own).
	flags, rest := os.Args[1:len(os.Args)-nargs], os.Args[len(os.Args)-nargs:]
	var args []string
	for _, a := range flags {
		switch a {
		case "--detach", "-detach", "-d", "--d", "--detach=true", "-detach=true", "-d=true", "--d=true":
			continue
		}
		args = append(args, a)
		if a == "exec" {
			// Right after the command name, among exec's own flags.
			args = append(args, "--internal-started-fd=3")
		}
	}
	args = append(args, rest...)
	exe, _ := os.Executable()
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Args[0] = exe
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// With a terminal the process's stdio is the pty, and the child must not keep ours:
	// a caller that reads our output to its end (containerd's shim does, for an exec with
	// a terminal) would wait for the process to exit, not for this command. The child's
	// stderr comes through a pipe until it has started the process (or failed to), then
	// goes (later errors are in --log).
	var childErr *os.File
	copied := make(chan struct{})
	close(copied)
	if tty {
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			w.Close()
			return fail("exec: %v", err)
		}
		defer null.Close()
		er, ew, err := os.Pipe()
		if err != nil {
			w.Close()
			return fail("exec: %v", err)
		}
		defer er.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, ew
		childErr = ew
		copied = make(chan struct{})
		go func() {
			io.Copy(os.Stderr, er)
			close(copied)
		}()
	}
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	if childErr != nil {
		childErr.Close()
	}
	if err != nil {
		w.Close()
		return fail("exec: %v", err)
	}
	w.Close()
	msg, _ := io.ReadAll(r)
	if _, err := strconv.Atoi(strings.TrimSpace(string(msg))); err != nil {
		// The child said why on stderr.
		st, _ := cmd.Process.Wait()
		<-copied
		if st != nil && st.ExitCode() > 0 {
			return subcommands.ExitStatus(st.ExitCode())
		}
		return subcommands.ExitFailure
	}
	if e.pidFile != "" {
		if err := writePidFile(e.pidFile, cmd.Process.Pid); err != nil {
			return fail("exec: %v", err)
		}
	}
	cmd.Process.Release()
	return subcommands.ExitSuccess
}

// writePidFile writes pid to name atomically.
func writePidFile(name string, pid int) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing pid file: %w", err)
	}
	return nil
}
