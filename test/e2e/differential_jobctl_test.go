package e2e

import (
	"os"
	"os/exec"
	"testing"
)

// Job control, init protection, pidfds, prctl and rlimits, waiting as dash does
// (test/c/jobctl.c, initsig.c, pidfd.c, prctl_rlimit.c, waitrace.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "jobctl", prog: "jobctl"},
		differentialCase{name: "waitrace", prog: "waitrace"},
		differentialCase{name: "pidfd", prog: "pidfd"},
		differentialCase{name: "prctl-rlimit", prog: "prctl_rlimit"},
	)
}

// TestInitProtection runs initsig as pid 1 on both sides: natively in a new pid namespace
// (unshare --pid --fork, which needs root), and under runsc do, where the program is the
// sandbox's init.
func TestInitProtection(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	if os.Geteuid() != 0 {
		t.Skip("unshare --pid needs root")
	}
	for _, mode := range [][]string{nil, {"abort"}} {
		name := "signals"
		if mode != nil {
			name = mode[0]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prog := program(t, "initsig")
			native := run(t, append([]string{unshare, "--pid", "--fork", prog}, mode...))
			if native.status != 128+11 {
				t.Fatalf("native run: want status 139, got %s\nstdout:\n%s\nstderr:\n%s",
					native.how, native.stdout, native.stderr)
			}
			sandboxed := runSandboxed(t, prog, mode...)
			if msg := compare(native, sandboxed); msg != "" {
				t.Errorf("runsc do initsig differs from the host run as pid 1\n%s", msg)
			}
		})
	}
}

// TestShellJobControl stops and continues a background job from bash with kill -STOP and
// kill -CONT, reading its state with ps, and checks that wait still reports a SIGTERM
// death as 143; then the same with SIGTSTP and `set -m`, which puts the job in a process
// group of its own (bash's own group is orphaned under runsc, where bash is init, so
// SIGTSTP to a job in it is discarded; natively it is not).
func TestShellJobControl(t *testing.T) {
	runsc := requireRunsc(t)
	script := `sleep 5 & p=$!; kill -STOP $p; sleep 0.2; ps -o stat= -p $p; kill -CONT $p; sleep 0.2; ` +
		`ps -o stat= -p $p; kill $p; wait $p; echo $?; ` +
		`set -m; sleep 5 & p=$!; kill -TSTP $p; sleep 0.2; ps -o stat= -p $p; kill -CONT $p; sleep 0.2; ` +
		`ps -o stat= -p $p; kill $p; wait $p; echo $?`
	argv := []string{"/bin/bash", "-c", script}
	native := run(t, argv)
	if native.stdout != "T\nS\n143\nT\nS\n143\n" {
		t.Fatalf("native bash: %s, stdout:\n%s", native.how, native.stdout)
	}
	got := run(t, append([]string{runsc, "do"}, argv...))
	if got.stdout != native.stdout || got.status != native.status {
		t.Errorf("runsc do bash differs:\n%sstatus native %s, runsc %s\n%s",
			lineDiff(native.stdout, got.stdout), native.how, got.how, stderrNote(got))
	}
}
