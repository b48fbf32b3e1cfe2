// sig_abort runs a SIGABRT handler that returns, then abort() resets the
// default action and the process dies of SIGABRT: status 134.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void handler(int sig) {
	const char msg[] = "SIGABRT handler ran\n";
	write(1, msg, sizeof msg - 1);
	(void)sig;
}

int main(void) {
	signal(SIGABRT, handler);
	raise(SIGABRT);
	printf("raise returned\n");
	fflush(stdout);
	abort();
}
