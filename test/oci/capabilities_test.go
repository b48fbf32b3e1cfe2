package oci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCapabilitiesFromSpec: process.capabilities are the container process's sets. With
// runsc spec's reduced set (no CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH or CAP_CHOWN), a root
// process cannot read another uid's 0600 file nor chown; with them granted it can; `runsc
// exec --cap` adds a capability to the exec'd process only.
func TestCapabilitiesFromSpec(t *testing.T) {
	t.Parallel()
	script := "grep Cap /proc/self/status; cat /secret || echo NOREAD; chown 0:0 /secret || echo NOCHOWN"
	e := newBusyboxEnv(t, script)
	e.linkApplets("grep", "chown")
	secret := filepath.Join(e.bundle, "rootfs", "secret")
	if err := os.WriteFile(secret, []byte("SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(secret, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	e.editSpec(func(m map[string]any) { m["root"].(map[string]any)["readonly"] = false })

	// runsc spec's set: CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
	r := e.must("run", "reduced")
	const want = "0000000020000420"
	for _, f := range []string{"CapPrm", "CapEff", "CapBnd"} {
		if !strings.Contains(r.stdout, f+":\t"+want+"\n") {
			t.Errorf("%s is not %s: %q", f, want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "CapInh:\t0000000000000000\n") || !strings.Contains(r.stdout, "CapAmb:\t0000000000000000\n") {
		t.Errorf("inheritable or ambient not empty: %q", r.stdout)
	}
	if strings.Contains(r.stdout, "SECRET") || !strings.Contains(r.stdout, "NOREAD") || !strings.Contains(r.stdout, "NOCHOWN") {
		t.Fatalf("root without CAP_DAC_OVERRIDE/CAP_CHOWN read or chowned another uid's file: %q", r.stdout)
	}

	// Granted: the same script reads and chowns.
	grant := []any{"CAP_DAC_OVERRIDE", "CAP_CHOWN", "CAP_KILL"}
	e.setProcess("capabilities", map[string]any{
		"bounding": grant, "effective": grant, "permitted": grant, "inheritable": []any{"CAP_KILL"}, "ambient": []any{"CAP_KILL"},
	})
	r = e.must("run", "granted")
	if !strings.Contains(r.stdout, "SECRET") || strings.Contains(r.stdout, "NOCHOWN") ||
		!strings.Contains(r.stdout, "CapEff:\t0000000000000023\n") || !strings.Contains(r.stdout, "CapAmb:\t0000000000000020\n") {
		t.Fatalf("granted capabilities not held: %q", r.stdout)
	}

	// exec: the container's sets by default, --cap adds to them.
	e.setProcess("capabilities", map[string]any{"bounding": []any{"CAP_KILL"}, "effective": []any{"CAP_KILL"}, "permitted": []any{"CAP_KILL"}})
	e.setArgs("sleep", "100")
	e.must("run", "--detach", "ex")
	defer e.runsc("delete", "--force", "ex")
	if r := e.must("exec", "ex", "grep", "CapEff", "/proc/self/status"); r.stdout != "CapEff:\t0000000000000020\n" {
		t.Errorf("exec without --cap: %q", r.stdout)
	}
	if r := e.must("exec", "--cap", "CAP_CHOWN", "ex", "grep", "CapEff", "/proc/self/status"); r.stdout != "CapEff:\t0000000000000021\n" {
		t.Errorf("exec --cap CAP_CHOWN: %q", r.stdout)
	}
}
