package kernel_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// TestPIDNamespaceInitDeathKillsNamespace: the first process spawned into a new pid
// namespace is its pid 1 with a root pid of its own; a second one is pid 2; SIGKILL to
// the namespace's init kills the second, and the init's exit is complete only once the
// namespace is empty; nothing can be spawned into it afterwards.
func TestPIDNamespaceInitDeathKillsNamespace(t *testing.T) {
	k, spin := spinKernel(t)
	ns, err := k.RootPIDNamespace().NewChild()
	if err != nil {
		t.Fatal(err)
	}
	spawn := func() (*kernel.ThreadGroup, error) {
		f, err := os.Open(spin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return k.Spawn(kernel.SpawnArgs{Executable: f, Path: spin, Argv: []string{spin}, PIDNamespace: ns})
	}
	init, err := spawn()
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	other, err := spawn()
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	if ns.IDOfThreadGroup(init) != 1 || ns.Init() != init || init.TGID() == 1 {
		t.Fatalf("init: pid %d in its namespace, %d in the root", ns.IDOfThreadGroup(init), init.TGID())
	}
	if ns.IDOfThreadGroup(other) != 2 || ns.ThreadGroupWithID(2) != other || k.ProcessByPID(other.TGID()) != other {
		t.Fatalf("second process: pid %d", ns.IDOfThreadGroup(other))
	}
	if got := k.RootPIDNamespace().IDsOfThreadGroup(other); len(got) != 2 || got[0] != other.TGID() || got[1] != 2 {
		t.Fatalf("NStgid of the second process: %v", got)
	}
	if tg := k.RootPIDNamespace().Init(); tg == nil || ns.IDOfThreadGroup(tg) != 0 {
		t.Fatal("the root's init is visible in the child namespace")
	}
	otherDone := make(chan kernel.ExitStatus, 1)
	go func() { otherDone <- k.WaitSpawned(other) }()
	if err := k.SignalProcess(init.TGID(), 9); err != nil {
		t.Fatal(err)
	}
	initDone := make(chan kernel.ExitStatus, 1)
	go func() { initDone <- k.WaitSpawned(init) }()
	select {
	case st := <-otherDone:
		if st.Signo != 9 {
			t.Fatalf("the namespace's other process: %+v, want SIGKILL", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the namespace's other process outlived its init")
	}
	select {
	case st := <-initDone:
		if st.Signo != 9 {
			t.Fatalf("the namespace's init: %+v, want SIGKILL", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the namespace's init did not finish exiting")
	}
	if ns.ThreadGroupWithID(1) != nil || ns.ThreadGroupWithID(2) != nil {
		t.Fatal("the namespace still has processes")
	}
	if _, err := spawn(); err == nil || !errors.Is(err, kernel.ErrPIDNamespaceDead) {
		t.Fatalf("Spawn into a dead namespace: %v", err)
	}
	if s := k.Stats(); s.Processes != 1 {
		t.Fatalf("processes left: %+v, want the sandbox's init alone", s)
	}
}
