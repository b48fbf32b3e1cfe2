package kernel_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// spinKernel starts testdata/spin.c (spinning) as init in a new kernel.
func spinKernel(t *testing.T) (*kernel.Kernel, string) {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found")
	}
	bin := filepath.Join(t.TempDir(), "spin")
	if out, err := exec.Command(gcc, "-static", "-O1", "-o", bin, "testdata/spin.c").CombinedOutput(); err != nil {
		t.Skipf("building the test program: %v\n%s", err, out)
	}
	p, err := platform.New("ptrace")
	if err != nil {
		t.Skipf("ptrace platform: %v", err)
	}
	t.Cleanup(p.Release)
	mf, err := memfile.New("test", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	k, err := kernel.New(kernel.Config{Platform: p, MemFile: mf})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := k.StartInit(kernel.InitArgs{File: f, Path: bin, Argv: []string{bin}}); err != nil {
		t.Fatalf("StartInit: %v", err)
	}
	t.Cleanup(func() {
		if !k.Shutdown(10 * time.Second) {
			t.Error("tasks still running 10 s after Shutdown")
		}
	})
	return k, bin
}

// TestPauseStopsApplicationCode: while paused, a spinning process uses no CPU time; it
// spins again after Resume; SIGKILL ends it while paused.
func TestPauseStopsApplicationCode(t *testing.T) {
	k, _ := spinKernel(t)
	time.Sleep(50 * time.Millisecond)
	if err := k.Resume(); err != kernel.ErrNotPaused {
		t.Fatalf("Resume of a running kernel: %v", err)
	}
	if err := k.Pause(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := k.Pause(time.Second); err != kernel.ErrPaused {
		t.Fatalf("second Pause: %v", err)
	}
	// User time is the application's (its stub thread's); the task's sentry thread may
	// still be on its way to the gate when Pause returns.
	a := k.Stats().CPU
	time.Sleep(200 * time.Millisecond)
	if b := k.Stats().CPU; b.User != a.User {
		t.Fatalf("user CPU time went from %v to %v while paused", a.User, b.User)
	}
	if err := k.Resume(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if b := k.Stats().CPU; b.User <= a.User {
		t.Fatalf("no user time after Resume: %v then %v", a, b)
	}
	if err := k.Pause(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	k.TaskByTID(1).SendSignal(int(syscall.SIGKILL), true)
	done := make(chan kernel.ExitStatus, 1)
	go func() { done <- k.Wait() }()
	select {
	case st := <-done:
		if st.Signo != int(syscall.SIGKILL) {
			t.Fatalf("status %+v, want SIGKILL", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGKILL did not end a paused process")
	}
}

// TestSpawn: a spawned process runs alongside init in a session of its own with no
// parent, is listed, and its exit status goes to WaitSpawned, which reaps it.
func TestSpawn(t *testing.T) {
	k, bin := spinKernel(t)
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tg, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: bin, Argv: []string{bin}, UID: 5, GID: 6})
	if err != nil {
		t.Fatal(err)
	}
	if tg.TGID() == 1 || tg.SID() != tg.TGID() || tg.PGID() != tg.TGID() || tg.Parent() != nil {
		t.Fatalf("spawned pid %d sid %d pgid %d parent %v", tg.TGID(), tg.SID(), tg.PGID(), tg.Parent())
	}
	list := k.ProcessList()
	if len(list) != 2 || list[1].PID != tg.TGID() || list[1].UID != 5 || list[1].PPID != 0 || list[1].Cmd != bin {
		t.Fatalf("ProcessList %+v", list)
	}
	if s := k.Stats(); s.Processes != 2 || s.Tasks != 2 {
		t.Fatalf("Stats %+v", s)
	}
	k.SignalProcess(tg.TGID(), int(syscall.SIGTERM))
	if st := k.WaitSpawned(tg); st.Signo != int(syscall.SIGTERM) {
		t.Fatalf("spawned process status %+v, want SIGTERM", st)
	}
	if k.ProcessByPID(tg.TGID()) != nil {
		t.Fatal("WaitSpawned did not reap the process")
	}
	tg2, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: bin, Argv: []string{bin, "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if st := k.WaitSpawned(tg2); st.Code != 7 {
		t.Fatalf("exit status %+v, want 7", st)
	}
	if _, err := k.Spawn(kernel.SpawnArgs{Executable: nil, Path: "x"}); err == nil {
		t.Fatal("Spawn without an executable succeeded")
	}
}

// TestPauseResumeSignal: a spinning process gets SIGTERM right after Resume (while its task
// is leaving the pause gate for application code), a little later (while it spins), or
// while paused (the task must leave the gate to exit), and it ends every time. Repeated:
// a lost kick out of application code or out of the gate is a race, and shows up here as
// a process that spins on.
func TestPauseResumeSignal(t *testing.T) {
	k, bin := spinKernel(t)
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < 30; i++ {
		tg, err := k.Spawn(kernel.SpawnArgs{Executable: f, Path: bin, Argv: []string{bin}})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%4) * time.Millisecond)
		if err := k.Pause(5 * time.Second); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		switch i % 3 {
		case 0:
			k.Resume()
			k.SignalProcess(tg.TGID(), int(syscall.SIGTERM))
		case 1:
			k.Resume()
			time.Sleep(2 * time.Millisecond)
			k.SignalProcess(tg.TGID(), int(syscall.SIGTERM))
		case 2:
			k.SignalProcess(tg.TGID(), int(syscall.SIGTERM))
			time.Sleep(time.Millisecond)
			k.Resume()
		}
		done := make(chan kernel.ExitStatus, 1)
		go func() { done <- k.WaitSpawned(tg) }()
		select {
		case st := <-done:
			if st.Signo != int(syscall.SIGTERM) {
				t.Fatalf("iteration %d: status %+v, want SIGTERM", i, st)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("iteration %d (case %d): SIGTERM not acted on within 10 s: the spinning task's interrupt was lost", i, i%3)
		}
	}
}
