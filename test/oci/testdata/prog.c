// prog: the test program of the OCI lifecycle tests (static, needs only exit, write and
// nanosleep).
//   prog            prints "hi" and exits 0
//   prog N          exits with code N
//   prog s SECONDS  sleeps, then exits 0
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc > 2 && argv[1][0] == 's') {
		struct timespec ts = {atoi(argv[2]), 0};
		while (nanosleep(&ts, &ts) != 0) {
		}
		return 0;
	}
	if (argc > 1) return atoi(argv[1]);
	write(1, "hi\n", 3);
	return 0;
}
