// futex_pi exercises priority-inheritance futexes through raw syscalls and glibc: the word
// protocol (owner TID, FUTEX_WAITERS, handoff to the blocked waiter on FUTEX_UNLOCK_PI,
// FUTEX_OWNER_DIED when an owner exits holding it), every error (EPERM, EDEADLK, ESRCH,
// EINVAL for misaligned words, for words that disagree with the kernel's owner and for
// mixing with FUTEX_WAIT, EAGAIN from TRYLOCK_PI, ETIMEDOUT with LOCK_PI's CLOCK_REALTIME and
// LOCK_PI2's selectable clock, ENOSYS for LOCK_PI with FUTEX_CLOCK_REALTIME, EFAULT), a
// signal during LOCK_PI (restarted, not EINTR); FUTEX_WAKE with a count of 0;
// FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (lock taken for the first waiter, waiters
// moved onto a held lock and handed it in turn, timeouts, mixing errors); then
// PTHREAD_PRIO_INHERIT mutexes under contention between threads and between processes,
// timedlock, clocklock and trylock.
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

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
static const char *ename(int e) { return e ? strerrorname_np(e) : "0"; }

static long fx(volatile unsigned *addr, int op, unsigned val, const struct timespec *ts,
               volatile unsigned *addr2, unsigned val3) {
	return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static void msleep(int ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static volatile unsigned word;
static unsigned main_tid;

// show prints the word relative to the known TIDs.
static void show(const char *what, unsigned w, unsigned a, unsigned b) {
	unsigned tid = w & FUTEX_TID_MASK;
	printf("%s: %s%s%s\n", what,
	       tid == 0 ? "0" : tid == main_tid ? "main" : tid == a ? "A" : tid == b ? "B" : "other",
	       w & FUTEX_WAITERS ? "|WAITERS" : "", w & FUTEX_OWNER_DIED ? "|OWNER_DIED" : "");
}

static struct timespec abs_in(clockid_t c, int ms) {
	struct timespec ts;
	clock_gettime(c, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static void errors(void) {
	printf("-- errors\n");
	word = 0;
	printf("unlock free: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	printf("lock: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);
	printf("lock again: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("trylock own: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	printf("lock_pi2 own: %s\n", en(fx(&word, FUTEX_LOCK_PI2, 0, NULL, NULL, 0)));
	printf("unlock: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);
	printf("trylock free: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0)));
	printf("unlock private: %s\n", en(fx(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0)));

	// A word naming a task that does not exist (a reaped child).
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	word = pid;
	printf("lock dead owner: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("word has WAITERS: %d\n", !!(word & FUTEX_WAITERS));
	word = pid;
	printf("trylock dead owner: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	printf("unlock not owner: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	// OWNER_DIED with no TID: free for the taking, the bit kept.
	word = FUTEX_OWNER_DIED;
	printf("lock owner-died: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);
	printf("unlock: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);
	// A stale FUTEX_WAITERS with no owner: the unlock clears everything.
	word = FUTEX_WAITERS;
	printf("lock waiters-only: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);
	word |= FUTEX_WAITERS;
	printf("unlock with stale WAITERS: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, 0, 0);

	static unsigned arr[2];
	volatile unsigned *mis = (volatile unsigned *)((char *)arr + 1);
	printf("lock misaligned: %s\n", en(fx(mis, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("trylock misaligned: %s\n", en(fx(mis, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	printf("unlock misaligned not owner: %s\n", en(fx(mis, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	printf("lock null: %s\n", en(fx(NULL, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("trylock null: %s\n", en(fx(NULL, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	printf("unlock null: %s\n", en(fx(NULL, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	word = 0;
	printf("lock realtime flag: %s\n", en(fx(&word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
	printf("trylock realtime flag: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
	printf("unlock realtime flag: %s\n", en(fx(&word, FUTEX_UNLOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
	struct timespec bad = {0, 1000000000L};
	printf("lock bad timeout: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, &bad, NULL, 0)));
	printf("lock_pi2 bad timeout: %s\n", en(fx(&word, FUTEX_LOCK_PI2, 0, &bad, NULL, 0)));
	printf("lock timeout fault: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, (void *)8, NULL, 0)));
	// TRYLOCK_PI has no timeout: the pointer is not read.
	printf("trylock ignores timeout: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI, 0, (void *)8, NULL, 0)));
	printf("unlock: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	// A read-only word.
	unsigned *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("lock read-only: %s\n", en(fx(ro, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("unlock read-only not owner: %s\n", en(fx(ro, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	munmap(ro, 4096);
}

// Thread A and B play the owner and the waiter.
static volatile unsigned tid_a, tid_b;
static volatile int a_cmd, a_done, b_res = -1, b_started;
static volatile int sigs;

static void on_usr1(int s) {
	(void)s;
	sigs++;
}

enum { CMD_NONE, CMD_LOCK, CMD_UNLOCK, CMD_EXIT };

static void *thread_a(void *arg) {
	(void)arg;
	tid_a = gettid();
	for (;;) {
		int c;
		while ((c = a_cmd) == CMD_NONE)
			msleep(1);
		a_cmd = CMD_NONE;
		if (c == CMD_LOCK)
			fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
		else if (c == CMD_UNLOCK)
			fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
		else
			return NULL; // exit, perhaps holding the lock
		a_done++;
	}
}

static void a_do(int c) {
	int d = a_done;
	a_cmd = c;
	if (c != CMD_EXIT)
		while (a_done == d)
			msleep(1);
}

static int b_op;
static struct timespec b_ts;

static void *thread_b(void *arg) {
	(void)arg;
	tid_b = gettid();
	b_started = 1;
	long r = fx(&word, b_op, 0, b_ts.tv_sec ? &b_ts : NULL, NULL, 0);
	b_res = r < 0 ? errno : 0;
	return NULL;
}

static pthread_t start_b(int op) {
	pthread_t th;
	b_res = -1;
	b_started = 0;
	b_op = op;
	pthread_create(&th, NULL, thread_b, NULL);
	// B sets FUTEX_WAITERS on its way to sleep; wait until it sleeps.
	while (!b_started || !(word & FUTEX_WAITERS))
		msleep(1);
	wait_sleeping(0, tid_b);
	return th;
}

static void contention(void) {
	printf("-- handoff\n");
	pthread_t a;
	word = 0;
	a_cmd = CMD_NONE;
	pthread_create(&a, NULL, thread_a, NULL);
	a_do(CMD_LOCK);
	show("A locked", word, tid_a, tid_b);
	printf("unlock by main: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	printf("trylock by main: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	show("after trylock", word, tid_a, tid_b);

	// Timeouts: LOCK_PI on CLOCK_REALTIME, LOCK_PI2 on CLOCK_MONOTONIC or CLOCK_REALTIME.
	struct timespec ts = abs_in(CLOCK_REALTIME, 50);
	printf("lock_pi timeout: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, &ts, NULL, 0)));
	ts = abs_in(CLOCK_MONOTONIC, 50);
	printf("lock_pi2 monotonic timeout: %s\n", en(fx(&word, FUTEX_LOCK_PI2, 0, &ts, NULL, 0)));
	ts = abs_in(CLOCK_REALTIME, 50);
	printf("lock_pi2 realtime timeout: %s\n",
	       en(fx(&word, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, &ts, NULL, 0)));
	ts = abs_in(CLOCK_REALTIME, -2000);
	printf("lock_pi past deadline: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, &ts, NULL, 0)));
	show("after timeouts", word, tid_a, tid_b);

	// B blocks; A's unlock hands the lock to B.
	pthread_t b = start_b(FUTEX_LOCK_PI);
	show("B waiting", word, tid_a, tid_b);
	// The kernel's owner is A: mixing in FUTEX_WAKE or REQUEUE fails.
	printf("wake pi futex: %s\n", en(fx(&word, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("requeue pi futex: %s\n", en(fx(&word, FUTEX_REQUEUE, 0, (void *)1, &word + 1, 0)));
	printf("cmp_requeue pi futex: %s\n", en(fx(&word, FUTEX_CMP_REQUEUE, 0, (void *)1, &word + 1, word)));
	printf("wake_op pi futex: %s\n", en(fx(&word, FUTEX_WAKE_OP, 1, NULL, &word + 1, 0)));
	printf("trylock by main: %s\n", en(fx(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	// Words that disagree with the kernel's owner.
	unsigned saved = word;
	word = main_tid | FUTEX_WAITERS;
	printf("unlock by fake owner: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	word = tid_b | FUTEX_WAITERS;
	printf("lock with wrong owner: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	word = FUTEX_WAITERS;
	printf("lock with no owner: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	word = saved;
	// A signal during LOCK_PI: the handler runs and the wait goes on.
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	syscall(SYS_tgkill, getpid(), tid_b, SIGUSR1);
	for (int i = 0; i < 5000 && !sigs; i++)
		msleep(1);
	wait_sleeping(0, tid_b);
	printf("B after signal: %s, signals %d\n", b_res < 0 ? "blocked" : ename(b_res), sigs);
	a_do(CMD_UNLOCK);
	show("A unlocked", word, tid_a, tid_b);
	pthread_join(b, NULL);
	printf("B: %s\n", ename(b_res));
	// B exited holding it (no robust list entry): the word still names B, who is gone.
	msleep(20);
	printf("lock after B exited: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, tid_a, tid_b);

	// An owner that exits with a waiter: the waiter gets it, OWNER_DIED set.
	word = 0;
	a_do(CMD_LOCK);
	b = start_b(FUTEX_LOCK_PI2);
	a_do(CMD_EXIT);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("B after A died: %s\n", ename(b_res));
	show("word", word, tid_a, tid_b);

	// A timed-out waiter leaves FUTEX_WAITERS for the owner's unlock to clear.
	word = 0;
	printf("main lock: %s\n", en(fx(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	b_ts = abs_in(CLOCK_MONOTONIC, 100);
	b = start_b(FUTEX_LOCK_PI2);
	pthread_join(b, NULL);
	b_ts.tv_sec = 0;
	printf("B: %s\n", ename(b_res));
	show("word", word, tid_a, tid_b);
	printf("main unlock: %s\n", en(fx(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	show("word", word, tid_a, tid_b);
}

static volatile unsigned plain;

static volatile pid_t plain_tid;

static void *plain_waiter(void *arg) {
	(void)arg;
	plain_tid = gettid();
	struct timespec ts = {5, 0};
	b_res = fx(&plain, FUTEX_WAIT, plain, &ts, NULL, 0) < 0 ? errno : 0;
	return NULL;
}

static volatile int stop_sleeper;

static void *sleeper(void *arg) {
	(void)arg;
	tid_b = gettid();
	while (!stop_sleeper)
		msleep(1);
	return NULL;
}

static void mixing(void) {
	printf("-- mixing\n");
	// A FUTEX_WAIT waiter on a word that names a live thread: LOCK_PI refuses it.
	pthread_t w, s;
	tid_b = 0;
	pthread_create(&s, NULL, sleeper, NULL);
	while (!tid_b)
		msleep(1);
	plain = tid_b;
	b_res = -1;
	plain_tid = 0;
	pthread_create(&w, NULL, plain_waiter, NULL);
	// LOCK_PI must find the waiter waiting (else it would wait on the sleeper forever).
	while (!plain_tid)
		msleep(1);
	wait_sleeping(0, plain_tid);
	printf("lock over FUTEX_WAIT waiter: %s\n", en(fx(&plain, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	printf("trylock over FUTEX_WAIT waiter: %s\n", en(fx(&plain, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
	plain = main_tid;
	printf("unlock over FUTEX_WAIT waiter: %s\n", en(fx(&plain, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	// FUTEX_WAKE with a count of 0 wakes one, as Linux's.
	printf("wake 0: %ld\n", fx(&plain, FUTEX_WAKE, 0, NULL, NULL, 0));
	pthread_join(w, NULL);
	printf("waiter: %s\n", ename(b_res));
	stop_sleeper = 1;
	pthread_join(s, NULL);
}

// FUTEX_WAIT_REQUEUE_PI / FUTEX_CMP_REQUEUE_PI: a condition variable (cv) whose waiters
// are moved onto the PI mutex (pm).
static volatile unsigned cv, pm, other;
static volatile int rq_res[3] = {-1, -1, -1};
static volatile unsigned rq_tid[3];
static volatile int rq_order[3], rq_next;
static struct timespec rq_ts;

static void *rq_waiter(void *arg) {
	int i = (int)(long)arg;
	rq_tid[i] = gettid();
	long r = fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, rq_ts.tv_sec ? &rq_ts : NULL, &pm, 0);
	rq_res[i] = r < 0 ? errno : 0;
	if (r == 0) {
		rq_order[rq_next++] = i;
		// Owned now: release it for the next one.
		fx(&pm, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
	}
	return NULL;
}

// rq_start starts waiter i and returns once it waits on cv: the wakes and requeues that
// follow must find it there, and several waiters must queue in order (80 ms of sleep was
// outrun on a loaded machine).
static pthread_t rq_start(int i) {
	pthread_t th;
	rq_res[i] = -1;
	rq_tid[i] = 0;
	pthread_create(&th, NULL, rq_waiter, (void *)(long)i);
	while (!rq_tid[i])
		msleep(1);
	wait_sleeping(0, rq_tid[i]);
	return th;
}

static void requeue_pi(void) {
	printf("-- requeue_pi\n");
	cv = 0;
	pm = 0;
	printf("wait same words: %s\n", en(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cv, 0)));
	printf("wait wrong value: %s\n", en(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &pm, 0)));
	struct timespec ts = abs_in(CLOCK_MONOTONIC, 30);
	printf("wait timeout: %s\n", en(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, &ts, &pm, 0)));
	ts = abs_in(CLOCK_REALTIME, 30);
	printf("wait realtime timeout: %s\n",
	       en(fx(&cv, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 0, &ts, &pm, 0)));
	printf("cmp_requeue_pi nr_wake 2: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 2, (void *)1, &pm, 0)));
	printf("cmp_requeue_pi nr_wake 0: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 0, (void *)1, &pm, 0)));
	printf("cmp_requeue_pi same words: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &cv, 0)));
	printf("cmp_requeue_pi negative: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)-1L, &pm, 0)));
	printf("cmp_requeue_pi wrong value: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &pm, 5)));
	printf("cmp_requeue_pi no waiters: %ld\n", fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &pm, 0));

	// pm free: the first waiter wakes owning it.
	pthread_t a = rq_start(0);
	printf("wake requeue waiter: %s\n", en(fx(&cv, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("requeue to other word: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &other, 0)));
	printf("plain requeue: %s\n", en(fx(&cv, FUTEX_CMP_REQUEUE, 1, (void *)1, &other, 0)));
	printf("lock_pi on cv: %s\n", en(fx(&cv, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
	cv = 0;
	printf("cmp_requeue_pi free: %ld\n", fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &pm, 0));
	pthread_join(a, NULL);
	printf("waiter: %s\n", ename(rq_res[0]));
	show("pm", pm, 0, 0);

	// pm held by main: both waiters move onto it and get it in turn from the unlocks.
	fx(&pm, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	rq_next = 0;
	pthread_t w0 = rq_start(0), w1 = rq_start(1), w2 = rq_start(2);
	printf("cmp_requeue_pi held, requeue 1: %ld\n", fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &pm, 0));
	show("pm", pm, 0, 0);
	printf("cmp_requeue_pi held, requeue all: %ld\n",
	       fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)0x7fffffff, &pm, 0));
	printf("unlock: %s\n", en(fx(&pm, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	pthread_join(w0, NULL);
	pthread_join(w1, NULL);
	pthread_join(w2, NULL);
	printf("waiters: %s %s %s order %d %d %d\n", ename(rq_res[0]), ename(rq_res[1]),
	       ename(rq_res[2]), rq_order[0], rq_order[1], rq_order[2]);
	show("pm", pm, 0, 0);

	// A requeued waiter whose wait times out. A machine slow enough that the 300 ms pass
	// before the requeue (which then finds no waiter) tries again.
	fx(&pm, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
	long moved;
	for (int try = 0;; try++) {
		rq_ts = abs_in(CLOCK_MONOTONIC, 300);
		pthread_t t0 = rq_start(0);
		moved = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &pm, 0);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_join(t0, NULL);
		int late = now.tv_sec > rq_ts.tv_sec || (now.tv_sec == rq_ts.tv_sec && now.tv_nsec >= rq_ts.tv_nsec);
		if (moved != 0 || !late || try == 10)
			break;
	}
	printf("requeue then timeout: %ld\n", moved);
	rq_ts.tv_sec = 0;
	printf("waiter: %s\n", ename(rq_res[0]));
	show("pm", pm, 0, 0);
	printf("unlock: %s\n", en(fx(&pm, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
	show("pm", pm, 0, 0);
}

// glibc PTHREAD_PRIO_INHERIT mutexes.
struct shared {
	pthread_mutex_t m;
	long counter;
};
static struct shared *sh;

#define NTHREADS 4
#define INCS 3000

static void *incr(void *arg) {
	(void)arg;
	for (int i = 0; i < INCS; i++) {
		pthread_mutex_lock(&sh->m);
		long c = sh->counter;
		if ((i & 63) == 0)
			sched_yield();
		sh->counter = c + 1;
		pthread_mutex_unlock(&sh->m);
	}
	return NULL;
}

static void run_threads(void) {
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, incr, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
}

// hold_briefly holds the mutex until release is set: the attempts that must time out
// while it is held do so however slowly the machine runs them.
static volatile int release;

static void *hold_briefly(void *arg) {
	(void)arg;
	pthread_mutex_lock(&sh->m);
	while (!release)
		msleep(1);
	msleep(20);
	pthread_mutex_unlock(&sh->m);
	return NULL;
}

static void glibc(void) {
	printf("-- glibc PI mutexes\n");
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&sh->m, &a);
	run_threads();
	printf("threads: %ld (want %d)\n", sh->counter, NTHREADS * INCS);
	sh->counter = 0;
	pid_t pid = fork();
	run_threads();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	printf("two processes: %ld (want %d)\n", sh->counter, 2 * NTHREADS * INCS);

	pthread_t h;
	pthread_create(&h, NULL, hold_briefly, NULL);
	while (*(volatile int *)&sh->m == 0)
		msleep(1);
	printf("trylock held: %s\n", ename(pthread_mutex_trylock(&sh->m)));
	struct timespec ts = abs_in(CLOCK_REALTIME, 30);
	printf("timedlock: %s\n", ename(pthread_mutex_timedlock(&sh->m, &ts)));
	ts = abs_in(CLOCK_MONOTONIC, 30);
	printf("clocklock monotonic: %s\n", ename(pthread_mutex_clocklock(&sh->m, CLOCK_MONOTONIC, &ts)));
	release = 1;
	ts = abs_in(CLOCK_MONOTONIC, 10000); // only a failure waits that long
	printf("clocklock until free: %s\n", ename(pthread_mutex_clocklock(&sh->m, CLOCK_MONOTONIC, &ts)));
	printf("unlock: %s\n", ename(pthread_mutex_unlock(&sh->m)));
	pthread_join(h, NULL);
	printf("word: %#x\n", *(volatile unsigned *)&sh->m);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	main_tid = gettid();
	errors();
	contention();
	mixing();
	requeue_pi();
	glibc();
	return 0;
}
