package kernel_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// TestTeardownWhileTasksForkAndMap tears sandboxes down while test/c/teardown.c's
// processes and threads are forking, mapping, touching and exiting: half the rounds init
// exits by itself (the kernel kills the rest), half are killed from outside while init runs
// (runsc kill --all, delete --force). After Shutdown every address space must have been
// released (only the vDSO's pages are left in the memory file) before the memory file is
// closed and the platform released, in that order, as runsc boot does; a task still
// releasing after Shutdown would have faulted on the closed file. Meanwhile `runsc ps` and
// `runsc events` (ProcessList, Stats) walk the task lists (run it with -race).
func TestTeardownWhileTasksForkAndMap(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found")
	}
	bin := filepath.Join(t.TempDir(), "teardown")
	if out, err := exec.Command(gcc, "-static", "-O1", "-pthread", "-o", bin, "../../test/c/teardown.c").CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	for i := 0; i < rounds; i++ {
		selfExit := i%2 == 0
		p, err := platform.New("ptrace")
		if err != nil {
			t.Skipf("ptrace platform: %v", err)
		}
		mf, err := memfile.New("test", 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		k, err := kernel.New(kernel.Config{Platform: p, MemFile: mf})
		if err != nil {
			t.Fatal(err)
		}
		base := mf.Allocated() // the vDSO
		f, err := os.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		ms := "0"
		if selfExit {
			ms = strconv.Itoa(50 + 30*i)
		}
		err = k.StartInit(kernel.InitArgs{File: f, Path: bin, Argv: []string{bin, ms}})
		f.Close()
		if err != nil {
			t.Fatalf("StartInit: %v", err)
		}
		// runsc ps and runsc events walk the task lists while tasks exit.
		stop := make(chan struct{})
		walked := make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					walked <- n
					return
				default:
				}
				k.ProcessList()
				k.Stats()
				n++
			}
		}()
		var status kernel.ExitStatus
		if selfExit {
			status = k.Wait()
		} else {
			time.Sleep(time.Duration(40+30*i) * time.Millisecond)
		}
		n := len(k.ThreadGroups())
		if !k.Shutdown(20 * time.Second) {
			t.Fatalf("round %d: tasks still running 20 s after Shutdown", i)
		}
		if !selfExit {
			status = k.Wait()
		}
		close(stop)
		walks := <-walked
		if l := k.ProcessList(); len(l) != 0 {
			t.Errorf("round %d: ProcessList after Shutdown: %+v", i, l)
		}
		if got := mf.Allocated(); got != base {
			t.Errorf("round %d: %d bytes of the memory file still allocated after Shutdown, want the vDSO's %d", i, got, base)
		}
		want := kernel.ExitStatus{Code: 3}
		if !selfExit {
			want = kernel.ExitStatus{Signo: int(syscall.SIGKILL)}
		}
		if status.Code != want.Code || status.Signo != want.Signo {
			t.Errorf("round %d: init's status %+v, want %+v", i, status, want)
		}
		mf.Close()
		p.Release()
		t.Logf("round %d: init exited by itself %v, %d processes at teardown, %d ps+stats walks during it", i, selfExit, n, walks)
	}
}

// TestNoProcessStartsAfterKillAll: once KillAll has begun, Spawn (runsc exec) fails, as
// fork does: a process created while KillAll walks the processes would escape it and keep
// the sandbox from ever being released.
func TestNoProcessStartsAfterKillAll(t *testing.T) {
	k, spin := spinKernel(t)
	k.KillAll()
	f, err := os.Open(spin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if tg, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: spin, Argv: []string{spin}}); err == nil {
		t.Fatalf("Spawn after KillAll started process %d", tg.TGID())
	}
	if !k.WaitReleased(10 * time.Second) {
		t.Fatal("tasks still running 10 s after KillAll")
	}
}
