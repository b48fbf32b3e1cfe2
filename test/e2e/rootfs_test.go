package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunscDoWritesStayInTheSandbox writes, renames and creates a directory inside runsc
// do (the overlay's in-memory upper layer) and checks that the program reads its writes
// back and that the host has none of them afterwards.
func TestRunscDoWritesStayInTheSandbox(t *testing.T) {
	prog := program(t, "hostfs")
	var rnd [6]byte
	rand.Read(rnd[:])
	// At the root when the test may write there (as the host process could), so that a
	// leak would land in the most visible place; else next to the test programs.
	dir := "/"
	if syscall.Access("/", 2 /* W_OK */) != nil {
		dir = binDir
	}
	path := filepath.Join(dir, "stockade-test-"+hex.EncodeToString(rnd[:]))
	o := runSandboxed(t, prog, "write", path)
	want := "read back: written inside the sandbox\ndir exists: 1\n"
	if o.status != 0 || o.stdout != want {
		t.Errorf("runsc do hostfs write %s: %s, stdout:\n%s\nwant:\n%s%s", path, o.how, o.stdout, want, stderrNote(o))
	}
	for _, p := range []string{path, path + ".renamed", path + ".dir"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists on the host after runsc do (err %v): a write escaped the overlay", p, err)
			os.RemoveAll(p)
		}
	}
}

// TestRunscDoFindsCommandsInsideTheSandbox checks that a bare command name is looked up on
// PATH inside the sandbox and that a missing one gives 127 with one line on stderr.
func TestRunscDoFindsCommandsInsideTheSandbox(t *testing.T) {
	runsc := requireRunsc(t)
	o := run(t, runscArgs(runsc, false, "stockade-no-such-command"))
	if o.status != 127 || strings.Count(o.stderr, "\n") != 1 || !strings.Contains(o.stderr, "not found") {
		t.Errorf("missing command: %s, stderr %q; want 127 and one \"not found\" line", o.how, o.stderr)
	}
	// hostfs is in binDir, the working directory: "./hostfs" resolves against the
	// sandbox's cwd, which runsc do sets to its own.
	o = run(t, runscArgs(runsc, false, "./hostfs", "read"))
	if o.status != 0 || !strings.Contains(o.stdout, "== /etc/os-release") {
		t.Errorf("runsc do ./hostfs read from its directory: %s\n%s", o.how, stderrNote(o))
	}
}

// TestRunscDoUsesAGoferAndOpensNoHostFiles runs a program that holds /etc/os-release open
// and, while it sleeps, inspects the runsc process (the sentry) and its children:
//
//   - a separate gofer process (argv[0] "runsc-gofer", a child of runsc) is running;
//   - every descriptor of the runsc process is a socket, a pipe, an anonymous inode
//     (eventfd, epoll, pidfd...), a memfd (the sandbox memory file), /dev/null or a
//     terminal — or the one host file the sandboxed program itself holds open, which can
//     only have come from the gofer (same device and inode as the host's
//     /etc/os-release). The Go runtime's own cgroup CPU-limit files are allowed too (see
//     goRuntimeCgroupFiles). No other regular file or directory of the host may be open: the
//     program's executable in particular was opened through the sandbox's VFS and the
//     gofer, and released once loaded.
//
// This checks what is open at one moment, not that the sentry never called open(2); the
// seccomp filter of DESIGN §7 is what will forbid that.
func TestRunscDoUsesAGoferAndOpensNoHostFiles(t *testing.T) {
	runsc := requireRunsc(t)
	prog := program(t, "hostfs")
	ctx, cancel := context.WithTimeout(context.Background(), *runTimeout)
	defer cancel()
	argv := runscArgs(runsc, false, prog, "hold", "30")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = testEnv
	cmd.Dir = binDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Wait gives up on stderr 10 s after runsc is gone: a process of the sandbox that
	// outlives it (holding stderr) is reported, not waited for until the suite times out.
	cmd.WaitDelay = 10 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() {
		syscall.Kill(-pid, syscall.SIGKILL)
		if err := cmd.Wait(); errors.Is(err, exec.ErrWaitDelay) {
			t.Errorf("a process of the sandbox still holds runsc's stderr 10 s after runsc was killed")
		}
		reapGroup(pid)
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("hostfs hold: got %q (%v) instead of ready\nstderr:\n%s", line, err, stderr.String())
	}

	var gofers []int
	for _, c := range childrenOf(pid) {
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c))
		if strings.HasPrefix(string(cl), "runsc-gofer\x00") {
			gofers = append(gofers, c)
		}
	}
	if len(gofers) != 1 {
		t.Errorf("want one gofer process (runsc-gofer) under runsc pid %d, found %v", pid, gofers)
	}

	var held, exe syscall.Stat_t
	if err := syscall.Stat("/etc/os-release", &held); err != nil {
		t.Fatal(err)
	}
	// The program's own executable was opened through the gofer too (the sandbox's VFS
	// found and loaded it), and gofer files keep their donated read-only descriptor.
	if err := syscall.Stat(prog, &exe); err != nil {
		t.Fatal(err)
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	sawHeld := false
	for _, e := range ents {
		p := filepath.Join(fdDir, e.Name())
		target, err := os.Readlink(p)
		if err != nil {
			continue // closed meanwhile
		}
		switch {
		case strings.HasPrefix(target, "socket:"), strings.HasPrefix(target, "pipe:"),
			strings.HasPrefix(target, "anon_inode:"), strings.HasPrefix(target, "/memfd:"),
			target == "/dev/null", strings.HasPrefix(target, "/dev/pts/"),
			strings.HasPrefix(target, "/dev/tty"):
			continue
		}
		if strings.HasPrefix(target, "/sys/fs/cgroup/") && goRuntimeCgroupFiles[filepath.Base(target)] {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err == nil && st.Dev == held.Dev && st.Ino == held.Ino {
			sawHeld = true
			continue
		}
		if err == nil && st.Dev == exe.Dev && st.Ino == exe.Ino {
			continue
		}
		t.Errorf("runsc (the sentry) has host file %s open as fd %s: only the gofer may open host files", target, e.Name())
	}
	if !sawHeld {
		t.Errorf("the file the sandboxed program holds open (/etc/os-release) is not a donated descriptor of runsc: is I/O going through the gofer?")
	}
	t.Logf("runsc pid %d: %d descriptors, gofer %v", pid, len(ents), gofers)
}

// goRuntimeCgroupFiles are the cgroup files the Go runtime (1.25 and later) keeps open in
// every Go process to follow the container's CPU limit for GOMAXPROCS. They are the
// runtime's, not opened for the sandboxed program, and read-only control files.
var goRuntimeCgroupFiles = map[string]bool{
	"cpu.max": true, "cpu.cfs_quota_us": true, "cpu.cfs_period_us": true,
}

// childrenOf returns the pids whose parent is pid.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
		if err != nil {
			continue
		}
		// The command may hold spaces and parentheses: fields start after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 2 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestRunscDoCatMatchesHost runs the host's own dynamically linked cat (found on PATH
// inside the sandbox, loaded with its interpreter and libraries through the gofer) and
// compares its output with the file, byte for byte.
func TestRunscDoCatMatchesHost(t *testing.T) {
	runsc := requireRunsc(t)
	want, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skipf("host has no /etc/os-release: %v", err)
	}
	if _, err := exec.LookPath("cat"); err != nil {
		t.Skip("no cat on the host")
	}
	o := run(t, runscArgs(runsc, false, "cat", "/etc/os-release"))
	if o.status != 0 || o.stdout != string(want) {
		t.Errorf("runsc do cat /etc/os-release: %s, output differs from the file:\n%s%s",
			o.how, lineDiff(string(want), o.stdout), stderrNote(o))
	}
}
