// fork exercises fork and the wait family: exit codes 0..255 through wait4, a child killed
// by SIGKILL, WNOHANG before and after a child exits, a zombie kept by waitid(WNOWAIT),
// waitid's siginfo, ECHILD, SIGCHLD left pending when blocked, automatic reaping with
// SIGCHLD ignored, and 100 forks in a loop. Output is independent of pids.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int *shared;

static void nap(void) {
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	int bad = 0;
	for (int code = 0; code < 256; code++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(code);
		int st;
		struct rusage ru;
		if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != code)
			bad++;
	}
	printf("exit codes 0..255: %d wrong\n", bad);

	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	printf("killed: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		while (!shared[0])
			nap();
		_exit(5);
	}
	printf("WNOHANG while running: %d\n", waitpid(pid, &st, WNOHANG));
	shared[0] = 1;
	int r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0)
		nap();
	printf("WNOHANG after exit: found=%d status=%d\n", r == pid, WEXITSTATUS(st));

	pid = fork();
	if (pid == 0)
		_exit(9);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: r=%d signo=%d code=%d status=%d pid ok=%d\n", r, si.si_signo,
	       si.si_code, si.si_status, si.si_pid == pid);
	printf("zombie still waitable: %d\n", waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 9);
	errno = 0;
	r = waitpid(pid, &st, 0);
	printf("wait again: %d errno=%s\n", r, strerror(errno));
	errno = 0;
	r = wait(&st);
	printf("wait no children: %d errno=%s\n", r, strerror(errno));
	memset(&si, 0xff, sizeof si);
	pid = fork();
	if (pid == 0) {
		while (!shared[1])
			nap();
		_exit(0);
	}
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid WNOHANG none ready: r=%d pid=%d\n", r, si.si_pid);
	shared[1] = 1;
	waitpid(pid, NULL, 0);

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0)
		_exit(3);
	waitpid(pid, &st, 0);
	sigset_t pend;
	sigpending(&pend);
	printf("SIGCHLD pending: %d\n", sigismember(&pend, SIGCHLD));
	struct timespec zero = {0, 0};
	memset(&si, 0, sizeof si);
	r = sigtimedwait(&set, &si, &zero);
	printf("sigtimedwait: sig=%d code=%d status=%d\n", r, si.si_code, si.si_status);
	sigprocmask(SIG_SETMASK, &old, NULL);

	signal(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid == 0)
		_exit(1);
	errno = 0;
	r = waitpid(pid, &st, 0);
	printf("SIG_IGN auto-reap: %d errno=%s\n", r, strerror(errno));
	signal(SIGCHLD, SIG_DFL);

	long sum = 0;
	for (int i = 0; i < 100; i++) {
		pid = fork();
		if (pid == 0)
			_exit(i);
		waitpid(pid, &st, 0);
		sum += WEXITSTATUS(st);
	}
	pid_t kids[100];
	for (int i = 0; i < 100; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(i + 1);
	}
	long sum2 = 0;
	int n = 0;
	while ((pid = wait(&st)) > 0) {
		sum2 += WEXITSTATUS(st);
		n++;
	}
	printf("100 forks: sum=%ld; 100 at once: n=%d sum=%ld\n", sum, n, sum2);
	return 0;
}
