// orphan checks reparenting: a grandchild whose parent exits is adopted by init (under runsc
// the test program itself is init; natively some other process is), or by the nearest
// child subreaper, which can then wait for it; PR_SET_PDEATHSIG kills a child when its
// parent dies. Output is pid independent.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int *shm;

static void nap(void) {
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

// run forks a middle process that forks a grandchild and exits; the grandchild reports
// through shm whether its parent changed and who adopted it.
static void run(int pdeath) {
	shm[0] = shm[1] = shm[2] = shm[3] = 0;
	pid_t mid = fork();
	if (mid == 0) {
		pid_t g = fork();
		if (g == 0) {
			pid_t orig = getppid();
			if (pdeath)
				prctl(PR_SET_PDEATHSIG, SIGUSR1);
			shm[3] = getpid();
			shm[0] = 1; // ready: the middle process may exit
			if (pdeath)
				for (;;) // only the death signal ends it (an _exit could race the signal)
					pause();
			while (getppid() == orig)
				nap();
			shm[1] = getppid();
			shm[2] = 1;
			_exit(4);
		}
		while (!shm[0])
			nap();
		_exit(0);
	}
	waitpid(mid, NULL, 0);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	run(0);
	while (!shm[2])
		nap();
	printf("reparented: yes\n");
	printf("adopted by me (not a subreaper): %d\n", shm[1] == getpid() && getpid() != 1);

	int v = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("subreaper: %d\n", v);
	run(0);
	while (!shm[2])
		nap();
	printf("adopted by the subreaper: %d\n", shm[1] == getpid());
	int st;
	pid_t r = waitpid(shm[3], &st, 0);
	printf("subreaper reaps it: %d status=%d\n", r == shm[3], WEXITSTATUS(st));

	run(1);
	r = waitpid(shm[3], &st, 0);
	printf("pdeathsig: reaped=%d signaled=%d sig=%d\n", r == shm[3], WIFSIGNALED(st), WTERMSIG(st));
	int old = 0;
	prctl(PR_GET_PDEATHSIG, &old);
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	prctl(PR_GET_PDEATHSIG, &v);
	printf("PR_GET_PDEATHSIG after setting SIGUSR2: %d\n", v);
	prctl(PR_SET_PDEATHSIG, old);
	return 0;
}
