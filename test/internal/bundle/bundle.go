// Package bundle prepares OCI bundles for the tests that run runsc on them: it copies
// programs into a bundle's rootfs and rewrites its config.json.
package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// CopyFile copies the file from to to, as an executable (mode 0755).
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// EditSpec rewrites the config.json of the bundle in dir through edit, which gets the
// spec as decoded JSON (objects are map[string]any).
func EditSpec(t testing.TB, dir string, edit func(spec map[string]any)) {
	t.Helper()
	name := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
