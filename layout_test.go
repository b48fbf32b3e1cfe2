// Package stockade_test holds repository-wide checks.
package stockade_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/stockade-sandbox/stockade"

// importRules are the layering walls: a package matching the prefix may not import (directly
// or indirectly) any of our packages matching a forbidden prefix.
var importRules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	{"abi/", []string{""}, "abi/linux is a leaf: it imports nothing of ours"},
	{"platform", []string{"sentry/kernel", "sentry/mm", "sentry/vfs", "sentry/loader", "syscalls", "fsimpl", "netstack", "gofer"}, "platforms run app code; they never depend on the kernel"},
	{"gofer", []string{"sentry", "syscalls", "fsimpl", "platform", "netstack"}, "the gofer is a separate, trusted process"},
	{"netstack", []string{"sentry", "syscalls", "fsimpl", "platform", "gofer"}, "netstack is glue over the TCP/IP stack, below the sentry"},
	{"sentry", []string{"syscalls", "runsc"}, "the kernel never imports the syscall table (it is registered)"},
	{"", []string{"runsc"}, "nothing imports runsc/"},
}

type listedPackage struct {
	ImportPath string
	Deps       []string
}

// TestImportDirections fails when an import points the wrong way.
func TestImportDirections(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if strings.HasPrefix(rel, "runsc") || strings.HasPrefix(rel, "test") || p.ImportPath == module {
			// The CLI sits on top of everything; tests may use anything but runsc.
			if !strings.HasPrefix(rel, "test") {
				continue
			}
		}
		for _, r := range importRules {
			if !strings.HasPrefix(rel, r.pkg) {
				continue
			}
			for _, dep := range p.Deps {
				if !strings.HasPrefix(dep, module+"/") {
					continue
				}
				drel := strings.TrimPrefix(dep, module+"/")
				for _, f := range r.forbidden {
					if strings.HasPrefix(drel, f) && !strings.HasPrefix(drel, r.pkg) {
						t.Errorf("%s depends on %s: %s", rel, drel, r.why)
					}
				}
			}
		}
		if !strings.HasPrefix(rel, "runsc") {
			for _, dep := range p.Deps {
				if strings.HasPrefix(dep, "github.com/opencontainers/runtime-spec") {
					t.Errorf("%s depends on %s: the OCI spec stays at the edge (only runsc/ may import it)", rel, dep)
				}
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages; go list output unexpected", checked)
	}
}
