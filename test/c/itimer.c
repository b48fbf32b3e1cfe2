// itimer checks alarm and the interval timers without printing any time:
// alarm(1) with a handler wakes pause; ITIMER_REAL reloads (three expirations
// counted by the handler); ITIMER_VIRTUAL and ITIMER_PROF fire while the
// process spins (at least once in at most a second of spinning); getitimer
// reads back the interval; and SIGALRM interrupting a futex wait restarts it
// with SA_RESTART (the handler changes the futex word, so the restarted wait
// fails with EAGAIN) and fails it with EINTR without, while nanosleep fails
// with EINTR either way.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile int alrm, vtalrm, prof;
static int word;

static void on_alrm(int sig) { (void)sig; alrm++; word = 1; }
static void on_vtalrm(int sig) { (void)sig; vtalrm++; }
static void on_prof(int sig) { (void)sig; prof++; }

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

static void handle(int sig, void (*fn)(int), int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_until(volatile int *counter, int want) {
	double end = now() + 10; // only a failure spins that long
	while (*counter < want && now() < end) {
		for (volatile int i = 0; i < 100000; i++) {
		}
	}
}

static void set(int which, long value_us, long interval_us) {
	struct itimerval it = {{interval_us / 1000000, interval_us % 1000000}, {value_us / 1000000, value_us % 1000000}};
	setitimer(which, &it, NULL);
}

// arm_when_blocked (a thread, with SIGALRM blocked so that the signal goes to the main
// thread) arms a one-shot ITIMER_REAL of 50 ms once the main thread is blocked: armed before
// the main thread blocks, a loaded machine could let it fire first, interrupting nothing.
static void *arm_when_blocked(void *arg) {
	(void)arg;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	wait_sleeping(0, getpid());
	set(ITIMER_REAL, 50000, 0);
	return NULL;
}

static pthread_t arm_later(void) {
	pthread_t th;
	pthread_create(&th, NULL, arm_when_blocked, NULL);
	return th;
}

int main(void) {
	handle(SIGALRM, on_alrm, 0);
	handle(SIGVTALRM, on_vtalrm, 0);
	handle(SIGPROF, on_prof, 0);

	report("alarm(0) with none armed returns 0", alarm(0) == 0);
	report("alarm(1) returns 0", alarm(1) == 0);
	report("alarm(5) returns the 1 s left", alarm(5) == 1);
	report("alarm(1) returns the 5 s left", alarm(1) == 5);
	int r = pause();
	report("pause interrupted by SIGALRM", r == -1 && errno == EINTR && alrm == 1);

	alrm = 0;
	double armed = now();
	set(ITIMER_REAL, 20000, 20000);
	struct itimerval got;
	getitimer(ITIMER_REAL, &got);
	report("getitimer reads the interval", got.it_interval.tv_sec == 0 && got.it_interval.tv_usec == 20000);
	report("getitimer value armed", got.it_value.tv_sec == 0 && got.it_value.tv_usec > 0 && got.it_value.tv_usec <= 20000);
	while (alrm < 3)
		pause();
	set(ITIMER_REAL, 0, 0);
	// A fourth expiry can come before the disarm only if a loaded machine made that late.
	int fired = alrm;
	report("ITIMER_REAL fired three times", fired == 3 || (fired > 3 && fired <= (int)((now() - armed) / 0.02)));
	getitimer(ITIMER_REAL, &got);
	report("disarmed itimer reads zero", got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0);

	set(ITIMER_VIRTUAL, 10000, 10000);
	spin_until(&vtalrm, 1);
	set(ITIMER_VIRTUAL, 0, 0);
	report("ITIMER_VIRTUAL fires while spinning", vtalrm >= 1);
	set(ITIMER_PROF, 10000, 10000);
	spin_until(&prof, 2);
	set(ITIMER_PROF, 0, 0);
	report("ITIMER_PROF fires while spinning", prof >= 2);

	report("setitimer bad which", setitimer(7, &got, NULL) == -1 && errno == EINVAL);
	struct itimerval bad = {{0, 0}, {0, 1000000}};
	report("setitimer bad usec", setitimer(ITIMER_REAL, &bad, NULL) == -1 && errno == EINVAL);

	// Without SA_RESTART: the futex wait fails with EINTR.
	word = 0;
	alrm = 0;
	pthread_t th = arm_later();
	long fr = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	pthread_join(th, NULL);
	report("futex wait without SA_RESTART: EINTR", fr == -1 && errno == EINTR && alrm == 1);

	// With SA_RESTART: restarted, and the changed word makes it fail with EAGAIN.
	handle(SIGALRM, on_alrm, SA_RESTART);
	word = 0;
	alrm = 0;
	th = arm_later();
	fr = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	pthread_join(th, NULL);
	report("futex wait with SA_RESTART: restarted", fr == -1 && errno == EAGAIN && alrm == 1);

	alrm = 0;
	struct timespec ts = {5, 0}, rem = {0, 0};
	th = arm_later();
	r = nanosleep(&ts, &rem);
	pthread_join(th, NULL);
	report("nanosleep with SA_RESTART: EINTR", r == -1 && errno == EINTR && alrm == 1);
	report("nanosleep wrote the time left", rem.tv_sec >= 3 && rem.tv_sec <= 5);

	printf("%s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
