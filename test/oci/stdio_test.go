package oci

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestPollHostStdio: poll(2) on the container's stdio, host descriptors the sandbox was
// handed (pipes here, as under a shell pipeline or Docker), asks the host from inside the
// confined sandbox: an immediate answer (stdout writable) and a wait that times out (stdin
// a pipe nobody writes). The sandbox's seccomp filter once lacked ppoll, and `tail -f`,
// script(1) and python's select killed the sandbox with SIGSYS.
func TestPollHostStdio(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "prog", "p")
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer inW.Close()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(runsc, "--root", e.root, "run", "pollstdio")
	cmd.Dir = e.bundle
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runsc run: %v (stdout %q, stderr %q)", err, stdout.String(), stderr.String())
	}
	if got, want := stdout.String(), "out=4 in=0 (1 0)\n"; got != want {
		t.Fatalf("stdout %q, want %q (stderr %q)", got, want, stderr.String())
	}
}
