package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stockade-sandbox/stockade/test/internal/repo"
)

var (
	nativeOnly = flag.Bool("native-only", os.Getenv("STOCKADE_NATIVE_ONLY") == "1",
		"run only the host side of each test and skip runsc")
	platformFlag = flag.String("platform", envOr("STOCKADE_PLATFORM", "ptrace"),
		"runsc platform, passed as runsc do --platform=P")
	straceFlag = flag.Bool("strace", os.Getenv("RUNSC_STRACE") == "1",
		"pass --strace to runsc do")
	runTimeout = flag.Duration("run-timeout", 3*time.Minute,
		"time limit for one run of a program, native or sandboxed")
)

// testEnv is the whole environment of every program run, natively and under
// runsc (which passes its own environment to the program), so that the
// outputs do not depend on the caller's environment.
var testEnv = []string{
	"PATH=/usr/local/bin:/usr/bin:/bin",
	"HOME=/",
	"LANG=C",
	"STOCKADE_E2E=1",
	"EMPTY=",
	"WITH_EQUALS=a=b=c",
}

var (
	// binDir holds the built test programs; set by TestMain.
	binDir string
	// buildErrs maps a program name to the reason it failed to build.
	buildErrs = map[string]error{}
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	flag.Parse()
	// A program killed by SIGSEGV on the host must not leave a core file
	// (core_pattern may be a relative "core"); children inherit the limit.
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 0, Max: 0})

	dir, err := os.MkdirTemp("", "stockade-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	// Programs that drop to another uid exec themselves again: the directory must let
	// everyone in, as a program's directory usually does.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	start := time.Now()
	buildAll(dir)
	if testing.Verbose() {
		fmt.Printf("e2e: built test programs in %s (%v)\n", dir, time.Since(start).Round(time.Millisecond))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildAll compiles every test/c/*.c (with the headers test/c/*.h) with gcc -static -O1
// -pthread and the Go program test/goprog with CGO_ENABLED=0, into dir. Failures are
// recorded in buildErrs, so that only the tests of a program that does not build fail.
func buildAll(dir string) {
	srcs, err := filepath.Glob(filepath.Join("..", "c", "*.c"))
	if err == nil && len(srcs) == 0 {
		err = errors.New("no sources in test/c")
	}
	if err != nil {
		buildErrs["*"] = err
		return
	}
	// Headers shared by the programs (#include "x.h") sit beside the copies of the sources;
	// reading them here also lets go test see them as inputs.
	headers, _ := filepath.Glob(filepath.Join("..", "c", "*.h"))
	for _, h := range headers {
		code, err := os.ReadFile(h)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, filepath.Base(h)), code, 0o644)
		}
		if err != nil {
			buildErrs["*"] = err
			return
		}
	}
	type job struct {
		name string
		cmd  func() *exec.Cmd
	}
	var jobs []job
	gcc, gccErr := exec.LookPath("gcc")
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		out := filepath.Join(dir, name)
		// Read the source here rather than in gcc, so that go test
		// sees the input and a copy sits beside the binary.
		code, err := os.ReadFile(src)
		if err == nil {
			err = os.WriteFile(out+".c", code, 0o644)
		}
		if err == nil {
			err = gccErr
		}
		if err != nil {
			buildErrs[name] = err
			continue
		}
		jobs = append(jobs, job{name, func() *exec.Cmd {
			return exec.Command(gcc, "-static", "-O1", "-pthread", "-Wall", "-o", out, out+".c")
		}})
	}
	jobs = append(jobs, job{"goprog", func() *exec.Cmd {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, "goprog"),
			"github.com/stockade-sandbox/stockade/test/goprog")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return cmd
	}})

	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, runtime.NumCPU())
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := j.cmd()
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				buildErrs[j.name] = fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// program returns the path of a built test program, failing t if it did not
// build.
func program(t *testing.T, name string) string {
	t.Helper()
	if err := buildErrs["*"]; err != nil {
		t.Fatalf("building test programs: %v", err)
	}
	if err := buildErrs[name]; err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	return filepath.Join(binDir, name)
}

// requireRunsc returns the runsc path, skipping t under -native-only and
// failing it if the binary is missing.
func requireRunsc(t *testing.T) string {
	t.Helper()
	if *nativeOnly {
		t.Skip("-native-only: not running under runsc")
	}
	p, err := repo.Runsc()
	if err != nil {
		t.Fatalf("locating runsc: %v", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("runsc not found at %s: build bin/runsc first (make), or set RUNSC", p)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s is not an executable file: build bin/runsc first (make)", p)
	}
	return p
}

// outcome is what one run of a program produced.
type outcome struct {
	stdout, stderr string
	// status is the exit code, or 128+N if the process was killed by
	// signal N.
	status int
	// how describes the status in words, e.g. "killed by signal 11".
	how string
	// leftover is set if processes were still running in the run's
	// process group after it exited (they have been killed).
	leftover bool
}

// run runs argv with the test environment, stdin from /dev/null, in its own
// process group, within the run timeout.
func run(t *testing.T, argv []string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), *runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = testEnv
	cmd.Dir = binDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s: timed out after %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(argv, " "), *runTimeout, tail(stdout.String(), 40), tail(stderr.String(), 40))
	}
	var o outcome
	o.stdout, o.stderr = stdout.String(), stderr.String()
	if cmd.ProcessState == nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		o.status, o.how = ws.ExitStatus(), fmt.Sprintf("exited %d", ws.ExitStatus())
	case ws.Signaled():
		o.status, o.how = 128+int(ws.Signal()), fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	default:
		t.Fatalf("%s: unexpected wait status %v", strings.Join(argv, " "), ws)
	}
	o.leftover = reapGroup(cmd.Process.Pid)
	return o
}

// reapGroup reports whether any process is left in process group pgid,
// waiting a little for dying ones to go, and kills what remains.
func reapGroup(pgid int) bool {
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// runNative runs a built program on the host.
func runNative(t *testing.T, prog string, args ...string) outcome {
	t.Helper()
	return run(t, append([]string{prog}, args...))
}

// runscArgs returns the command line of `runsc do` for prog and args.
func runscArgs(runsc string, strace bool, prog string, args ...string) []string {
	argv := []string{runsc, "do"}
	if *platformFlag != "" {
		argv = append(argv, "--platform="+*platformFlag)
	}
	if strace {
		argv = append(argv, "--strace")
	}
	return append(append(argv, prog), args...)
}

// runSandboxed runs a built program under `runsc do`.
func runSandboxed(t *testing.T, prog string, args ...string) outcome {
	t.Helper()
	runsc := requireRunsc(t)
	o := run(t, runscArgs(runsc, *straceFlag, prog, args...))
	if o.leftover {
		t.Errorf("runsc do %s: processes were still running in its process group after it exited", filepath.Base(prog))
	}
	return o
}

// stderrNote returns the tail of a run's stderr for a failure message.
func stderrNote(o outcome) string {
	if o.stderr == "" {
		return "runsc stderr: (empty)\n"
	}
	return "runsc stderr:\n" + tail(o.stderr, 60)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[... %d lines ...]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "")
}

// lineDiff returns a line diff of a and b, "-" for lines only in a and "+"
// for lines only in b, with up to 3 lines of context around changes.
func lineDiff(a, b string) string {
	x, y := splitLines(a), splitLines(b)
	// Longest common subsequence table; outputs are small.
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, line{' ', x[i]})
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', x[i]})
			i++
		default:
			ops = append(ops, line{'+', y[j]})
			j++
		}
	}
	const context = 3
	near := make([]bool, len(ops))
	for k, op := range ops {
		if op.op != ' ' {
			for d := max(0, k-context); d <= min(len(ops)-1, k+context); d++ {
				near[d] = true
			}
		}
	}
	var sb strings.Builder
	skipped := false
	for k, op := range ops {
		if !near[k] {
			skipped = true
			continue
		}
		if skipped {
			sb.WriteString("  ...\n")
			skipped = false
		}
		fmt.Fprintf(&sb, "%c %s\n", op.op, op.text)
	}
	if skipped {
		sb.WriteString("  ...\n")
	}
	return sb.String()
}

// splitLines splits s into lines, marking a missing final newline.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += " [no newline at end]"
	}
	return lines
}
