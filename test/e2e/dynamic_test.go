package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dynamicCase is a dynamically linked program of the host, run natively and under runsc do.
type dynamicCase struct {
	name string
	argv []string
}

var dynamicCases = []dynamicCase{
	{"true", []string{"/bin/true"}},
	{"echo", []string{"/bin/echo", "hello"}},
	{"env", []string{"/usr/bin/env"}},
}

// TestDynamicallyLinked runs dynamically linked programs (PT_INTERP: the host's ld.so and
// libc) natively and under runsc do, and compares stdout and exit status: the host's own
// /bin/true, /bin/echo and /usr/bin/env, and test/c/hello.c built without -static. They need
// the sandbox's root to serve the host's files (the interpreter and the libraries are opened
// in the sandbox's filesystem): with a bare in-memory root they fail, saying so.
func TestDynamicallyLinked(t *testing.T) {
	cases := append([]dynamicCase{}, dynamicCases...)
	if gcc, err := exec.LookPath("gcc"); err == nil {
		hello := filepath.Join(binDir, "hello-dynamic")
		if out, err := exec.Command(gcc, "-O1", "-o", hello, filepath.Join("..", "c", "hello.c")).CombinedOutput(); err != nil {
			t.Errorf("building hello-dynamic: %v\n%s", err, out)
		} else {
			cases = append(cases, dynamicCase{"hello-dynamic", []string{hello}})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(tc.argv[0]); err != nil {
				t.Fatalf("%s: %v", tc.argv[0], err)
			}
			native := run(t, tc.argv)
			if native.status != 0 {
				t.Fatalf("native run %s: %s\nstderr:\n%s", tc.argv[0], native.how, tail(native.stderr, 40))
			}
			sandboxed := runSandboxed(t, tc.argv[0], tc.argv[1:]...)
			if msg := compare(native, sandboxed); msg != "" {
				hint := ""
				if strings.Contains(sandboxed.stderr, "opening the interpreter") {
					hint = "\nThe sandbox could not open the program's interpreter: its root filesystem " +
						"does not serve the host's files (runsc do needs the gofer-backed root for this test)."
				}
				t.Errorf("runsc do %s: differs from the host run\n%s%s", strings.Join(tc.argv, " "), msg, hint)
			}
		})
	}
}
