// vfork checks that a vfork child runs in the parent's memory while the parent waits, and
// that _exit ends the wait with the child's status.
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int seen;

int main(void) {
	for (int i = 0; i < 20; i++) {
		seen = 0;
		pid_t pid = vfork();
		if (pid == 0) {
			seen = i + 1; // shared memory: the parent sees it
			_exit(i);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || WEXITSTATUS(st) != i || seen != i + 1) {
			printf("round %d: bad (seen %d)\n", i, seen);
			return 1;
		}
	}
	printf("vfork: 20 rounds ok\n");
	return 0;
}
