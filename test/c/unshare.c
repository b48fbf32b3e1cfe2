// unshare checks unshare(2) beyond pid namespaces: CLONE_FILES gives a process that shared
// its parent's descriptor table (clone(CLONE_FILES)) a copy of its own, CLONE_FS the same
// for the cwd and umask (clone(CLONE_FS)); the thread flags are accepted by a
// single-threaded process and refused by a multi-threaded one; unknown flags are EINVAL.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static long raw_clone(unsigned long flags) { return syscall(SYS_clone, flags, 0, 0, 0, 0); }

static int pipefd[2];

// child_files closes pipefd[0], after unsharing the table if unshare_first.
static void child_files(int unshare_first) {
	pid_t c = raw_clone(CLONE_FILES | SIGCHLD);
	if (c < 0)
		die("clone(CLONE_FILES)");
	if (c == 0) {
		if (unshare_first && unshare(CLONE_FILES))
			_exit(2);
		close(pipefd[0]);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("CLONE_FILES child closed a descriptor%s: parent's still open: %d\n",
	       unshare_first ? " after unshare(CLONE_FILES)" : "", fcntl(pipefd[0], F_GETFD) >= 0);
}

static void child_fs(int unshare_first) {
	char before[256], after[256];
	if (!getcwd(before, sizeof before))
		die("getcwd");
	mode_t m = umask(022);
	umask(m);
	pid_t c = raw_clone(CLONE_FS | SIGCHLD);
	if (c < 0)
		die("clone(CLONE_FS)");
	if (c == 0) {
		if (unshare_first && unshare(CLONE_FS))
			_exit(2);
		if (chdir("/"))
			_exit(3);
		umask(077);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	if (!getcwd(after, sizeof after))
		die("getcwd");
	mode_t m2 = umask(m);
	printf("CLONE_FS child changed cwd and umask%s: parent's unchanged: %d %d\n",
	       unshare_first ? " after unshare(CLONE_FS)" : "", strcmp(before, after) == 0, m2 == m);
	if (chdir(before))
		die("chdir back");
}

static volatile int stop;

static void *spin(void *a) {
	while (!stop)
		usleep(1000);
	return a;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (chdir("/tmp"))
		die("chdir /tmp");
	umask(027);
	if (pipe(pipefd))
		die("pipe");
	child_files(0);
	if (pipe(pipefd))
		die("pipe");
	child_files(1);
	child_fs(0);
	child_fs(1);

	printf("unshare(0): %s\n", res(unshare(0)));
	printf("unshare(CLONE_THREAD|CLONE_SIGHAND|CLONE_VM) single-threaded: %s\n",
	       res(unshare(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)));
	printf("unshare(CLONE_SYSVSEM): %s\n", res(unshare(CLONE_SYSVSEM)));
	printf("unshare(CLONE_PTRACE, not an unshare flag): %s\n", res(unshare(CLONE_PTRACE)));
	pthread_t th;
	pthread_create(&th, NULL, spin, NULL);
	printf("unshare(CLONE_THREAD) multi-threaded: %s\n", res(unshare(CLONE_THREAD)));
	printf("unshare(CLONE_VM) multi-threaded: %s\n", res(unshare(CLONE_VM)));
	stop = 1;
	pthread_join(th, NULL);
	return 0;
}
