// oomadj: /proc/self/oom_score_adj is per process, writable in [-1000, 1000] (EINVAL
// outside), and inherited by a forked child, as Linux's signal_struct copy on fork; a
// child's change does not reach its parent.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int get(void) {
	char buf[32] = {0};
	int fd = open("/proc/self/oom_score_adj", O_RDONLY);
	read(fd, buf, sizeof buf - 1);
	close(fd);
	int v = 0;
	sscanf(buf, "%d", &v);
	return v;
}

static const char *set(const char *v) {
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);
	ssize_t n = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	return n < 0 ? strerrorname_np(e) : "ok";
}

int main(void) {
	printf("set 500: %s\n", set("500"));
	printf("now: %d\n", get());
	printf("set 1001: %s\n", set("1001"));
	printf("set junk: %s\n", set("x"));
	printf("still: %d\n", get());
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		printf("child inherits: %d\n", get());
		printf("child set 700: %s\n", set("700"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	printf("parent after child: %d\n", get());
	printf("set 0: %s\n", set("0"));
	return 0;
}
