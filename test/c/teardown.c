// teardown: a bounded fork tree whose processes run threads that mmap, touch and munmap
// memory while processes fork and exit, for the teardown stress tests
// (sentry/kernel/kernel_teardown_test.go, test/oci/teardown_test.go, e2e case teardown).
// Init exits with code 3 after argv[1] milliseconds (never if 0), its descendants still
// running (natively, each dies with its parent: PR_SET_PDEATHSIG).
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 3    // levels below init: at most 2+4+8 processes besides it
#define CHILDREN 2 // live children per non-leaf process
#define THREADS 3  // memory-touching threads per process

static uint32_t next(uint32_t *s) {
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void *toucher(void *arg) {
	uint32_t seed = (uint32_t)(uintptr_t)arg;
	for (;;) {
		size_t len = (1 + next(&seed) % 64) * 4096;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue;
		memset(p, (int)seed, len);
		if (next(&seed) % 4)
			munmap(p, len); // else leaked: the address space release must free it
	}
	return NULL;
}

static void sleep_ms(long ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void node(int depth, uint32_t seed);

static pid_t spawn(int depth, uint32_t seed) {
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		// Natively, nothing would end the tree once init has gone.
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		node(depth, seed);
		_exit(0);
	}
	return pid;
}

// node runs touching threads; a leaf exits (or exit_groups from a thread) after a few ms,
// a non-leaf keeps CHILDREN children alive, replacing each that exits.
static void node(int depth, uint32_t seed) {
	pthread_t th;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th, NULL, toucher, (void *)(uintptr_t)(seed + i));
	if (depth == DEPTH) {
		sleep_ms(1 + next(&seed) % 20);
		_exit(next(&seed) % 2);
	}
	for (int i = 0; i < CHILDREN; i++)
		spawn(depth + 1, next(&seed));
	for (;;) {
		if (wait(NULL) > 0)
			spawn(depth + 1, next(&seed));
		else
			sleep_ms(1);
	}
}

int main(int argc, char **argv) {
	long ms = argc > 1 ? atol(argv[1]) : 0;
	pthread_t th;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th, NULL, toucher, (void *)(uintptr_t)(1000 + i));
	for (int i = 0; i < CHILDREN; i++)
		spawn(1, 77 + i);
	if (ms == 0)
		for (;;)
			pause();
	sleep_ms(ms);
	exit(3);
}
