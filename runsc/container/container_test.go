package container

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stockade-sandbox/stockade/runsc/control"
)

// newFake writes the state of a container with no sandbox process into root.
func newFake(t *testing.T, root, id string, st Status, pid int, start uint64) {
	t.Helper()
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Container{State: State{ID: id, Status: st, Pid: pid, PidStartTime: start}, dir: dir, status: st}
	if err := c.save(st); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMissingContainer(t *testing.T) {
	_, err := Load(t.TempDir(), "nope", false)
	if err == nil || err.Error() != "container nope does not exist" {
		t.Fatalf("Load = %v, want 'container nope does not exist'", err)
	}
}

// TestDeadSandboxIsStopped: a container whose sandbox is gone is stopped, and a reused pid
// (same pid, other start time) is not mistaken for the sandbox.
func TestDeadSandboxIsStopped(t *testing.T) {
	root := t.TempDir()
	self := os.Getpid()
	start, err := processStartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	newFake(t, root, "alive", Running, self, start)
	newFake(t, root, "reused", Running, self, start+1)
	for id, want := range map[string]Status{"alive": Running, "reused": Stopped} {
		c, err := Load(root, id, false)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if c.Status() != want {
			t.Errorf("%s: status %s, want %s", id, c.Status(), want)
		}
	}
}

func TestExitFileMeansStopped(t *testing.T) {
	root := t.TempDir()
	self := os.Getpid()
	start, _ := processStartTime(self)
	newFake(t, root, "c", Running, self, start)
	if err := WriteExit(filepath.Join(root, "c"), control.Exit{Code: 3}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(root, "c", false)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c.Status() != Stopped || c.ExitStatus() == nil || c.ExitStatus().ShellCode() != 3 {
		t.Fatalf("status %s exit %+v, want stopped with code 3", c.Status(), c.ExitStatus())
	}
	if s := c.OCIState("1.2.0"); s.Pid != 0 || s.ExitCode == nil || *s.ExitCode != 3 {
		t.Fatalf("OCIState = %+v, want pid 0 and exitCode 3", s)
	}
}

// TestConcurrentSavesKeepStateValid: writers under the exclusive lock and readers never
// see a partial state.json.
func TestConcurrentSavesKeepStateValid(t *testing.T) {
	root := t.TempDir()
	newFake(t, root, "c", Created, 0, 0)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c, err := Load(root, "c", true)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.Annotations = map[string]string{"n": string(rune('a' + i))}
			if err := c.save(c.State.Status); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			data, err := os.ReadFile(filepath.Join(root, "c", stateName))
			if err != nil {
				t.Error(err)
				return
			}
			if !json.Valid(data) {
				t.Errorf("state.json is not valid JSON: %q", data)
			}
		}()
	}
	wg.Wait()
}
