package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStraceLogsDecodedSyscalls checks `runsc do --strace`: one line per syscall on stderr,
// with decoded arguments and results, and the program's own output untouched on stdout.
func TestStraceLogsDecodedSyscalls(t *testing.T) {
	prog := program(t, "errno")
	runsc := requireRunsc(t)
	cmd := exec.Command(runsc, "do", "--strace", prog)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runsc do --strace errno: %v\n%s", err, stderr.String())
	}
	native, err := exec.Command(prog).Output()
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(native) {
		t.Errorf("stdout changed by --strace:\n%s", lineDiff(string(native), stdout.String()))
	}
	log := stderr.String()
	for _, want := range []string{
		"] write(1, \"", // a decoded buffer
		") = -1 EFAULT (bad address)",
		") = -1 EBADF (bad file descriptor)",
		"] exit_group(0) = ?",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("strace log lacks %q:\n%s", want, tail(log, 40))
		}
	}
}
