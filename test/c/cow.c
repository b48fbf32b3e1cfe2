// cow checks that fork gives the child a copy-on-write copy of private memory (globals,
// heap, stack, a large mapping) and shares MAP_SHARED memory, and that MADV_DONTFORK and
// MADV_WIPEONFORK are honoured.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int global = 1;
static volatile int *sync_;

static void nap(void) {
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	sync_ = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *heap = malloc(100);
	strcpy(heap, "parent heap");
	int stack = 7;
	size_t big = 16 << 20;
	unsigned char *mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(mem, 0xaa, big);

	pid_t pid = fork();
	if (pid == 0) {
		// Wait for the parent's writes, then check that they are invisible here.
		while (!sync_[0])
			nap();
		int ok = global == 1 && strcmp(heap, "parent heap") == 0 && stack == 7;
		for (size_t i = 0; i < big; i += 4096)
			ok = ok && mem[i] == 0xaa;
		global = 2;
		strcpy(heap, "child heap");
		stack = 8;
		memset(mem, 0x55, big);
		sync_[1] = ok;
		_exit(0);
	}
	global = 3;
	strcpy(heap, "parent wrote");
	stack = 9;
	for (size_t i = 0; i < big; i += 8192)
		mem[i] = 0x11;
	sync_[0] = 1;
	waitpid(pid, NULL, 0);
	printf("child saw the memory as at fork: %d\n", sync_[1]);
	int ok = global == 3 && strcmp(heap, "parent wrote") == 0 && stack == 9;
	for (size_t i = 0; i < big; i += 4096)
		ok = ok && mem[i] == ((i % 8192) ? 0xaa : 0x11);
	printf("parent unaffected by the child: %d\n", ok);

	int *shm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shm[0] = 1;
	pid = fork();
	if (pid == 0) {
		shm[1] = shm[0] + 41;
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("shared memory across fork: %d\n", shm[1]);

	// A grandchild: three generations see their own copies.
	global = 10;
	pid = fork();
	if (pid == 0) {
		global = 20;
		pid_t g = fork();
		if (g == 0) {
			global = 30;
			_exit(global);
		}
		int st;
		waitpid(g, &st, 0);
		_exit(WEXITSTATUS(st) + global);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("generations: %d %d\n", WEXITSTATUS(st), global);

	char *dontfork = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *wipe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dontfork[0] = 1;
	wipe[0] = 1;
	printf("madvise: %d %d\n", madvise(dontfork, 4096, MADV_DONTFORK), madvise(wipe, 4096, MADV_WIPEONFORK));
	pid = fork();
	if (pid == 0)
		_exit(wipe[0] == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	printf("WIPEONFORK child reads zero: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pid = fork();
	if (pid == 0) {
		*(volatile char *)dontfork = 2;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("DONTFORK child faults: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
	return 0;
}
