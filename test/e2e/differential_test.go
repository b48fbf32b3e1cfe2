package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// differentialCase is one program run on the host and under runsc.
type differentialCase struct {
	name string
	prog string
	args []string
	// status is the normalised exit status the host run must have; the
	// sandboxed run must match the host run.
	status int
}

var differentialCases = []differentialCase{
	{name: "true", prog: "true"},
	{name: "hello", prog: "hello"},
	{name: "auxv", prog: "auxv", args: []string{"first", "with space", "", "--flag=x"}},
	{name: "exit/0", prog: "exitcode", args: []string{"0"}, status: 0},
	{name: "exit/1", prog: "exitcode", args: []string{"1"}, status: 1},
	{name: "exit/42", prog: "exitcode", args: []string{"42"}, status: 42},
	{name: "exit/255", prog: "exitcode", args: []string{"255"}, status: 255},
	{name: "exit/256", prog: "exitcode", args: []string{"256"}, status: 0},
	{name: "errno", prog: "errno"},
	{name: "mmap", prog: "mmap"},
	{name: "prot-none-segv", prog: "segv", status: 128 + 11},
	{name: "clock", prog: "clock"},
	{name: "threads", prog: "threads"},
	{name: "malloc-1gib", prog: "malloc"},
	{name: "goprog", prog: "goprog"},
	// Paths and files in a fresh directory under /tmp (see test/c/fs.c).
	{name: "fs", prog: "fs"},
	// The host's root through the gofer and the overlay (see test/c/hostfs.c).
	{name: "host-root", prog: "hostfs", args: []string{"read"}},
	// mmap of a file written to a fresh directory under /tmp (see test/c/mmapfile.c).
	{name: "mmap-file", prog: "mmapfile"},
	// MAP_SHARED of tmpfs files, SIGBUS past EOF, sem_open across fork (test/c/mmapshared.c).
	{name: "mmap-shared-file", prog: "mmapshared"},
	{name: "signal-handlers", prog: "sig_basic"},
	{name: "signal-altstack", prog: "sig_altstack"},
	{name: "signal-faults", prog: "sig_fault", status: 128 + 11},
	{name: "signal-fpu", prog: "sig_fpu"},
	{name: "signal-restart", prog: "sig_restart"},
	{name: "signal-abort", prog: "sig_abort", status: 128 + 6},
	// Timers and clocks (test/c/itimer.c, posix_timer.c, timerfd.c, signalfd.c, cpuclock.c).
	{name: "itimer", prog: "itimer"},
	{name: "posix-timer", prog: "posix_timer"},
	{name: "timerfd", prog: "timerfd"},
	{name: "signalfd", prog: "signalfd"},
	{name: "cpu-clocks", prog: "cpuclock"},
	{name: "fork-wait", prog: "fork"},
	{name: "execve", prog: "execve"},
	{name: "setid", prog: "setid"},
	// Nice values and scheduling policy queries (test/c/priority.c).
	{name: "priority", prog: "priority"},
	{name: "fork-cow", prog: "cow"},
	{name: "vfork", prog: "vfork"},
	{name: "fork-orphan", prog: "orphan"},
	{name: "fork-threads", prog: "forkthreads"},
	{name: "pgrp", prog: "pgrp"},
	// PID namespaces: clone/unshare(CLONE_NEWPID), the namespace's init (test/c/pidns.c).
	{name: "pid-namespaces", prog: "pidns"},
	// unshare(2)'s CLONE_FILES, CLONE_FS and thread flags (test/c/unshare.c).
	{name: "unshare", prog: "unshare"},
	// Pipes, fifos, poll/select and splice (see test/c/pipe.c, fifo.c, poll.c, splice.c).
	{name: "pipe", prog: "pipe"},
	{name: "fifo", prog: "fifo"},
	{name: "poll", prog: "poll"},
	{name: "splice", prog: "splice"},
	// /proc/self and /proc/<pid> against the process's own view (see test/c/procfs.c).
	{name: "procfs", prog: "procfs", args: []string{"first", "with space", ""}},
	// /proc/self/fd/N as a magic link: pipes, /dev/stdout, deleted files (test/c/fdreopen.c).
	{name: "fd-reopen", prog: "fdreopen"},
	// Advisory locks, copy_file_range and mounts (see test/c/lock.c, copyrange.c, mount.c).
	{name: "locks", prog: "lock"},
	{name: "copy-file-range", prog: "copyrange"},
	{name: "mount", prog: "mount"},
}

// TestDifferential runs each program natively and under runsc do and
// compares stdout and the normalised exit status. The host run must have the
// case's expected status first: a test that fails on Linux is a broken test.
func TestDifferential(t *testing.T) {
	for _, tc := range differentialCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prog := program(t, tc.prog)
			native := runNative(t, prog, tc.args...)
			if native.status != tc.status {
				t.Fatalf("native run %s: want status %d, got %s\nstdout:\n%s\nstderr:\n%s",
					tc.prog, tc.status, native.how, tail(native.stdout, 40), tail(native.stderr, 40))
			}
			sandboxed := runSandboxed(t, prog, tc.args...)
			if msg := compare(native, sandboxed); msg != "" {
				t.Errorf("runsc do %s %s: differs from the host run\n%s",
					tc.prog, strings.Join(quoteAll(tc.args), " "), msg)
			}
		})
	}
}

// compare returns a description of how the sandboxed run differs from the
// native one, or "" if it does not.
func compare(native, sandboxed outcome) string {
	var sb strings.Builder
	if native.stdout != sandboxed.stdout {
		fmt.Fprintf(&sb, "stdout differs (- native, + runsc):\n%s", lineDiff(native.stdout, sandboxed.stdout))
	}
	if native.status != sandboxed.status {
		fmt.Fprintf(&sb, "exit status differs: native %d (%s), runsc %d (%s)\n",
			native.status, native.how, sandboxed.status, sandboxed.how)
	}
	if sb.Len() == 0 {
		return ""
	}
	sb.WriteString(stderrNote(sandboxed))
	return sb.String()
}

func quoteAll(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			q[i] = fmt.Sprintf("%q", a)
		}
	}
	return q
}
