// prctl_rlimit checks the prctl(2) options programs use (PR_SET/GET_NAME, PDEATHSIG,
// CHILD_SUBREAPER, NO_NEW_PRIVS, DUMPABLE) and that resource limits are enforced:
// RLIMIT_NOFILE (EMFILE, EBADF, EINVAL), RLIMIT_NPROC (EAGAIN for fork and threads of a
// non-root user; root is exempt), RLIMIT_AS (ENOMEM from mmap, brk, mremap and malloc).
// RLIMIT_STACK (a program started with a 1 MiB limit dies of SIGSEGV using 2 MiB of stack;
// with 4 MiB it does not). RLIMIT_CORE is only stored. Output is pid independent.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "0"; }

static void *nothing(void *a) { return a; }

// inChild runs f in a child and prints what it printed; the child's changes stay there.
static void inChild(void (*f)(void)) {
	pid_t c = fork();
	if (c == 0) {
		f();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child failed: %#x\n", st);
}

static void nofile(void) {
	struct rlimit rl = {16, 16};
	printf("setrlimit NOFILE 16: %s\n", err(setrlimit(RLIMIT_NOFILE, &rl)));
	int last = -1, r;
	while ((r = open("/dev/null", O_RDONLY)) >= 0)
		last = r;
	printf("open until it fails: %s, last fd %d\n", err(r), last);
	printf("dup2 to 16: %s\n", err(dup2(0, 16)));
	printf("F_DUPFD 16: %s\n", err(fcntl(0, F_DUPFD, 16)));
	close(last);
	printf("dup after a close: %ld\n", (long)dup(0));
	rl.rlim_max = 32;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void nproc(void) {
	// Root is exempt.
	struct rlimit rl = {1, 1};
	setrlimit(RLIMIT_NPROC, &rl);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	printf("root forks past RLIMIT_NPROC: %d\n", c > 0);
	waitpid(c, NULL, 0);
	// An ordinary user is not.
	if (setgid(65534) != 0 || setuid(65534) != 0) {
		printf("setuid: %s\n", strerror(errno));
		return;
	}
	c = fork();
	if (c == 0)
		_exit(0);
	printf("nobody forks past RLIMIT_NPROC 1: %s\n", err(c));
	if (c > 0)
		waitpid(c, NULL, 0);
	pthread_t th;
	int e = pthread_create(&th, NULL, nothing, NULL);
	printf("nobody's pthread_create: %s\n", e ? strerrorname_np(e) : "0");
	if (e == 0)
		pthread_join(th, NULL);
}

static void as(void) {
	struct rlimit rl = {256 << 20, 256 << 20};
	printf("setrlimit AS 256 MiB: %s\n", err(setrlimit(RLIMIT_AS, &rl)));
	void *p = mmap(NULL, 512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 512 MiB: %s\n", err(p == MAP_FAILED ? -1 : 0));
	p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 16 MiB: %s\n", err(p == MAP_FAILED ? -1 : 0));
	void *q = mremap(p, 16 << 20, 400 << 20, MREMAP_MAYMOVE);
	printf("mremap to 400 MiB: %s\n", err(q == MAP_FAILED ? -1 : 0));
	void *b = sbrk(0);
	void *b2 = sbrk(300 << 20);
	printf("sbrk 300 MiB: %s, break unchanged %d\n", err(b2 == (void *)-1 ? -1 : 0), sbrk(0) == b);
	printf("malloc 300 MiB: %s\n", malloc(300 << 20) ? "ok" : "NULL");
}

// deep uses about n KiB of stack.
static int deep(int n) {
	volatile char buf[1024];
	buf[0] = (char)n;
	if (n <= 1)
		return buf[0];
	return deep(n - 1) + buf[0];
}

static void stack(const char *self) {
	for (int mib = 1; mib <= 4; mib *= 4) {
		pid_t c = fork();
		if (c == 0) {
			struct rlimit rl;
			getrlimit(RLIMIT_STACK, &rl);
			rl.rlim_cur = (rlim_t)mib << 20;
			setrlimit(RLIMIT_STACK, &rl);
			execl(self, self, "deep", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(c, &st, 0);
		printf("2 MiB of stack with RLIMIT_STACK %d MiB: %s\n", mib,
		       WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : WEXITSTATUS(st) == 0 ? "fine" : "exit code");
	}
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "deep") == 0)
		return deep(2048) == 0 ? 1 : 0;
	if (argc > 1 && strcmp(argv[1], "dumpable") == 0)
		return prctl(PR_GET_DUMPABLE);
	setvbuf(stdout, NULL, _IONBF, 0);
	char name[32] = {0};
	printf("PR_SET_NAME: %s\n", err(prctl(PR_SET_NAME, "a-very-long-thread-name")));
	prctl(PR_GET_NAME, name);
	printf("PR_GET_NAME: %s\n", name);

	int v = -1;
	printf("PR_SET_PDEATHSIG 65: %s\n", err(prctl(PR_SET_PDEATHSIG, 65)));
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	prctl(PR_GET_PDEATHSIG, &v);
	printf("PR_GET_PDEATHSIG: %d\n", v);
	prctl(PR_SET_PDEATHSIG, 0);

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("PR_GET_CHILD_SUBREAPER: %d\n", v);
	prctl(PR_SET_CHILD_SUBREAPER, 0);

	printf("PR_GET_NO_NEW_PRIVS: %ld\n", (long)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("PR_GET_NO_NEW_PRIVS with an argument: %s\n", err(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0)));
	printf("PR_SET_NO_NEW_PRIVS 0: %s\n", err(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0)));
	printf("PR_SET_NO_NEW_PRIVS 1, 1: %s\n", err(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0)));
	printf("PR_SET_NO_NEW_PRIVS 1: %s\n", err(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));
	printf("PR_GET_NO_NEW_PRIVS: %ld\n", (long)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	pid_t c = fork();
	if (c == 0)
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	int st;
	waitpid(c, &st, 0);
	printf("a child inherits NO_NEW_PRIVS: %d\n", WEXITSTATUS(st));

	printf("PR_GET_DUMPABLE: %ld\n", (long)prctl(PR_GET_DUMPABLE));
	printf("PR_SET_DUMPABLE 2: %s\n", err(prctl(PR_SET_DUMPABLE, 2)));
	printf("PR_SET_DUMPABLE 0: %s\n", err(prctl(PR_SET_DUMPABLE, 0)));
	printf("PR_GET_DUMPABLE: %ld\n", (long)prctl(PR_GET_DUMPABLE));
	c = fork();
	if (c == 0) {
		execl(argv[0], argv[0], "dumpable", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	printf("execve makes the process dumpable again: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 1);
	prctl(PR_SET_DUMPABLE, 1);
	printf("PR_GET_DUMPABLE: %ld\n", (long)prctl(PR_GET_DUMPABLE));

	inChild(nofile);
	inChild(nproc);
	inChild(as);
	stack(argv[0]);

	// RLIMIT_CORE is stored (the hard limit is whatever the caller had: the test harness
	// lowers it to 0).
	struct rlimit rl, now;
	getrlimit(RLIMIT_CORE, &rl);
	rlim_t max = rl.rlim_max;
	rl.rlim_cur = 0;
	printf("setrlimit CORE 0: %s\n", err(setrlimit(RLIMIT_CORE, &rl)));
	rl.rlim_cur = max;
	printf("setrlimit CORE to its max: %s\n", err(setrlimit(RLIMIT_CORE, &rl)));
	getrlimit(RLIMIT_CORE, &now);
	printf("getrlimit CORE: %d\n", now.rlim_cur == max && now.rlim_max == max);
	return 0;
}
