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

// TestContainerInitExitKillsItsContainer: a joined container's init (Spawn with
// ContainerInit) in a pid namespace of its own is pid 1 there, and its exit kills and reaps
// the processes it left (the namespace's rule); one sharing the sandbox's namespace is an
// ordinary process of it, whose exit kills the rest of its container (their zombies go to
// the sandbox's init, as orphans do); no other container is touched; processes carry their
// container through fork.
func TestContainerInitExitKillsItsContainer(t *testing.T) {
	k, spin := spinKernel(t)
	bin := filepath.Join(t.TempDir(), "forkexit")
	if out, err := exec.Command("gcc", "-static", "-O1", "-o", bin, "testdata/forkexit.c").CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	spawn := func(path, container string, ns *kernel.PIDNamespace, argv ...string) *kernel.ThreadGroup {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		tg, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: path, Argv: append([]string{path}, argv...),
			Container: container, ContainerInit: true, PIDNamespace: ns})
		if err != nil {
			t.Fatalf("Spawn: %v", err)
		}
		return tg
	}
	newNS := func() *kernel.PIDNamespace {
		ns, err := k.RootPIDNamespace().NewChild()
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	other := spawn(spin, "c2", newNS())
	if _, err := k.Spawn(kernel.SpawnArgs{Path: spin, Argv: []string{spin}, Container: "c2", ContainerInit: true}); err == nil {
		t.Fatal("a second init of c2 was spawned")
	}
	if k.ContainerInit("c2") != other || other.Container() != "c2" {
		t.Fatalf("c2's init: %v", k.ContainerInit("c2"))
	}
	left := func(id string) []string {
		var out []string
		for _, p := range k.Processes() {
			if p.Container() == id {
				out = append(out, fmt.Sprintf("%d (zombie: %v)", p.TGID(), p.IsZombie()))
			}
		}
		return out
	}

	ns1 := newNS()
	tg := spawn(bin, "c1", ns1, "3")
	if st := k.WaitSpawned(tg); st.Code != 3 || st.Signo != 0 {
		t.Fatalf("c1's init: %+v, want exit 3", st)
	}
	if ns1.IDOfThreadGroup(tg) != 1 {
		t.Fatalf("c1's init is pid %d in its namespace", ns1.IDOfThreadGroup(tg))
	}
	// Its child was killed and reaped before its exit was complete: no one else would.
	if c1 := left("c1"); len(c1) != 0 {
		t.Fatalf("c1's processes %v outlived its init", c1)
	}
	if k.ContainerInit("c1") != nil {
		t.Fatal("c1's init is still registered")
	}

	shared := spawn(bin, "c3", nil, "4")
	if st := k.WaitSpawned(shared); st.Code != 4 {
		t.Fatalf("c3's init: %+v, want exit 4", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for k.ContainerRunning("c3") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("c3's processes %v outlived its init", left("c3"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range k.Processes() {
		if p.Container() == "c3" && (!p.IsZombie() || p.Parent() != k.RootPIDNamespace().Init()) {
			t.Fatalf("c3's leftover %d: zombie %v, parent %v; want a zombie of the sandbox's init", p.TGID(), p.IsZombie(), p.Parent())
		}
	}

	if s := k.ContainerStats("c2"); s.Processes != 1 || other.IsZombie() {
		t.Fatalf("c2 after c1 and c3 ended: %+v", s)
	}
	k.KillContainer("c2")
	if st := k.WaitSpawned(other); st.Signo != 9 {
		t.Fatalf("c2's init after KillContainer: %+v", st)
	}
	if s := k.ContainerStats(""); s.Processes != 1 {
		t.Fatalf("init's container: %+v, want init alone", s)
	}
}
