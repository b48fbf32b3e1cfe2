// priority: nice values and scheduling policy queries: getpriority/setpriority for a
// thread and a process group (for a user only ESRCH: the host has other processes),
// inheritance by fork and threads (nice is per thread), clamping, /proc/self/stat's
// priority and nice fields, the permission rules (CAP_SYS_NICE, RLIMIT_NICE: EACCES;
// another uid: EPERM), and sched_getscheduler/getparam/get_priority_{min,max}. Values are
// printed relative to the starting nice value, in case the test itself runs niced.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "caps.h"

static int base;

// nice_ is getpriority(PRIO_PROCESS, who) less the starting value.
static int nice_(int who) {
	errno = 0;
	int n = getpriority(PRIO_PROCESS, who);
	return errno ? 1000 + errno : n - base;
}

// statNice returns /proc/self/task/<tid>/stat's priority (field 18) and nice (19).
static void statNice(int *prio, int *nice) {
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)gettid());
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	*prio = *nice = -1000;
	if (p)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %d %d", prio, nice);
}

// setp calls setpriority and prints the result and the caller's nice value after it.
static void setp(const char *what, int which, int who, int val) {
	int r = setpriority(which, who, val);
	const char *e = r < 0 ? strerrorname_np(errno) : "ok";
	printf("%s: %s -> %d\n", what, e, nice_(0));
}

// getp prints getpriority's value (relative to the starting value if rel) or its error.
static void getp(const char *what, int which, int who, int rel) {
	errno = 0;
	int n = getpriority(which, who);
	int e = errno;
	if (e)
		printf("%s: %s\n", what, strerrorname_np(e));
	else
		printf("%s: %d\n", what, rel ? n - base : n);
}

static void *thread(void *arg) {
	(void)arg;
	printf("thread inherits: %d\n", nice_(0));
	setp("thread sets its own", PRIO_PROCESS, 0, base + 5);
	return NULL;
}

static void values(void) {
	setp("set +3", PRIO_PROCESS, 0, base + 3);
	int prio, nice;
	statNice(&prio, &nice);
	printf("stat nice, prio-20: %d %d\n", nice - base, prio - 20 - base);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("child inherits: %d\n", nice_(0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	pthread_t th;
	pthread_create(&th, NULL, thread, NULL);
	pthread_join(th, NULL);
	printf("main thread keeps: %d\n", nice_(0));
	getp("by pid", PRIO_PROCESS, getpid(), 1);
	setpgid(0, 0);
	getp("pgrp", PRIO_PGRP, 0, 1);
	setp("set pgrp +4", PRIO_PGRP, 0, base + 4);
	setp("set pgrp by id +6", PRIO_PGRP, getpgrp(), base + 6);
	// Clamping, in absolute values.
	printf("set 100: %s\n", res(setpriority(PRIO_PROCESS, 0, 100)));
	getp("after 100", PRIO_PROCESS, 0, 0);
	printf("set -100: %s\n", res(setpriority(PRIO_PROCESS, 0, -100)));
	getp("after -100", PRIO_PROCESS, 0, 0);
	setpriority(PRIO_PROCESS, 0, base);
	// Errors.
	getp("which 7", 7, 0, 0);
	setp("set which 7", 7, 0, 0);
	getp("no such pid", PRIO_PROCESS, 0x3ffffff0, 0);
	setp("set no such pid", PRIO_PROCESS, 0x3ffffff0, 0);
	getp("no such user", PRIO_USER, 54321, 0);
	getp("no such pgrp", PRIO_PGRP, 0x3ffffff0, 0);
	setp("set no such pgrp", PRIO_PGRP, 0x3ffffff0, 0);
}

static void unprivileged(void) {
	// RLIMIT_NICE's soft limit 0: no lowering without CAP_SYS_NICE.
	struct rlimit rl;
	getrlimit(RLIMIT_NICE, &rl);
	rl.rlim_cur = 0;
	printf("RLIMIT_NICE soft 0: %s\n", res(setrlimit(RLIMIT_NICE, &rl)));
	printf("drop CAP_SYS_NICE: %s\n", res(drop(BIT(CAP_SYS_NICE))));
	setp("raise to +5", PRIO_PROCESS, 0, base + 5);
	setp("lower to +2", PRIO_PROCESS, 0, base + 2);
	setp("same +5", PRIO_PROCESS, 0, base + 5);
	setp("raise to +6", PRIO_PROCESS, 0, base + 6);
	// Another uid's task: EPERM (the parent runs as root).
	pid_t parent = getppid();
	printf("setresuid 1000: %s\n", res(setresuid(1000, 1000, 1000)));
	getp("read root's", PRIO_PROCESS, parent, 1);
	setp("set root's", PRIO_PROCESS, parent, base + 1);
	setp("set own", PRIO_PROCESS, 0, base + 7);
}

static void policy(void) {
	struct sched_param sp = {.sched_priority = 42};
	printf("getscheduler: %d\n", sched_getscheduler(0));
	printf("getscheduler(pid): %d\n", sched_getscheduler(getpid()));
	int g = sched_getparam(0, &sp);
	printf("getparam: %s %d\n", res(g), sp.sched_priority);
	long gn = syscall(SYS_sched_getparam, 0, NULL);
	printf("getparam(NULL): %s\n", res(gn));
	int r = sched_getscheduler(-1);
	printf("getscheduler(-1): %s\n", res(r));
	r = sched_getscheduler(0x3ffffff0);
	printf("getscheduler(no such pid): %s\n", res(r));
	int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 6, 42};
	for (unsigned i = 0; i < sizeof pols / sizeof pols[0]; i++) {
		int lo = sched_get_priority_min(pols[i]);
		const char *loe = lo < 0 ? strerrorname_np(errno) : "ok";
		int hi = sched_get_priority_max(pols[i]);
		const char *hie = hi < 0 ? strerrorname_np(errno) : "ok";
		printf("policy %d: min %d %s max %d %s\n", pols[i], lo, loe, hi, hie);
	}
}

int main(void) {
	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	const char *e = errno ? strerrorname_np(errno) : "ok";
	printf("base: %s in range %d\n", e, base >= -20 && base <= 19);
	if (base > 10)
		base = 10; // room for +7 (the values past 19 are clamped natively and sandboxed alike)
	run("values", values);
	run("unprivileged", unprivileged);
	run("policy", policy);
	return 0;
}
