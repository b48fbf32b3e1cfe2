/*
 * The pod sandbox's (pause) container for test/integration/cri.sh: it holds the pod's
 * namespaces and, as the kubelet's pause does, waits for a signal. SIGTERM and SIGINT end it
 * with status 0; SIGCHLD reaps children (with a shared PID namespace it is their init).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, 0, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = stop;
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGINT, &sa, 0);
	sa.sa_handler = reap;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, 0);
	for (;;)
		pause();
}
