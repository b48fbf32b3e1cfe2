// initsig checks the protection of a pid namespace's init (pid_namespaces(7)); it must run
// as pid 1 (natively under `unshare --pid --fork`). Signals from inside the namespace reach
// init only if it has a handler: kill(1, SIGTERM), SIGKILL, SIGSTOP and SIGTSTP from itself
// or a child do nothing; a blocked signal with the default action stays pending and is
// dropped when unblocked; with a handler, SIGTERM is delivered. A fault is still fatal: the
// program ends by writing through a null pointer (status 139). With the argument "abort"
// it calls abort() instead: glibc's raise(SIGABRT) is dropped too, and its fallback fault
// ends init (status 139).
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void report(const char *what, int cond) { printf("%s: %s\n", what, cond ? "ok" : "FAIL"); }

static void nap(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

// fromChild has a child send sig to init and exit; it reports whether the child exited 0.
static int fromChild(int sig) {
	pid_t c = fork();
	if (c == 0)
		_exit(kill(1, sig) == 0 ? 0 : 1);
	int st;
	waitpid(c, &st, 0);
	nap(20);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (getpid() != 1) {
		printf("not pid 1\n");
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "abort") == 0) {
		printf("abort\n");
		abort();
	}
	report("kill(1, SIGTERM) from init itself succeeds", kill(1, SIGTERM) == 0);
	report("raise(SIGUSR1)", raise(SIGUSR1) == 0);
	report("kill(1, SIGKILL) from init itself", kill(1, SIGKILL) == 0);
	report("kill(1, SIGSTOP) from init itself", kill(1, SIGSTOP) == 0);
	report("SIGTSTP", raise(SIGTSTP) == 0);
	report("SIGALRM from alarm", alarm(1) == 0);
	nap(1);
	sleep(1);
	nap(100);
	printf("init survived its own default-action signals\n");

	report("SIGTERM from a child", fromChild(SIGTERM));
	report("SIGKILL from a child", fromChild(SIGKILL));
	report("SIGSTOP from a child", fromChild(SIGSTOP));
	report("SIGINT from a child", fromChild(SIGINT));
	printf("init survived its child's signals\n");

	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	sigpending(&pend);
	report("a blocked default-action signal is pending", sigismember(&pend, SIGUSR2));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	sigpending(&pend);
	report("and dropped when unblocked", !sigismember(&pend, SIGUSR2));

	signal(SIGTERM, handler);
	report("SIGTERM with a handler, from a child", fromChild(SIGTERM));
	report("the handler ran", got == SIGTERM);
	got = 0;
	syscall(SYS_tgkill, 1, 1, SIGTERM);
	report("tgkill to itself with a handler", got == SIGTERM);
	signal(SIGTERM, SIG_DFL);
	report("SIGTERM back to the default, from a child", fromChild(SIGTERM));

	printf("a fault is still fatal\n");
	*(volatile int *)0 = 1;
	printf("survived a fault\n");
	return 0;
}
