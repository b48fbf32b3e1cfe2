package syscalls

import (
	"os"
	"testing"
)

// TestSyscallDocMatchesTable fails when docs/syscalls.md is stale: run `make docs`.
func TestSyscallDocMatchesTable(t *testing.T) {
	want := Markdown()
	got, err := os.ReadFile("../docs/syscalls.md")
	if err != nil {
		t.Fatalf("reading docs/syscalls.md: %v (run `make docs`)", err)
	}
	if string(got) != want {
		t.Fatalf("docs/syscalls.md does not match the syscall table: run `make docs`")
	}
}

// TestEveryImplementedSyscallHasAName guards the table against numbers without a Linux name.
func TestEveryImplementedSyscallHasAName(t *testing.T) {
	for nr, e := range Table {
		if e.Name == "" {
			if _, ok := tableNames()[nr]; !ok {
				t.Errorf("syscall %d has no name", nr)
			}
		}
	}
}
