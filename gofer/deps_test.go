package gofer_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportWalls checks that the gofer, its client and its protocol never import the
// sentry: the gofer is a separate trusted process and the client is the wall between them.
func TestImportWalls(t *testing.T) {
	const mod = "github.com/stockade-sandbox/stockade/"
	for _, pkg := range []string{"gofer", "gofer/client", "gofer/proto"} {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, mod)
			if ours && !strings.HasPrefix(rel, "gofer") {
				t.Errorf("%s imports %s", pkg, dep)
			}
		}
	}
}
