package oci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// TestInheritedDescriptorsStayOut: a descriptor runsc inherits from its caller (here fd
// 10, a file of the test's; a shim's or a lock holder's in real life) reaches neither the
// sandbox nor the gofer, which get only what runsc hands them, as runc closes its
// caller's before the container starts.
func TestInheritedDescriptorsStayOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "prog", "s", "60")
	marker := filepath.Join(t.TempDir(), "inherited-marker")
	f, err := os.Create(marker)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(runsc, "--root", e.root, "create", "--bundle", e.bundle, "fds")
	cmd.ExtraFiles = make([]*os.File, 8) // descriptors 3-9 closed, 10 the marker
	cmd.ExtraFiles[7] = f
	// A file, not a pipe, for its output: the sandbox keeps create's stdio.
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("runsc create: %v: %s", err, b)
	}
	e.must("start", "fds")
	gofer, sandbox := rawState(t, e.root, "fds")
	for what, pid := range map[string]int{"sandbox": sandbox, "gofer": gofer} {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range ents {
			if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, ent.Name())); target == marker {
				t.Errorf("the %s (%d) holds the descriptor runsc inherited, as its fd %s", what, pid, ent.Name())
			}
		}
	}
}
