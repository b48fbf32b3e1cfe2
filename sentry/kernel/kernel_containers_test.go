package kernel_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// TestContainerInitExitKillsItsContainer: the exit of a joined container's init (Spawn with
// ContainerInit) kills the processes it left in its container, as a pid namespace's init's
// exit does, and no other container's; processes carry their container through fork.
func TestContainerInitExitKillsItsContainer(t *testing.T) {
	k, spin := spinKernel(t)
	bin := filepath.Join(t.TempDir(), "forkexit")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", bin, "testdata/forkexit.c").CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	spawn := func(path, container string, init bool, argv ...string) *kernel.ThreadGroup {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tg, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: path, Argv: append([]string{path}, argv...), Container: container, ContainerInit: init})
		if err != nil {
			t.Fatalf("Spawn: %v", err)
		}
		return tg
	}
	other := spawn(spin, "c2", true)
	if _, err := k.Spawn(kernel.SpawnArgs{Path: spin, Argv: []string{spin}, Container: "c2", ContainerInit: true}); err == nil {
		t.Fatal("a second init of c2 was spawned")
	}
	if k.ContainerInit("c2") != other || other.Container() != "c2" {
		t.Fatalf("c2's init: %v", k.ContainerInit("c2"))
	}
	tg := spawn(bin, "c1", true, "3")
	if st := k.WaitSpawned(tg); st.Code != 3 || st.Signo != 0 {
		t.Fatalf("c1's init: %+v, want exit 3", st)
	}
	// Its child is killed, and reaped (not left a zombie: no one would wait for it).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var c1 []string
		for _, p := range k.Processes() {
			if p.Container() == "c1" {
				c1 = append(c1, fmt.Sprintf("%d (zombie: %v)", p.TGID(), p.IsZombie()))
			}
		}
		if len(c1) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("c1's processes %v outlived its init", c1)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if k.ContainerInit("c1") != nil {
		t.Fatal("c1's init is still registered")
	}
	if s := k.ContainerStats("c2"); s.Processes != 1 || other.IsZombie() {
		t.Fatalf("c2 after c1 ended: %+v", s)
	}
	k.KillContainer("c2")
	if st := k.WaitSpawned(other); st.Signo != 9 {
		t.Fatalf("c2's init after KillContainer: %+v", st)
	}
	if s := k.ContainerStats(""); s.Processes != 1 {
		t.Fatalf("init's container: %+v, want init alone", s)
	}
}
