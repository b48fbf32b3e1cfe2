// spin: with no argument, spins forever (a process that is always in application code);
// with one, exits with it as the code.
#include <stdlib.h>

int main(int argc, char **argv) {
	if (argc > 1) return atoi(argv[1]);
	for (volatile unsigned long i = 0;; i++) {
	}
}
