// getpid prints whether the raw getpid syscall returns 1. Not differential:
// in the sandbox the program is its own pid namespace's init ("pid=1"); on
// the host it is not.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	long pid = syscall(SYS_getpid);
	if (pid <= 0) {
		printf("getpid failed\n");
		return 1;
	}
	printf(pid == 1 ? "pid=1\n" : "pid!=1\n");
	return 0;
}
