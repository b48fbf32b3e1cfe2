package kernel_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/fsimpl/host"
	"github.com/stockade-sandbox/stockade/platform"
	_ "github.com/stockade-sandbox/stockade/platform/ptrace"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/syscalls"
)

// TestExecveVforkAndDeThread runs testdata/execve.c as init, with execve opening host files
// (standing in for the VFS): a vfork child execs and its parent resumes; then a second
// thread execs, which must kill the main thread and take over the process. Meanwhile
// ProcessList (runsc ps) reads the processes' memory (run it with -race).
func TestExecveVforkAndDeThread(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found")
	}
	bin := filepath.Join(t.TempDir(), "execve")
	if out, err := exec.Command(gcc, "-static", "-O1", "-pthread", "-o", bin, "testdata/execve.c").CombinedOutput(); err != nil {
		t.Skipf("building the test program: %v\n%s", err, out)
	}
	orig := syscalls.OpenExecutable
	defer func() { syscalls.OpenExecutable = orig }()
	syscalls.OpenExecutable = func(_ *kernel.Task, path string) (io.ReaderAt, func(), error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}

	p, err := platform.New("ptrace")
	if err != nil {
		t.Skipf("ptrace platform: %v", err)
	}
	defer p.Release()
	mf, err := memfile.New("test", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	k, err := kernel.New(kernel.Config{Platform: p, MemFile: mf})
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wfd, err := syscall.Dup(int(w.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := host.New(wfd)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := k.StartInit(kernel.InitArgs{File: f, Path: bin, Argv: []string{bin}, Stdio: [3]kernel.File{nil, out, nil}}); err != nil {
		t.Fatalf("StartInit: %v", err)
	}
	// runsc ps reads each process's argv from its memory while execve replaces it.
	stop := make(chan struct{})
	psDone := make(chan struct{})
	go func() {
		defer close(psDone)
		for {
			select {
			case <-stop:
				return
			default:
				k.ProcessList()
			}
		}
	}()
	status := k.Wait()
	close(stop)
	<-psDone
	if !k.Shutdown(10 * time.Second) {
		t.Error("tasks still running after Shutdown")
	}
	w.Close()
	got, _ := io.ReadAll(r)
	want := "exec'd child as 1 threads? ok\nvfork child exec'd\nexec'd final as 1 threads? ok\n"
	if string(got) != want || status.ShellCode() != 7 {
		t.Errorf("got status %d and output\n%s\nwant status 7 and\n%s", status.ShellCode(), got, want)
	}
}
