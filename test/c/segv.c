// segv maps a page PROT_NONE and writes to it. The process must be killed by
// SIGSEGV (the harness normalises that to exit status 139). The line printed
// first is written with write(2) so it is not lost in a stdio buffer.
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
	volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	const char msg[] = "touching PROT_NONE page\n";
	if (write(1, msg, sizeof msg - 1) != sizeof msg - 1)
		return 3;
	p[0] = 1;
	const char bad[] = "survived the write\n";
	write(1, bad, sizeof bad - 1);
	return 4;
}
