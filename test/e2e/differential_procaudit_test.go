package e2e

import (
	"os"
	"regexp"
	"testing"
)

// Cases from the audit of the processes issue: behaviours the older programs left untested.
func init() {
	differentialCases = append(differentialCases,
		// stack overflow on an alternate stack, absolute clock_nanosleep,
		// timer-interrupted pipe read, signal statuses, __WALL, SA_NOCLDWAIT, SIGTRAP,
		// rt_sigqueueinfo EPERM, epoll modes and pwait2, eventfd semaphore, timerfd
		// cancel-on-set, futex bitsets, the #! line rule.
		differentialCase{name: "proc-audit", prog: "procaudit"},
	)
	if os.Getuid() == 0 { // runsc do runs the program with the caller's uid; it must be root
		sandboxCases = append(sandboxCases, sandboxCase{
			// execve ignores set-user-ID/set-group-ID bits (natively the ids would become 0).
			name: "setuid-bits-ignored", prog: "setuidexec",
			want: "mode 6755\nafter exec: uids 1000 1000 1000 gids 1000 1000 1000\n",
		})
	}
	sandboxCases = append(sandboxCases, sandboxCase{
		// kill(-1) is only safe to run as a pid namespace's init.
		name: "kill-minus-one", prog: "killall",
		want: "kill(-1, SIGTERM) by init: 0\n" +
			"after kill(-1) by init: killed=3 other=0\n" +
			"kill(-1) with no other process: -1 ESRCH\n" +
			"after a child's kill(-1): killed=2 other=1\n" +
			"init's SIGUSR1 handler ran 0 times\n",
	})
}

// TestTopAndKillInside runs top -b -n1 and the kill program inside the sandbox: top lists
// the sandbox's processes from /proc, /bin/kill ends a background job with SIGTERM (143).
func TestTopAndKillInside(t *testing.T) {
	runsc := requireRunsc(t)
	got := run(t, []string{runsc, "do", "/bin/sh", "-c",
		"top -b -n1; sleep 30 & /bin/kill -TERM $!; wait $!; echo kill=$?; /bin/kill -l 9"})
	if got.status != 0 {
		t.Fatalf("status %s\n%s", got.how, stderrNote(got))
	}
	for _, re := range []string{
		`(?m)^Tasks: +2 total`,
		`(?m)^ +1 root .* sh$`,
		`(?m)^ +2 root .* R .* top$`,
		`(?m)^kill=143$`,
		`(?m)^KILL$`,
	} {
		if !regexp.MustCompile(re).MatchString(got.stdout) {
			t.Errorf("output lacks %s:\n%s", re, got.stdout)
		}
	}
}
