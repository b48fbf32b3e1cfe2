// futex_robust exercises robust futex lists: glibc robust mutexes (PTHREAD_MUTEX_ROBUST)
// abandoned by a thread that exits (with and without a waiter blocked on them), by a child
// process that dies holding a process-shared one in MAP_SHARED memory (exit and SIGKILL),
// and by a process that execs; EOWNERDEAD, pthread_mutex_consistent, ENOTRECOVERABLE; the
// words the kernel leaves. Then hand-built robust lists in a child: owned and foreign words,
// the PI bit, a negative futex_offset, list_op_pending (owner 0: a waiter is woken), a bad
// pointer that ends the walk, a misaligned word, a circular list (bounded walk). Finally
// set_robust_list/get_robust_list errors.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
static const char *ename(int e) { return e ? strerrorname_np(e) : "0"; }

static void msleep(int ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static unsigned lockword(pthread_mutex_t *m) { return *(volatile unsigned *)m; }

// flags describes a futex word without its TID, which differs between runs.
static void flags(const char *what, unsigned w) {
	printf("%s: waiters=%d owner_died=%d tid=%s\n", what, !!(w & FUTEX_WAITERS),
	       !!(w & FUTEX_OWNER_DIED), (w & FUTEX_TID_MASK) ? "set" : "0");
}

static void init_robust(pthread_mutex_t *m, int pshared, int pi) {
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (pi)
		pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

static pthread_mutex_t tm;
static int hold_ms;

static void *lock_and_exit(void *arg) {
	(void)arg;
	printf("thread lock: %s\n", ename(pthread_mutex_lock(&tm)));
	fflush(stdout);
	if (hold_ms)
		msleep(hold_ms);
	return NULL; // exits holding tm
}

static void thread_death(int pi) {
	printf("-- thread death%s\n", pi ? " (PI)" : "");
	init_robust(&tm, 0, pi);
	pthread_t th;
	hold_ms = 0;
	pthread_create(&th, NULL, lock_and_exit, NULL);
	pthread_join(th, NULL);
	flags("word after exit", lockword(&tm));
	printf("lock: %s\n", ename(pthread_mutex_lock(&tm)));
	printf("consistent: %s\n", ename(pthread_mutex_consistent(&tm)));
	printf("unlock: %s\n", ename(pthread_mutex_unlock(&tm)));
	printf("relock: %s\n", ename(pthread_mutex_lock(&tm)));
	printf("unlock: %s\n", ename(pthread_mutex_unlock(&tm)));

	// A waiter blocked while the owner dies is woken with EOWNERDEAD.
	hold_ms = 200;
	pthread_create(&th, NULL, lock_and_exit, NULL);
	while (lockword(&tm) == 0)
		msleep(1);
	printf("blocked lock: %s\n", ename(pthread_mutex_lock(&tm)));
	pthread_join(th, NULL);
	// Not made consistent: unlocking makes it unrecoverable.
	printf("unlock: %s\n", ename(pthread_mutex_unlock(&tm)));
	printf("lock: %s\n", ename(pthread_mutex_lock(&tm)));
	printf("trylock: %s\n", ename(pthread_mutex_trylock(&tm)));
}

struct shared {
	pthread_mutex_t m;
	volatile int ready;
};

static void process_death(int pi, int how) {
	static const char *hows[] = {"_exit", "SIGKILL", "execve"};
	printf("-- process death by %s%s\n", hows[how], pi ? " (PI)" : "");
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	init_robust(&s->m, 1, pi);
	int go[2];
	pipe(go);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		pthread_mutex_lock(&s->m);
		s->ready = 1;
		if (how == 2) {
			// The robust list is walked at execve: the lock is abandoned while the
			// process lives on, waiting for the parent to close the pipe.
			char fd[16];
			snprintf(fd, sizeof fd, "%d", go[0]);
			execl("/proc/self/exe", "futex_robust", "wait", fd, (char *)NULL);
			_exit(99);
		}
		char c;
		read(go[0], &c, 1);
		if (how == 1)
			for (;;)
				pause();
		_exit(0);
	}
	close(go[0]);
	while (!s->ready)
		msleep(1);
	if (how == 2) {
		printf("lock (child alive, execed): %s\n", ename(pthread_mutex_lock(&s->m)));
	} else {
		// Let the child die while we wait for the lock.
		if (how == 1) {
			msleep(100);
			kill(pid, SIGKILL);
		}
		close(go[1]);
		printf("lock: %s\n", ename(pthread_mutex_lock(&s->m)));
	}
	unsigned w = lockword(&s->m);
	printf("word: owner_died=%d tid=%s\n", !!(w & FUTEX_OWNER_DIED), (w & FUTEX_TID_MASK) ? "set" : "0");
	printf("consistent: %s\n", ename(pthread_mutex_consistent(&s->m)));
	printf("unlock: %s\n", ename(pthread_mutex_unlock(&s->m)));
	if (how == 2)
		close(go[1]);
	int st;
	waitpid(pid, &st, 0);
	printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	munmap(s, 4096);
}

// A hand-built robust list in shared memory, walked when the child that registers it exits.
struct entry {
	struct entry *next;
	unsigned word; // at offset 8: futex_offset = 8
};

struct arena {
	struct robust_list_head head;
	struct entry e[8];
	unsigned pending_word;
	volatile int stage;
};

static long sys_futex(void *addr, int op, unsigned val, const struct timespec *ts) {
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static struct arena *ar;

static int pending_res, owned_res;

static volatile pid_t pending_tid, owned_tid;

static void *pending_waiter(void *arg) {
	(void)arg;
	pending_tid = gettid();
	struct timespec ts = {5, 0};
	pending_res = sys_futex(&ar->pending_word, FUTEX_WAIT, 0, &ts) < 0 ? errno : 0;
	return NULL;
}

static void *owned_waiter(void *arg) {
	(void)arg;
	owned_tid = gettid();
	unsigned v = ar->e[0].word;
	struct timespec ts = {5, 0};
	owned_res = sys_futex(&ar->e[0].word, FUTEX_WAIT, v, &ts) < 0 ? errno : 0;
	return NULL;
}

static void run_list(const char *what, void (*build)(struct arena *, unsigned tid), int waiters) {
	printf("-- list: %s\n", what);
	memset(ar, 0, sizeof *ar);
	int go[2];
	pipe(go);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		unsigned tid = gettid();
		build(ar, tid);
		if (syscall(SYS_set_robust_list, &ar->head, sizeof ar->head) < 0)
			_exit(1);
		ar->stage = 1;
		char c;
		read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	while (!ar->stage)
		msleep(1);
	pthread_t w1, w2;
	if (waiters) {
		pending_tid = owned_tid = 0;
		pthread_create(&w1, NULL, pending_waiter, NULL);
		pthread_create(&w2, NULL, owned_waiter, NULL);
		// Both must be waiting before the owner dies.
		while (!pending_tid || !owned_tid)
			msleep(1);
		wait_sleeping(0, pending_tid);
		wait_sleeping(0, owned_tid);
	}
	close(go[1]);
	waitpid(pid, NULL, 0);
	if (waiters) {
		pthread_join(w1, NULL);
		pthread_join(w2, NULL);
	}
	if (waiters)
		printf("pending waiter: %s, owned waiter: %s\n", ename(pending_res), ename(owned_res));
	for (int i = 0; i < 8; i++) {
		char what[8];
		snprintf(what, sizeof what, "e%d", i);
		if (ar->e[i].word == 0xdead)
			printf("%s: untouched\n", what);
		else if (ar->e[i].word)
			flags(what, ar->e[i].word);
	}
	if (ar->pending_word)
		flags("pending", ar->pending_word);
}

// chain links e[0..n) into a list ending at the head.
static void chain(struct arena *a, int n) {
	a->head.list.next = n ? (struct robust_list *)&a->e[0] : &a->head.list;
	for (int i = 0; i < n; i++)
		a->e[i].next = i + 1 < n ? &a->e[i + 1] : (struct entry *)&a->head.list;
	a->head.futex_offset = 8;
}

static void build_basic(struct arena *a, unsigned tid) {
	chain(a, 4);
	a->e[0].word = tid | FUTEX_WAITERS; // owned, with a waiter: woken
	a->e[1].word = 0xdead;              // someone else's
	a->e[2].word = tid;                 // owned
	a->e[3].word = tid | FUTEX_WAITERS; // owned, PI entry: no wake, bits kept
	a->e[2].next = (struct entry *)((uintptr_t)&a->e[3] | 1);
	// list_op_pending: a non-PI word released (owner 0) before the wake.
	a->head.list_op_pending = (struct robust_list *)((char *)&a->pending_word - 8);
}

static void build_bad_pointer(struct arena *a, unsigned tid) {
	chain(a, 3);
	a->e[0].word = tid;
	a->e[1].word = tid; // its next is bad: handled, then the walk ends
	a->e[1].next = (struct entry *)8;
	a->e[2].word = tid; // unreachable
	a->pending_word = tid; // not reached either: the walk stopped
	a->head.list_op_pending = (struct robust_list *)((char *)&a->pending_word - 8);
}

static void build_misaligned(struct arena *a, unsigned tid) {
	chain(a, 2);
	a->e[0].word = tid;
	a->e[1].word = tid;
	a->head.futex_offset = 9; // misaligned: the walk ends at the first entry
	a->pending_word = tid;    // not reached
	a->head.list_op_pending = (struct robust_list *)((char *)&a->pending_word - 8);
}

static void build_circular(struct arena *a, unsigned tid) {
	chain(a, 2);
	a->e[0].word = tid;
	a->e[1].word = tid;
	a->e[1].next = &a->e[0]; // never back to the head
}

static void build_negative(struct arena *a, unsigned tid) {
	// The entry is e[7], its word e[0].word: a negative futex_offset.
	a->head.list.next = (struct robust_list *)&a->e[7];
	a->e[7].next = (struct entry *)&a->head.list;
	a->head.futex_offset = (char *)&a->e[0].word - (char *)&a->e[7];
	a->e[0].word = tid;
}

static void robust_syscalls(void) {
	printf("-- syscalls\n");
	struct robust_list_head *head;
	size_t len;
	printf("get self: %s\n", en(syscall(SYS_get_robust_list, 0, &head, &len)));
	printf("len: %zu\n", len);
	printf("set len 0: %s\n", en(syscall(SYS_set_robust_list, head, 0)));
	printf("set len 25: %s\n", en(syscall(SYS_set_robust_list, head, 25)));
	printf("get bad head ptr: %s\n", en(syscall(SYS_get_robust_list, 0, (void *)8, &len)));
	printf("get bad len ptr: %s\n", en(syscall(SYS_get_robust_list, 0, &head, (void *)8)));
	printf("get no such pid: %s\n", en(syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len)));
	struct robust_list_head *h2;
	printf("get own tid: %s\n", en(syscall(SYS_get_robust_list, gettid(), &h2, &len)));
	printf("same head: %d\n", h2 == head);
	// A null head is accepted (nothing to walk).
	printf("set null: %s\n", en(syscall(SYS_set_robust_list, NULL, sizeof *head)));
	printf("get: %s\n", en(syscall(SYS_get_robust_list, 0, &h2, &len)));
	printf("null head: %d\n", h2 == NULL);
	printf("restore: %s\n", en(syscall(SYS_set_robust_list, head, sizeof *head)));
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "wait") == 0) {
		char c;
		read(atoi(argv[2]), &c, 1);
		return 0;
	}
	thread_death(0);
	thread_death(1);
	for (int how = 0; how < 3; how++)
		process_death(0, how);
	process_death(1, 0);
	process_death(1, 1);
	ar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	run_list("owned, foreign, PI, pending", build_basic, 1);
	run_list("bad next pointer", build_bad_pointer, 0);
	run_list("misaligned offset", build_misaligned, 0);
	run_list("circular", build_circular, 0);
	run_list("negative offset", build_negative, 0);
	robust_syscalls();
	return 0;
}
