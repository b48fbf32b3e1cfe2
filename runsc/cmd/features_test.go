package cmd

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// TestFeaturesDocument: the document decodes as the spec's features type and says what
// runsc does and does not do.
func TestFeaturesDocument(t *testing.T) {
	b, err := json.Marshal(runtimeFeatures())
	if err != nil {
		t.Fatal(err)
	}
	var f features.Features
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.OCIVersionMax != specs.Version || f.OCIVersionMin != "1.0.0" {
		t.Errorf("versions %q..%q, want 1.0.0..%s", f.OCIVersionMin, f.OCIVersionMax, specs.Version)
	}
	if f.Linux == nil || f.Linux.Seccomp == nil || f.Linux.Seccomp.Enabled == nil || *f.Linux.Seccomp.Enabled {
		t.Errorf("seccomp: %+v, want enabled false (linux.seccomp is not applied)", f.Linux)
	}
	if n := len(f.Linux.Capabilities); n != 41 || f.Linux.Capabilities[0] != "CAP_CHOWN" || f.Linux.Capabilities[40] != "CAP_CHECKPOINT_RESTORE" {
		t.Errorf("capabilities: %v", f.Linux.Capabilities)
	}
	if c := f.Linux.Cgroup; c == nil || !*c.V1 || !*c.V2 || *c.Systemd {
		t.Errorf("cgroup: %+v", c)
	}
	if len(f.Hooks) != 6 {
		t.Errorf("hooks: %v", f.Hooks)
	}
}
