package e2e

import (
	"strings"
	"testing"
)

// TestHostileSyscallArguments runs a program that passes garbage to nearly every syscall.
// It runs only sandboxed — on the host it could do real damage. The sentry must answer every
// call with a result or an errno: the program must finish, and runsc must not report a
// sentry failure.
func TestHostileSyscallArguments(t *testing.T) {
	prog := program(t, "hostile")
	got := runSandboxed(t, prog)
	if got.status != 0 || !strings.HasPrefix(got.stdout, "survived ") {
		t.Fatalf("runsc do hostile: status %s, stdout %q\n%s", got.how, got.stdout, stderrNote(got))
	}
	for _, bad := range []string{"panic", "goroutine ", "platform failure"} {
		if strings.Contains(got.stderr, bad) {
			t.Fatalf("runsc stderr mentions %q:\n%s", bad, stderrNote(got))
		}
	}
}
