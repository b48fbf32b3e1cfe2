#define _GNU_SOURCE
// waitrace: a parent that waits as dash's `wait` builtin does — waitpid(WNOHANG), and if
// nothing is reapable yet, sigsuspend until the SIGCHLD handler has run — must always find
// its exited child: on Linux a child is reapable by the time its SIGCHLD is delivered. A
// child killed right after fork (sleep 30 & kill $!; wait $!) and one that exits at once
// are tried many times; an alarm turns a lost wake-up into a failure instead of a hang.
// Likewise a pidfd: once poll says it is readable, waitid(P_PIDFD, WNOHANG) reaps the child.
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
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
	int reaped = 0;
	for (int i = 0; i < 200; i++) {
		alarm(20);
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			pause();
			_exit(0);
		}
		int fd = syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			die("pidfd_open");
		kill(pid, SIGKILL);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, -1) != 1 || !(p.revents & POLLIN))
			die("poll pidfd");
		siginfo_t si = {0};
		if (waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) != 0)
			die("waitid P_PIDFD");
		if (si.si_pid == pid && si.si_code == CLD_KILLED && si.si_status == SIGKILL)
			reaped++;
		else
			waitpid(pid, NULL, 0);
		close(fd);
	}
	alarm(0);
	printf("killed %d exited %d pidfd-reaped %d\n", killed, exited, reaped);
	return 0;
}
