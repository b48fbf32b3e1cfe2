// churn keeps the platform busy making host processes: it prints "ready", then forever
// starts threads that exit at once and forks children that exit at once, so that new stub
// processes (address spaces) and stub threads are being cloned at any moment. A test kills
// the runsc running it at a random moment and checks that nothing of the sandbox outlives
// it (test/e2e TestKilledSandboxLeavesNoProcess). It never ends by itself.
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nothing(void *arg) { return arg; }

int main(void) {
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, nothing, NULL);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}
