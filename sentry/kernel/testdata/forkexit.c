// forkexit: forks a child that waits forever, then exits with argv[1] as the code (the
// child is left behind).
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (fork() == 0) {
		for (;;) pause();
	}
	return argc > 1 ? atoi(argv[1]) : 0;
}
