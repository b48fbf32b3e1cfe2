package gofer_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/client"
)

// runscBinary returns $RUNSC (make test sets it) or builds runsc into a temp dir.
func runscBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RUNSC"); p != "" {
		return p
	}
	if testing.Short() {
		t.Skip("builds runsc; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "runsc")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/stockade-sandbox/stockade/runsc").CombinedOutput()
	if err != nil {
		t.Fatalf("go build runsc: %v\n%s", err, out)
	}
	return bin
}

// TestRunscGofer starts `runsc gofer` as its own process and talks to it over a socketpair.
func TestRunscGofer(t *testing.T) {
	bin := runscBinary(t)
	base := t.TempDir()
	root, data := filepath.Join(base, "root"), filepath.Join(base, "data")
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0755))
	must(t, os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("inside\n"), 0644))
	must(t, os.Symlink("/etc/shadow", filepath.Join(root, "shadow")))
	must(t, os.Mkdir(data, 0755))
	must(t, os.WriteFile(filepath.Join(data, "d"), []byte("data"), 0644))

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	must(t, err)
	goferEnd := os.NewFile(uintptr(fds[0]), "gofer socket")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "gofer", "--root", root, "--mount", data+":ro", "--fd", "3", "--mount-ns")
	cmd.ExtraFiles = []*os.File{goferEnd}
	// As boot.StartGofer starts it: it pivots into a root of its own, in its own mount
	// namespace (and its own pid namespace, for its own /proc).
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	goferEnd.Close()
	exited := make(chan struct{}) // closed once waitErr is set
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})

	c, err := client.Dial(fds[1])
	if err != nil {
		cmd.Process.Kill()
		<-exited
		t.Fatalf("dial: %v\ngofer stderr: %s", err, stderr.String())
	}
	rootIn, ro, err := c.Attach("/")
	must(t, err)
	if ro {
		t.Errorf("root is read-only")
	}
	ins, err := c.Walk(rootIn.Handle, []string{"etc", "hostname"})
	must(t, err)
	fd, err := c.Open(ins[1].Handle, unix.O_RDONLY)
	must(t, err)
	if got := readFD(t, fd); got != "inside\n" {
		t.Errorf("read %q", got)
	}
	unix.Close(fd)

	ins, err = c.Walk(rootIn.Handle, []string{"shadow"})
	must(t, err)
	if tg, err := c.Readlink(ins[0].Handle); err != nil || tg != "/etc/shadow" {
		t.Errorf("readlink: %q %v", tg, err)
	}
	_, err = c.Open(ins[0].Handle, unix.O_RDONLY)
	wantErrno(t, "open the symlink", err, unix.ELOOP)

	newIn, fd, err := c.Create(rootIn.Handle, "new", unix.O_WRONLY, 0600, 1000, 1000)
	must(t, err)
	unix.Write(fd, []byte("written by the sentry"))
	unix.Close(fd)
	if b, err := os.ReadFile(filepath.Join(root, "new")); err != nil || string(b) != "written by the sentry" {
		t.Errorf("host sees %q %v", b, err)
	}
	if newIn.Stat.Mode != unix.S_IFREG|0600 {
		t.Errorf("created with mode %o (umask not 0?)", newIn.Stat.Mode)
	}

	dataIn, ro, err := c.Attach(data)
	must(t, err)
	if !ro {
		t.Errorf("mount not read-only")
	}
	ins, err = c.Walk(dataIn.Handle, []string{"d"})
	must(t, err)
	fd, err = c.Open(ins[0].Handle, unix.O_RDONLY)
	must(t, err)
	if got := readFD(t, fd); got != "data" {
		t.Errorf("read mount: %q", got)
	}
	unix.Close(fd)
	_, err = c.Open(ins[0].Handle, unix.O_RDWR)
	wantErrno(t, "write to the ro mount", err, unix.EROFS)

	// The process is confined.
	status, err := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/status")
	must(t, err)
	if !strings.Contains(string(status), "NoNewPrivs:\t1") {
		t.Errorf("no_new_privs not set:\n%s", status)
	}
	if os.Geteuid() == 0 {
		// Its root holds what it serves, each a mount of its own (/0 the root, /1 the
		// mount), and its own /proc; nothing of the host's tree.
		groot := "/proc/" + itoa(cmd.Process.Pid) + "/root"
		ents, err := os.ReadDir(groot)
		must(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if strings.Join(names, " ") != "0 1 proc" {
			t.Errorf("gofer root holds %v, want [0 1 proc]", names)
		}
		if b, err := os.ReadFile(groot + "/0/etc/hostname"); err != nil || string(b) != "inside\n" {
			t.Errorf("gofer root's /0/etc/hostname: %q %v", b, err)
		}
		if err := os.WriteFile(groot+"/1/new", nil, 0o644); !errors.Is(err, unix.EROFS) {
			t.Errorf("creating a file in the read-only mount's bind: %v, want EROFS", err)
		}
		if err := os.WriteFile(groot+"/x", nil, 0o644); !errors.Is(err, unix.EROFS) {
			t.Errorf("creating a file in the gofer's root: %v, want EROFS", err)
		}
		// CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID.
		if !strings.Contains(string(status), "CapEff:\t000000000000001f") ||
			!strings.Contains(string(status), "CapBnd:\t000000000000001f") {
			t.Errorf("capabilities not dropped:\n%s", status)
		}
	}

	// Hanging up ends the gofer cleanly.
	must(t, c.Close())
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("gofer exited with %v\n%s", waitErr, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("gofer did not exit after hang-up")
	}
}

func TestRunscGoferUsage(t *testing.T) {
	bin := runscBinary(t)
	err := exec.Command(bin, "gofer", "--root", t.TempDir()).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("missing --fd: %v, want exit 2", err)
	}
	err = exec.Command(bin, "gofer", "--root", t.TempDir(), "--fd", "3", "--mount", "/tmp").Run()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("mount without :ro/:rw: %v, want exit 2", err)
	}
	// In the caller's mount namespace, it refuses to pivot.
	out, err := exec.Command(bin, "gofer", "--root", t.TempDir(), "--fd", "0").CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "not started in a mount namespace of its own") {
		t.Errorf("without --mount-ns: %v %q, want exit 1 and a refusal", err, out)
	}
	out, err = exec.Command(bin, "gofer", "--root", t.TempDir(), "--fd", "0", "--mount-ns").CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "is the parent's") {
		t.Errorf("--mount-ns in the parent's namespace: %v %q, want exit 1 and a refusal", err, out)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
