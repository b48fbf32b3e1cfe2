package console

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRunscLinksNoCgo: runsc must not link the cgo runtime, even when built with cgo
// enabled (the default where gcc is installed): with it, syscall.AllThreadsSyscall fails
// with ENOTSUP and the sandbox cannot confine itself. Package net is the usual way in (its
// resolver); this package talks to the console socket with raw sockets for that reason.
func TestRunscLinksNoCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "github.com/stockade-sandbox/stockade/runsc")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "runtime/cgo" || p == "net" {
			t.Errorf("runsc depends on %s", p)
		}
	}
}
