// clock checks the clocks without printing any time: CLOCK_REALTIME agrees
// with time(NULL) and gettimeofday, CLOCK_MONOTONIC never goes backwards over
// 1000 reads, and nanosleep(10ms) advances CLOCK_MONOTONIC by at least 10ms.
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int64_t ns(const struct timespec *ts) {
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

int main(void) {
	struct timespec rt, mono, prev, now, res;
	time_t t0 = time(NULL);
	int rc = clock_gettime(CLOCK_REALTIME, &rt);
	time_t t1 = time(NULL);
	report("clock_gettime(CLOCK_REALTIME)", rc == 0);
	report("realtime close to time(NULL)", rc == 0 && rt.tv_sec >= t0 - 1 && rt.tv_sec <= t1 + 1);
	report("realtime after 2020", rt.tv_sec > 1577836800);
	report("realtime nsec in range", rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000);

	struct timeval tv;
	rc = gettimeofday(&tv, NULL);
	report("gettimeofday close to realtime", rc == 0 && tv.tv_sec >= rt.tv_sec - 1 && tv.tv_sec <= rt.tv_sec + 2);

	rc = clock_gettime(CLOCK_MONOTONIC, &prev);
	report("clock_gettime(CLOCK_MONOTONIC)", rc == 0);
	int mono_ok = 1;
	for (int i = 0; i < 1000; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 || ns(&now) < ns(&prev) ||
		    now.tv_nsec < 0 || now.tv_nsec >= 1000000000)
			mono_ok = 0;
		prev = now;
	}
	report("monotonic non-decreasing over 1000 reads", mono_ok);

	report("clock_getres(CLOCK_MONOTONIC)", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
	       res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);

	clock_gettime(CLOCK_MONOTONIC, &mono);
	struct timespec req = {0, 10 * 1000 * 1000};
	rc = nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	report("nanosleep(10ms) returns 0", rc == 0);
	report("nanosleep(10ms) advances monotonic >= 10ms", ns(&now) - ns(&mono) >= 10 * 1000 * 1000);

	printf("failures=%d\n", failures);
	return failures ? 1 : 0;
}
