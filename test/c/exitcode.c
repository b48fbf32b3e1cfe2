// exitcode exits with argv[1] as its status (exit truncates it to 8 bits, so
// 256 exits 0). It prints nothing: only the status is compared.
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 2)
		return 100;
	_exit(atoi(argv[1]));
}
