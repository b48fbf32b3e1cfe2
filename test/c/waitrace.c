#define _GNU_SOURCE
// waitrace: a parent that waits as dash's `wait` builtin does — waitpid(WNOHANG), and if
// nothing is reapable yet, sigsuspend until the SIGCHLD handler has run — must always find
// its exited child: on Linux a child is reapable by the time its SIGCHLD is delivered. A
// child killed right after fork (sleep 30 & kill $!; wait $!) and one that exits at once
// are tried many times; an alarm turns a lost wake-up into a failure instead of a hang.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t gotsigchld;

static void onchld(int sig) {
	(void)sig;
	gotsigchld = 1;
}

static void onalarm(int sig) {
	(void)sig;
	static const char msg[] = "FAIL waitrace: a wait for an exited child never returned\n";
	write(1, msg, sizeof msg - 1);
	_exit(1);
}

// dashwait waits for pid as dash's waitproc does with DOWAIT_WAITCMD.
static int dashwait(pid_t pid) {
	sigset_t all, old;
	sigfillset(&all);
	for (;;) {
		gotsigchld = 0;
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			die("waitpid");
		sigprocmask(SIG_SETMASK, &all, &old);
		while (!gotsigchld)
			sigsuspend(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
}

int main(void) {
	struct sigaction sa = {0};
	sa.sa_handler = onchld;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGALRM, onalarm);
	int killed = 0, exited = 0;
	for (int i = 0; i < 400; i++) {
		alarm(20);
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (i % 2)
				_exit(3);
			pause();
			_exit(0);
		}
		if (i % 2 == 0)
			kill(pid, SIGTERM);
		int st = dashwait(pid);
		if (i % 2 == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
			killed++;
		if (i % 2 && WIFEXITED(st) && WEXITSTATUS(st) == 3)
			exited++;
	}
	alarm(0);
	printf("killed %d exited %d\n", killed, exited);
	return 0;
}
