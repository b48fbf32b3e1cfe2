package e2e

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/test/internal/ptytest"
)

// TestDoOnTerminal: `runsc do` on a terminal gives the program a terminal of the
// sandbox's: an interactive shell runs commands, sees /dev/pts/0 and the host terminal's
// size, follows a resize, and ^C interrupts its foreground job, not runsc.
func TestDoOnTerminal(t *testing.T) {
	runsc := requireRunsc(t)
	m, s := ptytest.Open(t)
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
	var scr ptytest.Screen
	go scr.Read(m)
	typ := func(in string) {
		t.Helper()
		if _, err := m.WriteString(in); err != nil {
			t.Fatal(err)
		}
	}
	scr.Expect(t, "$ ")
	typ("tty; stty size; echo sum-$((40+2))\r")
	out := scr.Expect(t, "sum-42")
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "24 70") {
		t.Errorf("want /dev/pts/0 and the size 24 70 in %q", out)
	}
	scr.Expect(t, "$ ")
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 132}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	typ("stty size\r")
	scr.Expect(t, "50 132")
	scr.Expect(t, "$ ")
	typ("sleep 60\r")
	time.Sleep(300 * time.Millisecond)
	typ("\x03")
	scr.Expect(t, "^C")
	typ("echo still-here\r")
	scr.Expect(t, "still-here")
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
