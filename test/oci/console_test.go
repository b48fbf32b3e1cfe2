package oci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/test/internal/ptytest"
)

// TestConsole runs an interactive busybox shell with process.terminal and a console
// socket: the shell's terminal is /dev/pts/0 of the container's devpts, the size is the
// spec's consoleSize, typed commands run, a resize of the master reaches the foreground
// program as SIGWINCH, ^C interrupts it, and exit ends the container.
func TestConsole(t *testing.T) {
	e := newBusyboxEnv(t, "")
	e.linkApplets("tty", "stty")
	e.setArgs("sh")
	e.setProcess("terminal", true)
	e.setProcess("consoleSize", map[string]any{"height": 25, "width": 80})
	e.setProcess("env", []any{"PATH=/bin", "PS1=$ ", "TERM=dumb"})
	rcv := ptytest.NewReceiver(t)
	e.must("create", "--console-socket", rcv.Path, "tty1")
	m := rcv.Master(t)
	if !strings.HasPrefix(m.Name(), "/dev/pts/") {
		t.Errorf("console name %q: want the host pty's /dev/pts path", m.Name())
	}
	var s ptytest.Screen
	go s.Read(m)
	e.must("start", "tty1")

	s.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; stty size; echo done-$((6*7))\r")
	out := s.Expect(t, "done-42")
	if !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("tty: want /dev/pts/0 in %q", out)
	}
	if !strings.Contains(out, "25 80") {
		t.Errorf("stty size: want the consoleSize 25 80 in %q", out)
	}

	// A resize of the master: the foreground program gets SIGWINCH and sees the new size.
	// (A child shell: the interactive one puts each command, sleep included, in a
	// foreground job of its own.)
	ptytest.Type(t, m, "sh -c 'trap \"echo winch; stty size; exit\" WINCH; echo waiting; while :; do sleep 1; done'\r")
	s.Expect(t, "waiting")
	time.Sleep(200 * time.Millisecond)
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 100}); err != nil {
		t.Fatal(err)
	}
	s.Expect(t, "winch")
	s.Expect(t, "40 100")

	// ^C interrupts the foreground job, not the shell; job control comes back to it.
	s.CheckInterrupt(t, m)

	// The shell's exit ends the container with its status; the master then sees the
	// console hang up.
	ptytest.Type(t, m, "exit 7\r")
	st := e.waitStatus("tty1", "stopped")
	if st.ExitCode == nil || *st.ExitCode != 7 {
		t.Errorf("exit code %v, want 7", st.ExitCode)
	}
	e.must("delete", "tty1")
}

// TestConsoleNeedsSocket: as runc, a terminal needs somewhere to send its master (but
// `run` in the foreground, TestRunTerminalRelay), and a console socket needs a terminal;
// a refused create leaves no state.
func TestConsoleNeedsSocket(t *testing.T) {
	e := newBusyboxEnv(t, "true")
	e.setProcess("terminal", true)
	e.fails("no --console-socket", "create", "c1")
	e.fails("no --console-socket", "run", "--detach", "c1")
	if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
		t.Fatalf("state left in the root: %v", ents)
	}
	e.setProcess("terminal", false)
	e.fails("process.terminal is false", "create", "--console-socket", filepath.Join(t.TempDir(), "s"), "c2")
}

// TestConsoleHangup: when the caller closes the master, the container's terminal hangs up
// and the shell leading its session ends: of SIGHUP, or (a namespace's init ignores
// signals it has no handler for, as Linux's does) of the end of file its reads then see.
func TestConsoleHangup(t *testing.T) {
	e := newBusyboxEnv(t, "")
	e.setArgs("sh")
	e.setProcess("terminal", true)
	e.setProcess("env", []any{"PATH=/bin", "PS1=$ "})
	rcv := ptytest.NewReceiver(t)
	e.must("create", "--console-socket", rcv.Path, "hup")
	m := rcv.Master(t)
	var s ptytest.Screen
	go s.Read(m)
	e.must("start", "hup")
	s.Expect(t, "$ ")
	m.Close()
	st := e.waitStatus("hup", "stopped")
	if st.ExitCode == nil || (*st.ExitCode != 128+int(unix.SIGHUP) && *st.ExitCode != 0) {
		t.Errorf("exit code %v, want %d (SIGHUP) or 0 (end of file)", st.ExitCode, 128+int(unix.SIGHUP))
	}
}

// TestRunTerminalRelay: `runsc run` of a container with a terminal and no console socket
// relays the console to its own terminal, as runc does in the foreground.
func TestRunTerminalRelay(t *testing.T) {
	e := newBusyboxEnv(t, "")
	e.linkApplets("tty", "stty")
	e.setArgs("sh")
	e.setProcess("terminal", true)
	e.setProcess("env", []any{"PATH=/bin", "PS1=$ "})
	m, sl := ptytest.Open(t)
	unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77})
	cmd := exec.Command(runsc, "--root", e.root, "run", "relay")
	cmd.Dir = e.bundle
	wait := ptytest.StartOnTerminal(t, cmd, sl)
	var s ptytest.Screen
	go s.Read(m)
	s.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; stty size; exit 4\r")
	out := s.Expect(t, "33 77")
	if !strings.Contains(out, "/dev/pts/0") {
		t.Errorf("tty: want /dev/pts/0 in %q", out)
	}
	if code := wait(); code != 4 {
		t.Errorf("runsc run: exit code %d, want 4", code)
	}
}
