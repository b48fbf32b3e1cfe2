// nonewprivs: PR_SET/GET_NO_NEW_PRIVS: argument checks (EINVAL), the flag is one-way, shows
// in /proc/self/status, and is inherited by threads' and children's clones and kept across
// execve.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(int r) { return r >= 0 ? "ok" : strerror(errno); }

static int status_nnp(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int v = -1;
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "NoNewPrivs: %d", &v);
	}
	if (f) fclose(f);
	return v;
}

int main(int argc, char **argv) {
	if (argc > 1) {
		printf("after execve: get=%d status=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), status_nnp());
		return 0;
	}
	printf("initially: get=%d status=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), status_nnp());
	int r = prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0);
	printf("get with arg2=1: %s\n", res(r));
	r = prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0);
	printf("set 2: %s\n", res(r));
	r = prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0);
	printf("set with arg3=1: %s\n", res(r));
	r = prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0);
	printf("set 0: %s\n", res(r));
	printf("still: get=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	printf("set 1: %s get=%d status=%d\n", res(r), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), status_nnp());
	r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	printf("set 1 again: %s\n", res(r));
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		printf("child: get=%d status=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), status_nnp());
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		printf("execl: %s\n", strerror(errno));
		_exit(1);
	}
	int st;
	waitpid(child, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	return 0;
}
