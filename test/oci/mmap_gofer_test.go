package oci

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSharedMappingOfGoferFile runs test/c/mmapcoherent.c on a writable bind mount, which
// the gofer serves, and natively on a host directory: MAP_SHARED mappings of gofer files
// must be coherent with read(2)/write(2) across processes, be zapped by a shrinking
// ftruncate, and write stores back to the host file, exactly as natively.
func TestSharedMappingOfGoferFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	prog := filepath.Join(e.bundle, "rootfs", "bin", "mmapcoherent")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", prog, "../c/mmapcoherent.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v: %s", err, out)
	}
	nativeDir, data := t.TempDir(), t.TempDir()
	native, err := exec.Command(prog, nativeDir).Output()
	if err != nil {
		t.Fatalf("native run: %v: %s", err, native)
	}
	e.setArgs("/bin/mmapcoherent", "/data")
	e.addMount("/data", "bind", data, "rbind", "rw")
	r := e.must("run", "mmap")
	if r.stdout != string(native) {
		t.Fatalf("sandboxed output differs\nnative:\n%s\nsandboxed:\n%s\nstderr: %s", native, r.stdout, r.stderr)
	}
	want, err := os.ReadFile(filepath.Join(nativeDir, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(data, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("host file after the sandboxed run differs from the native run's (%d vs %d bytes)", len(got), len(want))
	}
}
