// killall checks kill(-1, sig) as the init of a pid namespace: it reaches every other
// process, never the caller nor init, and fails with ESRCH when there is none. Natively
// (where the program is not pid 1) it only says so: kill(-1) there would signal the host.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

static void reap(const char *what, int n) {
	int st, killed = 0, other = 0;
	for (int i = 0; i < n; i++) {
		if (wait(&st) < 0) break;
		if (WIFSIGNALED(st)) killed++; else other++;
	}
	printf("%s: killed=%d other=%d\n", what, killed, other);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (getpid() != 1) {
		printf("not init\n");
		return 0;
	}
	for (int i = 0; i < 3; i++)
		if (fork() == 0) {
			for (;;) pause();
		}
	printf("kill(-1, SIGTERM) by init: %d\n", kill(-1, SIGTERM));
	reap("after kill(-1) by init", 3);
	errno = 0;
	int r = kill(-1, SIGTERM);
	printf("kill(-1) with no other process: %d %s\n", r, errno == ESRCH ? "ESRCH" : strerror(errno));

	// A child's kill(-1) reaches its siblings but neither itself nor init (whose handler
	// would count it).
	for (int i = 0; i < 2; i++)
		if (fork() == 0) {
			for (;;) pause();
		}
	signal(SIGUSR1, on_usr1);
	if (fork() == 0) {
		int ok = kill(-1, SIGUSR1);
		_exit(ok == 0 ? 0 : 1);
	}
	reap("after a child's kill(-1)", 3);
	printf("init's SIGUSR1 handler ran %d times\n", usr1);
	return 0;
}
