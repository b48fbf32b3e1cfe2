// prog: the test program of the OCI lifecycle tests (static, needs only exit, write,
// nanosleep, rt_sigaction and poll).
//   prog            prints "hi" and exits 0
//   prog N          exits with code N
//   prog s SECONDS  sleeps, then exits 0
//   prog h SECONDS  the same, with handlers for SIGTERM, SIGINT and SIGHUP that exit with
//                   128+signal (as the container's init, it gets no other signal but SIGKILL
//                   and SIGSTOP: pid_namespaces(7))
//   prog p          polls stdout for POLLOUT (no wait), then stdin for POLLIN (200 ms), and
//                   prints "out=R in=R" with the revents: the host descriptors' readiness
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void onSignal(int sig) { _exit(128 + sig); }

int main(int argc, char **argv) {
	if (argc > 2 && argv[1][0] == 'h') {
		signal(SIGTERM, onSignal);
		signal(SIGINT, onSignal);
		signal(SIGHUP, onSignal);
	}
	if (argc > 2 && (argv[1][0] == 's' || argv[1][0] == 'h')) {
		struct timespec ts = {atoi(argv[2]), 0};
		while (nanosleep(&ts, &ts) != 0) {
		}
		return 0;
	}
	if (argc > 1 && argv[1][0] == 'p') {
		struct pollfd out = {.fd = 1, .events = POLLOUT}, in = {.fd = 0, .events = POLLIN};
		int n1 = poll(&out, 1, 0), n2 = poll(&in, 1, 200);
		printf("out=%d in=%d (%d %d)\n", out.revents, in.revents, n1, n2);
		return 0;
	}
	if (argc > 1) return atoi(argv[1]);
	write(1, "hi\n", 3);
	return 0;
}
