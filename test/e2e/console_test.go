package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostPTY opens a host pseudo-terminal pair.
func hostPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no host ptys: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// terminalScreen collects what a program writes to its terminal.
type terminalScreen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *terminalScreen) read(f *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		s.mu.Lock()
		s.buf.Write(b[:max(n, 0)])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// expect waits until the output since the last expect contains want, and returns it.
func (s *terminalScreen) expect(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		out := s.buf.String()
		if i := strings.Index(out, want); i >= 0 {
			s.buf.Next(i + len(want))
			s.mu.Unlock()
			return out[:i+len(want)]
		}
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("terminal: %q never appeared; the screen has %q", want, s.buf.String())
	return ""
}

// TestDoOnTerminal: `runsc do` on a terminal gives the program a terminal of the
// sandbox's: an interactive shell runs commands, sees /dev/pts/0 and the host terminal's
// size, follows a resize, and ^C interrupts its foreground job, not runsc.
func TestDoOnTerminal(t *testing.T) {
	runsc := requireRunsc(t)
	m, s := hostPTY(t)
	defer m.Close()
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 70}); err != nil {
		t.Fatal(err)
	}
	argv := runscArgs(runsc, false, "/bin/sh")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append([]string{}, testEnv...), "PS1=$ ")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
	}()
	var scr terminalScreen
	go scr.read(m)
	typ := func(in string) {
		t.Helper()
		if _, err := m.WriteString(in); err != nil {
			t.Fatal(err)
		}
	}
	scr.expect(t, "$ ")
	typ("tty; stty size; echo sum-$((40+2))\r")
	out := scr.expect(t, "sum-42")
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "24 70") {
		t.Errorf("want /dev/pts/0 and the size 24 70 in %q", out)
	}
	scr.expect(t, "$ ")
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 132}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	typ("stty size\r")
	scr.expect(t, "50 132")
	scr.expect(t, "$ ")
	typ("sleep 60\r")
	time.Sleep(300 * time.Millisecond)
	typ("\x03")
	scr.expect(t, "^C")
	typ("echo still-here\r")
	scr.expect(t, "still-here")
	typ("exit 5\r")
	select {
	case err := <-done:
		exited = true
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
			t.Fatalf("runsc do: %v, want exit status 5", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runsc do did not exit")
	}
}
