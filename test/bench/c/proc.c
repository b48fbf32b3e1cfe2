// proc measures process and time operations and prints the mean time of one as "ns/op=N":
//
//	proc clock N          N clock_gettime(CLOCK_MONOTONIC) calls through libc (the vDSO)
//	proc forkexec N PROG  N rounds of fork, execve(PROG) in the child, waitpid
//	proc touch MIB        one write to every page of a fresh MIB MiB anonymous mapping
//	                      (the time per page)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	if (n <= 0)
		return 2;
	double start, end;
	if (strcmp(argv[1], "clock") == 0) {
		struct timespec ts;
		start = now_ns();
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		end = now_ns();
	} else if (strcmp(argv[1], "forkexec") == 0 && argc > 3) {
		char *child[] = {argv[3], NULL};
		start = now_ns();
		for (long i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				execv(argv[3], child);
				_exit(127);
			}
			int st;
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				return 1;
		}
		end = now_ns();
	} else if (strcmp(argv[1], "touch") == 0) {
		size_t len = (size_t)n << 20, page = (size_t)sysconf(_SC_PAGESIZE);
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		start = now_ns();
		for (size_t off = 0; off < len; off += page)
			p[off] = 1;
		end = now_ns();
		n = (long)(len / page);
	} else {
		return 2;
	}
	printf("ns/op=%.1f\n", (end - start) / n);
	return 0;
}
