// common.h: helpers shared by the test programs (#include "common.h" after the system
// headers): errno names for results, failing loudly, paths in a work directory, printing
// a file, and touching memory that may fault.
#ifndef STOCKADE_TEST_COMMON_H
#define STOCKADE_TEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG 4096

// res names a syscall's result: "ok", or errno's name.
static inline const char *res(long r) { return r >= 0 ? "ok" : strerrorname_np(errno); }

// die reports a failed step with errno and exits 1.
static inline void die(const char *what) {
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

// print_ids prints the real, effective and saved uids and gids after what.
static inline void print_ids(const char *what) {
	uid_t r, e, s;
	gid_t rg, eg, sg;
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("%s: uids %d %d %d gids %d %d %d\n", what, r, e, s, rg, eg, sg);
}

// path_in returns dir/name in one of 8 static buffers used in turn, so that one call
// (a rename, a mount) can take several paths.
static inline const char *path_in(const char *dir, const char *name) {
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

// show_file prints what and the start of the file at path (up to 256 bytes, quoted), or
// the errno's name if it cannot be opened.
static inline void show_file(const char *what, const char *path) {
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	printf("%s: \"%.*s\"\n", what, n > 0 ? (int)n : 0, buf);
	close(fd);
}

static sigjmp_buf common_fault_jb __attribute__((unused));
static volatile sig_atomic_t common_fault_sig __attribute__((unused));

static inline void common_on_fault(int sig) {
	common_fault_sig = sig;
	siglongjmp(common_fault_jb, 1);
}

// catch_faults makes SIGBUS and SIGSEGV return to touch instead of killing the process.
static inline void catch_faults(void) {
	struct sigaction sa = {0};
	sa.sa_handler = common_on_fault;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

// touch reads (or writes) *p and returns the signal it raised, 0 if none (after
// catch_faults).
static inline int touch(volatile char *p, int write) {
	common_fault_sig = 0;
	if (sigsetjmp(common_fault_jb, 1) == 0) {
		if (write)
			*p = 'w';
		else
			(void)*p;
	}
	return common_fault_sig;
}

// wait_state waits (up to 10 s) until the task whose stat file is /proc/self/task/TID/stat
// (or /proc/PID/stat for a process: thread 0 means pid is a process) is in state (a letter
// of /proc/PID/stat: S blocked, Z a zombie). Returns 0 once it is, -1 if it never was.
static inline int wait_state(pid_t pid, pid_t tid, char state) {
	char path[64], buf[256];
	if (tid)
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	else
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 10000; i++) {
		int fd = open(path, O_RDONLY);
		if (fd >= 0) {
			ssize_t n = read(fd, buf, sizeof buf - 1);
			close(fd);
			buf[n > 0 ? n : 0] = 0;
			char *e = strrchr(buf, ')');
			if (e && e[1] == ' ' && e[2] == state)
				return 0;
		}
		usleep(1000);
	}
	return -1;
}

// wait_sleeping waits until a task is blocked (state S, see wait_state): a fixed sleep
// before acting on a waiter that must already be waiting is outrun on a loaded machine.
static inline int wait_sleeping(pid_t pid, pid_t tid) { return wait_state(pid, tid, 'S'); }

#endif
