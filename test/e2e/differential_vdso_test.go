package e2e

import (
	"strings"
	"testing"
)

// The vDSO (sentry/vdso): test/c/vdso.c compares the vDSO's answers with the syscalls'
// for every clock id and checks monotonicity across the two, natively and in the sandbox.
func init() {
	differentialCases = append(differentialCases, differentialCase{name: "vdso", prog: "vdso"})
}

// straceCount runs argv under `runsc do --strace` (with env prepended, e.g.
// STOCKADE_VDSO_TSC=0) and returns its stdout and how many logged syscalls contain each
// of names.
func straceCount(t *testing.T, env []string, prog string, args []string, names ...string) (string, map[string]int) {
	t.Helper()
	runsc := requireRunsc(t)
	argv := append(append([]string{"env"}, env...), runscArgs(runsc, true, prog, args...)...)
	o := run(t, argv)
	if o.status != 0 {
		t.Fatalf("runsc do --strace %s: %s\n%s", prog, o.how, stderrNote(o))
	}
	counts := map[string]int{}
	for _, line := range strings.Split(o.stderr, "\n") {
		for _, n := range names {
			if strings.Contains(line, "] "+n+"(") {
				counts[n]++
			}
		}
	}
	return o.stdout, counts
}

// TestVDSOClockReadsDoNotTrap checks that clock_gettime, gettimeofday and time called
// through libc 1000 times each, and the Go runtime's clock reads, reach the sentry not at
// all (the strace log is the sentry's record of every syscall it handles), and that with
// the fast path off (STOCKADE_VDSO_TSC=0, as on a host without an invariant TSC) every
// call does.
func TestVDSOClockReadsDoNotTrap(t *testing.T) {
	names := []string{"clock_gettime", "gettimeofday", "time"}
	prog := program(t, "vdso")
	out, counts := straceCount(t, nil, prog, []string{"loop"}, names...)
	if out != "done\n" {
		t.Errorf("stdout %q, want done", out)
	}
	for _, n := range names {
		if counts[n] != 0 {
			t.Errorf("%s trapped %d times with the vDSO, want 0", n, counts[n])
		}
	}
	_, counts = straceCount(t, nil, program(t, "goprog"), nil, "clock_gettime")
	if counts["clock_gettime"] != 0 {
		t.Errorf("the Go runtime's clock_gettime trapped %d times, want 0", counts["clock_gettime"])
	}

	out, counts = straceCount(t, []string{"STOCKADE_VDSO_TSC=0"}, prog, []string{"loop"}, names...)
	if out != "done\n" {
		t.Errorf("without the fast path: stdout %q, want done", out)
	}
	for _, n := range names {
		if counts[n] < 1000 {
			t.Errorf("without the fast path, %s trapped %d times, want 1000", n, counts[n])
		}
	}
}

// TestVDSOFallbackMatchesHost runs test/c/vdso.c with the fast path off: every vDSO call
// then makes the syscall, and the results must still be the host's.
func TestVDSOFallbackMatchesHost(t *testing.T) {
	prog := program(t, "vdso")
	native := runNative(t, prog)
	if native.status != 0 {
		t.Fatalf("native run: %s\n%s", native.how, native.stdout)
	}
	runsc := requireRunsc(t)
	got := run(t, append([]string{"env", "STOCKADE_VDSO_TSC=0"}, runscArgs(runsc, false, prog)...))
	if got.stdout != native.stdout || got.status != 0 {
		t.Errorf("STOCKADE_VDSO_TSC=0 runsc do vdso: status %s (- native, + sandbox):\n%s%s",
			got.how, lineDiff(native.stdout, got.stdout), stderrNote(got))
	}
}
