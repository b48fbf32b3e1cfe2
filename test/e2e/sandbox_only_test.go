package e2e

import "testing"

// sandboxCase is a program whose output differs between the host and the
// sandbox by design. It must run cleanly on the host (status 0) and produce
// exactly want under runsc.
type sandboxCase struct {
	name string
	prog string
	// want is the whole stdout expected under runsc.
	want string
}

var sandboxCases = []sandboxCase{
	// The sandboxed program is init of its own pid namespace.
	{name: "getpid-is-1", prog: "getpid", want: "pid=1\n"},
	// io_uring is not implemented in the first milestone: the sentry must
	// answer ENOSYS and keep the program running.
	{name: "unimplemented-enosys", prog: "enosys", want: "io_uring_setup: -1 ENOSYS\nstill running\n"},
}

// TestSandboxOnly runs programs whose sandboxed output is known rather than
// equal to the host's.
func TestSandboxOnly(t *testing.T) {
	for _, tc := range sandboxCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prog := program(t, tc.prog)
			native := runNative(t, prog)
			if native.status != 0 || native.stdout == "" {
				t.Fatalf("native run %s: want status 0 and output, got %s\nstdout:\n%s\nstderr:\n%s",
					tc.prog, native.how, native.stdout, native.stderr)
			}
			if native.stdout == tc.want {
				t.Logf("note: the host run already prints the sandbox's expected output %q", tc.want)
			}
			got := runSandboxed(t, prog)
			if got.stdout != tc.want || got.status != 0 {
				t.Errorf("runsc do %s: want status 0 and stdout (- want, + got):\n%sgot status: %s\n%s",
					tc.prog, lineDiff(tc.want, got.stdout), got.how, stderrNote(got))
			}
		})
	}
}
