package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHostPrograms runs real, dynamically linked programs from the host root under
// `runsc do` (the host root is served read-only through the gofer, with an in-memory
// overlay) and compares stdout and exit status with the same command run natively.
func TestHostPrograms(t *testing.T) {
	runsc := requireRunsc(t)
	dir := t.TempDir() // under /tmp, which the sandbox sees through the gofer
	script := filepath.Join(dir, "echo-script")
	if err := os.WriteFile(script, []byte("#!/bin/echo from-script\nignored\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "nested-script")
	if err := os.WriteFile(nested, []byte("#!"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		argv []string
	}{
		{"ls-la-usr-lib", []string{"/bin/ls", "-la", "/usr/lib"}},
		{"sha256sum-bash", []string{"/usr/bin/sha256sum", "/bin/bash"}},
		{"find-copyright", []string{"/usr/bin/find", "/usr/share/doc", "-name", "copyright"}},
		{"python3-json-sqlite3-ssl", []string{"/usr/bin/python3", "-c", "import json,sqlite3,ssl; print(json.dumps([1,2]))"}},
		{"script", []string{script, "a", "b c"}},
		{"nested-script", []string{nested, "x"}},
		{"sh-exit-3", []string{"/bin/sh", "-c", "exit 3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.argv[0]); err != nil {
				t.Fatalf("host lacks %s: %v", tc.argv[0], err)
			}
			native := run(t, tc.argv)
			if native.status != 0 && tc.name != "sh-exit-3" {
				t.Fatalf("native %v: %s\n%s", tc.argv, native.how, native.stderr)
			}
			got := run(t, append([]string{runsc, "do"}, tc.argv...))
			if got.stdout != native.stdout || got.status != native.status {
				t.Errorf("runsc do %v differs:\n%sstatus native %s, runsc %s\n%s",
					tc.argv, lineDiff(native.stdout, got.stdout), native.how, got.how, stderrNote(got))
			}
		})
	}
}
