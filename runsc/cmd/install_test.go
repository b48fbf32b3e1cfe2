package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readJSON(t *testing.T, file string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, data)
	}
	return m
}

// TestInstallKeepsOtherKeys: other top-level keys, other runtimes and exact numbers survive
// an install and an uninstall, and the file's mode is kept.
func TestInstallKeepsOtherKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "daemon.json")
	orig := `{"debug": true, "log-opts": {"max-size": "10m"}, "max-concurrent-downloads": 12345678901234567890,
	  "runtimes": {"other": {"path": "/usr/bin/other"}}}`
	if err := os.WriteFile(file, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := installRuntime(file, "runsc", "/opt/runsc", []string{"--debug", "--platform=ptrace"}); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, file)
	want := map[string]any{"path": "/opt/runsc", "runtimeArgs": []any{"--debug", "--platform=ptrace"}}
	rts := got["runtimes"].(map[string]any)
	if !reflect.DeepEqual(rts["runsc"], want) {
		t.Errorf("runtimes.runsc = %v, want %v", rts["runsc"], want)
	}
	if rts["other"] == nil || got["debug"] != true || got["log-opts"] == nil {
		t.Errorf("other keys lost: %v", got)
	}
	data, _ := os.ReadFile(file)
	if !strings.Contains(string(data), "12345678901234567890") {
		t.Errorf("a large number was rewritten:\n%s", data)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}

	if err := uninstallRuntime(file, "runsc"); err != nil {
		t.Fatal(err)
	}
	got = readJSON(t, file)
	rts = got["runtimes"].(map[string]any)
	if _, ok := rts["runsc"]; ok || rts["other"] == nil || got["debug"] != true {
		t.Errorf("after uninstall: %v", got)
	}
}

// TestInstallCreatesFile: a missing file (and directory) is created; installing twice
// replaces the entry; uninstalling the last runtime leaves "runtimes" empty (not absent: a
// dockerd reload ignores a file without the key); a second uninstall fails and says why.
func TestInstallCreatesFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "etc", "docker", "daemon.json")
	if err := installRuntime(file, "gv", "/a", nil); err != nil {
		t.Fatal(err)
	}
	if err := installRuntime(file, "gv", "/b", nil); err != nil {
		t.Fatal(err)
	}
	got := readJSON(t, file)
	want := map[string]any{"runtimes": map[string]any{"gv": map[string]any{"path": "/b"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if err := uninstallRuntime(file, "gv"); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"runtimes": map[string]any{}}
	if got := readJSON(t, file); !reflect.DeepEqual(got, want) {
		t.Errorf("after uninstall: %v, want %v", got, want)
	}
	err := uninstallRuntime(file, "gv")
	if err == nil || !strings.Contains(err.Error(), `no runtime "gv"`) {
		t.Errorf("second uninstall: %v, want an error naming the runtime", err)
	}
}

// TestInstallRefusesBadFiles: malformed JSON or a non-object "runtimes" is an error and the
// file is left as it was.
func TestInstallRefusesBadFiles(t *testing.T) {
	for _, content := range []string{`{"debug": tru`, `[1, 2]`, `{"runtimes": "x"}`, `{} {}`} {
		file := filepath.Join(t.TempDir(), "daemon.json")
		os.WriteFile(file, []byte(content), 0o644)
		if err := installRuntime(file, "runsc", "/x", nil); err == nil {
			t.Errorf("install into %q succeeded", content)
		}
		if data, _ := os.ReadFile(file); string(data) != content {
			t.Errorf("%q was changed to %q", content, data)
		}
	}
}
