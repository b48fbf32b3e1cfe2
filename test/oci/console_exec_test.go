package oci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/ptytest"
)

// Tests of `runsc exec --tty`: the exec'd process's own terminal, as `docker exec -it` and
// `ctr task exec -t` use it.

// startExec starts `runsc exec args...` in the background and returns a channel that gets
// its exit code.
func (e *env) startExec(args ...string) <-chan int {
	e.t.Helper()
	cmd := exec.Command(runsc, append([]string{"--root", e.root, "exec"}, args...)...)
	cmd.Dir = e.bundle
	errf, _ := os.Create(filepath.Join(e.t.TempDir(), "err"))
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	code := make(chan int, 1)
	go func() {
		cmd.Wait()
		errf.Close()
		if b, _ := os.ReadFile(errf.Name()); len(b) > 0 {
			e.t.Logf("runsc exec: %s", b)
		}
		code <- cmd.ProcessState.ExitCode()
	}()
	e.t.Cleanup(func() {
		cmd.Process.Kill()
	})
	return code
}

func waitCode(t *testing.T, code <-chan int) int {
	t.Helper()
	select {
	case c := <-code:
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("runsc exec did not exit")
	}
	return -1
}

// waitHangup waits for the screen's reader to end: the master saw the terminal's end.
func waitHangup(t *testing.T, ended <-chan struct{}) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Error("the console's master never saw the terminal end after the process exited")
	}
}

// TestExecTTY: `exec --tty --console-socket` into a running container without a terminal:
// the master arrives on the socket, the shell runs interactively on a pty of the
// container's devpts, exec exits with its status, and the master then sees the end.
func TestExecTTY(t *testing.T) {
	e := newBusyboxEnv(t, "sleep 60")
	e.linkApplets("tty", "stty")
	e.setProcess("env", []any{"PATH=/bin", "TERM=dumb"})
	e.must("run", "--detach", "x")

	rcv := ptytest.NewReceiver(t)
	code := e.startExec("--tty", "--console-socket", rcv.Path, "--env", "PS1=$ ", "x", "sh")
	m := rcv.Master(t)
	if !strings.HasPrefix(m.Name(), "/dev/pts/") {
		t.Errorf("console name %q: want the host pty's /dev/pts path", m.Name())
	}
	var s ptytest.Screen
	ended := make(chan struct{})
	go func() { s.Read(m); close(ended) }()
	s.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; echo hi >/dev/tty && echo ctty-$((40+2)); exit 7\r")
	out := s.Expect(t, "ctty-42")
	if !strings.Contains(out, "/dev/pts/") || strings.Contains(out, "not a tty") {
		t.Errorf("tty: want a /dev/pts path in %q", out)
	}
	if c := waitCode(t, code); c != 7 {
		t.Errorf("exec --tty: exit code %d, want 7", c)
	}
	waitHangup(t, ended)

	// The container is untouched; exec's process is gone.
	if st := e.state("x"); st.Status != "running" {
		t.Fatalf("after exec --tty: %s", st.Status)
	}
	if got := psPids(t, e, "x"); got != "[1]" {
		t.Errorf("ps after exec --tty: %q", got)
	}
}

// TestExecTTYProcess: a process.json with terminal true and a consoleSize, detached as
// containerd's shim runs it: the terminal has that size, is the process's controlling
// terminal in a session of its own, and its output reaches the master.
func TestExecTTYProcess(t *testing.T) {
	e := newBusyboxEnv(t, "sleep 60")
	e.linkApplets("tty", "stty")
	e.setProcess("env", []any{"PATH=/bin"})
	e.must("run", "--detach", "x")

	proc := writeTemp(t, `{"terminal":true,"consoleSize":{"height":30,"width":90},"args":["sh","-c","stty size; echo x >/dev/tty && echo ctty; [ \"$(cut -d' ' -f6 /proc/self/stat)\" = \"$$\" ] && echo own-session; exit 5"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}`)
	rcv := ptytest.NewReceiver(t)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	e.must("exec", "--detach", "--pid-file", pidFile, "--console-socket", rcv.Path, "-p", proc, "x")
	m := rcv.Master(t)
	var s ptytest.Screen
	ended := make(chan struct{})
	go func() { s.Read(m); close(ended) }()
	out := s.Expect(t, "ctty")
	if !strings.Contains(out, "30 90") {
		t.Errorf("stty size: want the consoleSize 30 90 in %q", out)
	}
	s.Expect(t, "own-session")
	waitHangup(t, ended)
	if b, err := os.ReadFile(pidFile); err != nil || len(b) == 0 {
		t.Errorf("--pid-file: %q, %v", b, err)
	}

	// Refused as runc refuses them: a console socket without a terminal, a detached
	// terminal with nowhere to send the master.
	e.fails("--console-socket given without a terminal", "exec", "--console-socket", rcv.Path, "x", "true")
	e.fails("cannot allocate a tty when detaching without --console-socket", "exec", "--detach", "--tty", "x", "true")
}
