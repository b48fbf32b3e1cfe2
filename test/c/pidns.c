// pidns checks pid namespaces (pid_namespaces(7)): clone(CLONE_NEWPID) and
// unshare(CLONE_NEWPID) make the next child pid 1 of a new namespace, with no visible
// parent; the parent sees the child's pid in its own namespace; /proc (mounted outside)
// shows the outer pid and NSpid lists both; pids outside are not reachable from inside;
// a signal from outside arrives with si_pid 0; the namespace's init adopts orphans and
// ignores signals from inside it has no handler for; its death kills the namespace, after
// which fork into it fails with ENOMEM. A proc instance mounted by the namespace's init shows
// its namespace: /proc is not remounted, since the sandbox offers applications no mount
// namespace (unshare(CLONE_NEWNS) is EPERM there); instead a new instance is mounted on a
// fresh directory, natively inside a mount namespace of its own so that the host sees
// nothing of it, in the sandbox in its only one. Output is pid independent.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile int *shm;
static volatile sig_atomic_t got_sig, got_pid = -1;

static void on_sig(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	got_pid = si->si_pid;
	got_sig = sig;
}

static void nap(void) {
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

static void wait_for(volatile int *p) {
	while (!*p)
		nap();
}

// proc_self is /proc/self's target: the pid in the namespace of /proc's mounter.
static int proc_self(void) {
	char b[32];
	ssize_t n = readlink("/proc/self", b, sizeof b - 1);
	if (n < 0)
		return -1;
	b[n] = 0;
	return atoi(b);
}

// nspid returns the number of fields of the NSpid line of status (a /proc/self/status) and
// its first and last.
static int nspid_of(const char *status, int *first, int *last) {
	FILE *f = fopen(status, "r");
	char line[256];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		char *save, *tok = strtok_r(line + 6, " \t\n", &save);
		for (; tok; tok = strtok_r(NULL, " \t\n", &save)) {
			int v = atoi(tok);
			if (n++ == 0)
				*first = v;
			*last = v;
		}
	}
	fclose(f);
	return n;
}

static int nspid(int *first, int *last) { return nspid_of("/proc/self/status", first, last); }

// fresh_proc mounts a proc instance of the caller's (a namespace's init's) namespace.
static void fresh_proc(pid_t outer) {
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("making / private");
	char dir[] = "/tmp/pidns-proc-XXXXXX", p[96], b[32];
	if (!mkdtemp(dir))
		die("mkdtemp");
	if (mount("proc", dir, "proc", 0, NULL))
		die("mount proc");
	snprintf(p, sizeof p, "%s/self", dir);
	ssize_t n = readlink(p, b, sizeof b - 1);
	b[n > 0 ? n : 0] = 0;
	printf("init: new proc: self -> %s\n", b);
	int first = 0, last = 0;
	snprintf(p, sizeof p, "%s/self/status", dir);
	int fields = nspid_of(p, &first, &last);
	printf("init: new proc: NSpid fields %d, %d\n", fields, last);
	DIR *d = opendir(dir);
	if (!d)
		die("opendir");
	printf("init: new proc: pids:");
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
	snprintf(p, sizeof p, "%s/%d", dir, outer);
	printf("init: new proc: my outer pid: %s\n", res(access(p, F_OK)));
	if (umount(dir))
		die("umount");
	rmdir(dir);
}

static void *thread_fn(void *a) { return a; }

static long raw_clone(unsigned long flags) { return syscall(SYS_clone, flags, 0, 0, 0, 0); }

static void print_status(const char *what, int st) {
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status %#x\n", what, st);
}

// cloned is the clone(CLONE_NEWPID) scenario: a nested namespace inside a new one.
static void cloned(void) {
	errno = 0;
	long r = syscall(SYS_clone, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0, 0, 0, 0);
	printf("clone(CLONE_NEWPID|CLONE_THREAD): %s\n", res(r));

	shm[10] = 0;
	pid_t c = raw_clone(CLONE_NEWPID | SIGCHLD);
	if (c < 0)
		die("clone(CLONE_NEWPID)");
	if (c == 0) {
		printf("clone child: getpid %d getppid %d\n", getpid(), getppid());
		pid_t g = raw_clone(CLONE_NEWPID | SIGCHLD);
		if (g == 0) {
			int first = 0, last = 0, n = nspid(&first, &last);
			printf("nested child: getpid %d getppid %d NSpid fields %d last %d\n", getpid(), getppid(), n, last);
			_exit(3);
		}
		int st;
		waitpid(g, &st, 0);
		printf("clone child: nested child's pid %ld\n", (long)g);
		print_status("nested child", st);
		kill(1, SIGKILL); // init protection: its own SIGKILL from inside is ignored
		printf("clone child: survived kill(1, SIGKILL)\n");
		shm[10] = 1;
		for (;;)
			pause();
	}
	wait_for(&shm[10]);
	printf("parent: clone child's pid is not 1: %d\n", c != 1);
	kill(c, SIGKILL); // from outside: kills the namespace's init
	int st;
	waitpid(c, &st, 0);
	print_status("clone child", st);
}

// unprivileged checks that both ways need CAP_SYS_ADMIN.
static void unprivileged(void) {
	pid_t c = fork();
	if (c == 0) {
		if (setuid(65534))
			die("setuid");
		printf("unprivileged unshare(CLONE_NEWPID): %s\n", res(unshare(CLONE_NEWPID)));
		printf("unprivileged clone(CLONE_NEWPID): %s\n", res(raw_clone(CLONE_NEWPID | SIGCHLD)));
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

// ns_init runs as pid 1 of the namespace unshare made.
static int ns_init(void) {
	wait_for(&shm[0]);
	pid_t outer = shm[0];
	printf("init: getpid %d getppid %d gettid %ld\n", getpid(), getppid(), syscall(SYS_gettid));
	int first = 0, last = 0, n = nspid(&first, &last);
	printf("init: NSpid fields %d, first is my outer pid %d, last %d\n", n, first == outer, last);
	printf("init: /proc/self is my outer pid: %d\n", proc_self() == outer);
	printf("init: kill(outer pid, 0): %s\n", res(kill(outer, 0)));
	printf("init: getpgid(outer pid): %s\n", res(getpgid(outer)));
	printf("init: getpgid(0) %d getsid(0) %d (made outside)\n", getpgid(0), getsid(0));
	fresh_proc(outer);

	struct sigaction sa = {.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	shm[1] = 1;
	while (got_sig != SIGUSR1)
		nap();
	printf("init: SIGUSR1 from outside, si_pid %d\n", got_pid);

	kill(1, SIGKILL);
	printf("init: survived kill(1, SIGKILL)\n");

	// An orphan is adopted by init, whose default-action signals it sends are ignored.
	got_sig = 0;
	pid_t g1 = fork();
	if (g1 == 0) {
		pid_t g2 = fork();
		if (g2 == 0) {
			while (getppid() != 1)
				nap();
			shm[3] = getpid();
			printf("orphan: adopted, getppid %d\n", getppid());
			printf("orphan: kill(1, SIGTERM): %s\n", res(kill(1, SIGTERM)));
			kill(1, SIGUSR2);
			_exit(5);
		}
		_exit(0);
	}
	int st1, st;
	waitpid(g1, &st1, 0);
	pid_t r = waitpid(-1, &st, 0);
	printf("init: child's pid %d\n", g1);
	print_status("init: first child", st1);
	print_status("init: orphan", st);
	printf("init: reaped the orphan: %d\n", r == shm[3]);
	while (got_sig != SIGUSR2)
		nap();
	printf("init: SIGUSR2 from the orphan, si_pid is its pid: %d\n", got_pid == shm[3]);
	printf("init: getppid after all that %d\n", getppid());

	printf("init: setsid: %d\n", setsid());
	printf("init: getpgid(0) %d getsid(0) %d\n", getpgid(0), getsid(0));

	// A process left behind dies with init.
	pid_t g3 = fork();
	if (g3 == 0) {
		shm[2] = proc_self();
		for (;;)
			pause();
	}
	wait_for(&shm[2]);
	return 7;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap");

	cloned();
	unprivileged();

	pid_t me = getpid();
	printf("unshare(CLONE_NEWPID): %s\n", res(unshare(CLONE_NEWPID)));
	printf("getpid unchanged: %d\n", getpid() == me);
	printf("unshare(CLONE_NEWPID) again: %s\n", res(unshare(CLONE_NEWPID)));
	pthread_t th;
	printf("pthread_create: %s\n", strerrorname_np(pthread_create(&th, NULL, thread_fn, NULL)));
	printf("clone(CLONE_NEWPID) after unshare: %s\n", res(raw_clone(CLONE_NEWPID | SIGCHLD)));

	pid_t c = fork();
	if (c < 0)
		die("fork");
	if (c == 0)
		_exit(ns_init());
	shm[0] = c;
	printf("parent: child's pid is not 1: %d\n", c != 1);
	wait_for(&shm[1]);
	kill(c, SIGUSR1);

	siginfo_t si = {0};
	if (waitid(P_PID, c, &si, WEXITED))
		die("waitid");
	printf("parent: waitid si_pid is the child's pid %d, code %s, status %d\n", si.si_pid == c,
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
	printf("parent: the process init left behind: kill: %s\n", res(kill(shm[2], 0)));
	errno = 0;
	pid_t again = fork();
	if (again == 0)
		_exit(0);
	printf("parent: fork after the namespace's init died: %s\n", res(again));
	return 0;
}
