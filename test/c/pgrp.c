// pgrp exercises process groups and sessions: setsid, setpgid, getpgid, getpgrp, getsid,
// their errors, and kill(0) and kill(-pgid). Output is pid independent.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int *shm;

static void nap(void) {
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

static const char *err(int r) { return r == 0 ? "ok" : strerror(errno); }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("getpgrp == getpgid(0): %d\n", getpgrp() == getpgid(0));
	printf("getsid(0) == getsid(getpid()): %d\n", getsid(0) == getsid(getpid()));
	errno = 0;
	int r0 = getpgid(4000000);
	printf("getpgid(no such pid): %d %s\n", r0, strerror(errno));

	pid_t pid = fork();
	if (pid == 0) {
		pid_t sid = setsid();
		int a = sid == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		int r = setsid();
		printf("child setsid: new session %d; again: %s\n", a, err(r));
		r = setpgid(0, 0);
		printf("session leader setpgid: %s\n", err(r));
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	pid = fork();
	if (pid == 0) {
		while (!shm[0])
			nap();
		_exit(getpgrp() == getpid() ? 0 : 1);
	}
	int r = setpgid(pid, pid);
	printf("parent setpgid(child, child): %s; getpgid(child)==child: %d\n", err(r), getpgid(pid) == pid);
	r = setpgid(pid, getpgrp());
	printf("move child back: %s\n", err(r));
	r = setpgid(pid, pid);
	shm[0] = 1;
	int st;
	waitpid(pid, &st, 0);
	printf("child saw itself as group leader: %d\n", WEXITSTATUS(st) == 0);
	r = setpgid(pid, pid);
	printf("setpgid on a reaped child: %s\n", err(r));
	r = setpgid(0, 4000000);
	printf("setpgid to a missing group: %s\n", err(r));
	r = setpgid(-1, 0);
	printf("setpgid negative pid: %s\n", err(r));

	// kill(-pgid): a group of two children, killed together.
	pid_t a = fork();
	if (a == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(a, a);
	pid_t b = fork();
	if (b == 0) {
		for (;;)
			pause();
	}
	setpgid(b, a);
	r = kill(-a, SIGTERM);
	int sa, sb;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	printf("kill(-pgid): %s; both killed: %d %d\n", err(r), WTERMSIG(sa) == SIGTERM, WTERMSIG(sb) == SIGTERM);
	errno = 0;
	r = kill(-a, SIGTERM);
	printf("kill(-pgid) of an empty group: %d %s\n", r, strerror(errno));

	// kill(0): a child leads a new group with a grandchild and signals its own group.
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		pid_t g = fork();
		if (g == 0) {
			for (;;)
				pause();
		}
		signal(SIGUSR1, SIG_IGN);
		kill(0, SIGUSR1);
		int gs;
		waitpid(g, &gs, 0);
		_exit(WIFSIGNALED(gs) && WTERMSIG(gs) == SIGUSR1 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	printf("kill(0) reaches the group: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
