// execve: vfork + execve of itself, then an execve from a second thread (de-threading). A
// program for TestExecve; run with no argument.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char *self;

static void say(const char *s) { write(1, s, strlen(s)); }

static void *execer(void *arg) {
	char *a[] = {self, "final", NULL};
	execve(self, a, environ);
	say("execve from a thread failed\n");
	return NULL;
}

int main(int argc, char **argv) {
	self = argv[0];
	if (argc > 1) {
		char buf[64];
		snprintf(buf, sizeof buf, "exec'd %s as %d threads? %s\n", argv[1], 1, getppid() >= 0 ? "ok" : "");
		say(buf);
		return strcmp(argv[1], "final") == 0 ? 7 : 3;
	}
	pid_t pid = vfork();
	if (pid == 0) {
		char *a[] = {self, "child", NULL};
		execve(self, a, environ);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	say(WEXITSTATUS(st) == 3 ? "vfork child exec'd\n" : "vfork child failed\n");
	pthread_t th;
	pthread_create(&th, NULL, execer, NULL);
	for (;;)
		pause();
}
