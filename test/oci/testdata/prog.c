// prog: the test program of the OCI lifecycle tests (static, needs only exit, write,
// nanosleep and rt_sigaction).
//   prog            prints "hi" and exits 0
//   prog N          exits with code N
//   prog s SECONDS  sleeps, then exits 0
//   prog h SECONDS  the same, with handlers for SIGTERM, SIGINT and SIGHUP that exit with
//                   128+signal (as the container's init, it gets no other signal but SIGKILL
//                   and SIGSTOP: pid_namespaces(7))
#include <signal.h>
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
	if (argc > 1) return atoi(argv[1]);
	write(1, "hi\n", 3);
	return 0;
}
