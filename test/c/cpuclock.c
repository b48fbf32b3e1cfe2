// cpuclock checks the CPU-time clocks without printing any time: the process
// and thread clocks (and those of clock_getcpuclockid and
// pthread_getcpuclockid) advance while the program spins for 100 ms of CPU
// time, mostly user time, and never go backwards; a thread that only sleeps uses little CPU;
// getrusage and times agree with the process clock; clock_getres reports
// 1 ns for CPU clocks and the host's resolution for the others; bad clock
// ids fail with EINVAL and clock_nanosleep on a thread CPU clock with EINVAL.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

static int64_t rd(clockid_t c) {
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// spin runs until the thread has used ns of CPU time (or 3 s have passed, when the host
// is too busy to give it that).
static void spin(int64_t ns) {
	int64_t end = rd(CLOCK_THREAD_CPUTIME_ID) + ns, wall = rd(CLOCK_MONOTONIC) + 3000000000LL;
	while (rd(CLOCK_THREAD_CPUTIME_ID) < end && rd(CLOCK_MONOTONIC) < wall) {
		for (volatile int i = 0; i < 200000; i++) {
		}
	}
}

static volatile int64_t sleeper_cpu = -1;

static void *sleeper(void *arg) {
	(void)arg;
	usleep(50000);
	sleeper_cpu = rd(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

int main(void) {
	clockid_t pc, tc;
	report("clock_getcpuclockid(self)", clock_getcpuclockid(getpid(), &pc) == 0);
	report("pthread_getcpuclockid(self)", pthread_getcpuclockid(pthread_self(), &tc) == 0);
	int64_t p0 = rd(CLOCK_PROCESS_CPUTIME_ID), t0 = rd(CLOCK_THREAD_CPUTIME_ID);
	int64_t pc0 = rd(pc), tc0 = rd(tc);
	report("CPU clocks readable", p0 >= 0 && t0 >= 0 && pc0 >= 0 && tc0 >= 0);
	spin(100000000);
	int64_t p1 = rd(CLOCK_PROCESS_CPUTIME_ID), t1 = rd(CLOCK_THREAD_CPUTIME_ID);
	int64_t pc1 = rd(pc), tc1 = rd(tc);
	report("process clock advances while spinning", p1 - p0 >= 50000000);
	report("thread clock advances while spinning", t1 - t0 >= 50000000);
	report("clock_getcpuclockid clock advances", pc1 - pc0 >= 50000000);
	report("pthread_getcpuclockid clock advances", tc1 - tc0 >= 50000000);
	report("process clock >= thread clock", rd(CLOCK_PROCESS_CPUTIME_ID) >= rd(CLOCK_THREAD_CPUTIME_ID) - 1000000);
	report("raw id of CLOCK_PROCESS_CPUTIME_ID for pid 0", rd((clockid_t)((~0u << 3) | 2)) >= p1);

	int mono = 1;
	int64_t prev = rd(CLOCK_THREAD_CPUTIME_ID), prevp = rd(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 1000; i++) {
		int64_t v = rd(CLOCK_THREAD_CPUTIME_ID), vp = rd(CLOCK_PROCESS_CPUTIME_ID);
		if (v < prev || vp < prevp)
			mono = 0;
		prev = v;
		prevp = vp;
	}
	report("CPU clocks never go backwards", mono);

	pthread_t th;
	pthread_create(&th, NULL, sleeper, NULL);
	pthread_join(th, NULL);
	report("a sleeping thread uses little CPU", sleeper_cpu >= 0 && sleeper_cpu < 30000000);

	struct rusage ru;
	int64_t before = rd(CLOCK_PROCESS_CPUTIME_ID);
	getrusage(RUSAGE_SELF, &ru);
	int64_t after = rd(CLOCK_PROCESS_CPUTIME_ID);
	int64_t rus = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	report("getrusage agrees with the process clock", rus >= before - 20000000 && rus <= after + 20000000);
	report("getrusage user time counts the spin", ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec >= 50000);
	struct tms tm;
	times(&tm);
	long hz = sysconf(_SC_CLK_TCK);
	int64_t tms = (int64_t)(tm.tms_utime + tm.tms_stime) * (1000000000 / hz);
	report("times agrees with the process clock", tms >= before - 30000000 && tms <= rd(CLOCK_PROCESS_CPUTIME_ID) + 20000000);

	struct timespec res;
	clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res);
	report("clock_getres(CLOCK_PROCESS_CPUTIME_ID) is 1 ns", res.tv_sec == 0 && res.tv_nsec == 1);
	clock_getres(CLOCK_THREAD_CPUTIME_ID, &res);
	report("clock_getres(CLOCK_THREAD_CPUTIME_ID) is 1 ns", res.tv_sec == 0 && res.tv_nsec == 1);
	clock_getres(pc, &res);
	report("clock_getres(clock_getcpuclockid) is 1 ns", res.tv_sec == 0 && res.tv_nsec == 1);
	clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
			   CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_TAI};
	for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		int r = clock_getres(ids[i], &res);
		printf("clock_getres(%d): %d %ld.%09ld\n", ids[i], r, (long)res.tv_sec, res.tv_nsec);
	}
	report("clock_getres(NULL res)", clock_getres(CLOCK_MONOTONIC, NULL) == 0);
	report("clock_getres bad clock: EINVAL", clock_getres(100, &res) == -1 && errno == EINVAL);
	report("clock_gettime bad clock: EINVAL", clock_gettime(100, &res) == -1 && errno == EINVAL);
	report("clock_gettime bad CPU clock kind: EINVAL", clock_gettime((clockid_t)((~0u << 3) | 3), &res) == -1 && errno == EINVAL);
	report("clock_gettime CPU clock of no process: EINVAL", clock_gettime((clockid_t)((~999999u << 3) | 2), &res) == -1 && errno == EINVAL);
	struct timespec req = {0, 1000};
	report("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): EINVAL", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL);
	report("clock_nanosleep(pthread clock): EINVAL", clock_nanosleep(tc, 0, &req, NULL) == EINVAL);

	printf("%s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
