// sig_abort runs a SIGABRT handler that returns, then abort() resets the default action and
// the process dies of SIGABRT. A child does it (under runsc the test program is init, which
// signals sent from inside cannot kill: see initsig.c), and the parent exits with the
// child's 128+signal: status 134.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void handler(int sig) {
	const char msg[] = "SIGABRT handler ran\n";
	write(1, msg, sizeof msg - 1);
	(void)sig;
}

int main(void) {
	pid_t c = fork();
	if (c == 0) {
		signal(SIGABRT, handler);
		raise(SIGABRT);
		printf("raise returned\n");
		fflush(stdout);
		abort();
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFSIGNALED(st))
		return 1;
	printf("child killed by signal %d\n", WTERMSIG(st));
	return 128 + WTERMSIG(st);
}
