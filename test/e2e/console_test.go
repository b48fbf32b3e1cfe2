package e2e

import (
	"os/exec"
	"strings"
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
	wait := ptytest.StartOnTerminal(t, cmd, s)
	var scr ptytest.Screen
	go scr.Read(m)
	scr.Expect(t, "$ ")
	ptytest.Type(t, m, "tty; stty size; echo sum-$((40+2))\r")
	out := scr.Expect(t, "sum-42")
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "24 70") {
		t.Errorf("want /dev/pts/0 and the size 24 70 in %q", out)
	}
	scr.Expect(t, "$ ")
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 132}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	ptytest.Type(t, m, "stty size\r")
	scr.Expect(t, "50 132")
	scr.CheckInterrupt(t, m)
	ptytest.Type(t, m, "exit 5\r")
	if code := wait(); code != 5 {
		t.Fatalf("runsc do: exit code %d, want 5", code)
	}
}
