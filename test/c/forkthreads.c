// forkthreads forks from a multithreaded process, from the main thread and from another
// thread: the child has only the forking thread, can use malloc and stdio, and the
// parent's threads keep running.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;
static long counter;

static void *spin(void *arg) {
	while (!stop) {
		pthread_mutex_lock(&mu);
		counter++;
		void *p = malloc(64);
		free(p);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static int child_work(void) {
	char *p = malloc(1 << 20);
	memset(p, 1, 1 << 20);
	free(p);
	char buf[32];
	snprintf(buf, sizeof buf, "%d", 17);
	return atoi(buf);
}

static void *forker(void *arg) {
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_work() + 1);
	int st;
	waitpid(pid, &st, 0);
	return (void *)(long)WEXITSTATUS(st);
}

int main(void) {
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, spin, NULL);
	int ok = 0;
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(child_work());
		int st;
		waitpid(pid, &st, 0);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 17;
	}
	pthread_t f;
	void *ret;
	pthread_create(&f, NULL, forker, NULL);
	pthread_join(f, &ret);
	stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("forks from main thread ok: %d/20\n", ok);
	printf("fork from another thread: %ld\n", (long)ret);
	printf("threads kept running: %d\n", counter > 0);
	return 0;
}
