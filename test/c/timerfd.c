// timerfd checks timerfd_create/settime/gettime and reads, printing no
// times: a periodic timer's read returns the expirations so far (at least
// three after four and a half periods) and resets them; a non-blocking read
// of an unexpired timer fails with EAGAIN; epoll reports a timerfd when it
// expires; TFD_TIMER_ABSTIME; a blocking read waits for the expiration; and
// the EINVAL paths.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

static int arm(int fd, int flags, long value_ns, long interval_ns) {
	struct itimerspec its = {{interval_ns / 1000000000, interval_ns % 1000000000}, {value_ns / 1000000000, value_ns % 1000000000}};
	return timerfd_settime(fd, flags, &its, NULL);
}

int main(void) {
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	report("timerfd_create", fd >= 0);
	report("TFD_CLOEXEC sets FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	report("TFD_NONBLOCK sets O_NONBLOCK", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	uint64_t n = 0;
	report("read of a disarmed timerfd: EAGAIN", read(fd, &n, 8) == -1 && errno == EAGAIN);
	struct itimerspec cur;
	timerfd_gettime(fd, &cur);
	report("disarmed reads zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	struct timespec armed, armed_after, readat, read0, read2;
	clock_gettime(CLOCK_MONOTONIC, &armed);
	arm(fd, 0, 10000000, 10000000);
	clock_gettime(CLOCK_MONOTONIC, &armed_after);
	// EAGAIN, unless a loaded machine let the first 10 ms pass before the read.
	int early = read(fd, &n, 8);
	int early_errno = errno;
	clock_gettime(CLOCK_MONOTONIC, &readat);
	long early_ms = (readat.tv_sec - armed.tv_sec) * 1000 + (readat.tv_nsec - armed.tv_nsec) / 1000000;
	report("read before the expiration: EAGAIN",
	       (early == -1 && early_errno == EAGAIN) || (early == 8 && early_ms >= 10));
	timerfd_gettime(fd, &cur);
	report("timerfd_gettime reads the interval", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 10000000);
	report("timerfd_gettime value armed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000);
	usleep(45000);
	clock_gettime(CLOCK_MONOTONIC, &read0);
	report("read returns 8 bytes", read(fd, &n, 8) == 8);
	clock_gettime(CLOCK_MONOTONIC, &readat);
	// Every 10 ms period that has ended by the read, and no more: at least 4 after the
	// 45 ms sleep, as many more as a loaded machine made the sleep and the read take.
	long elapsed_ms = (readat.tv_sec - armed.tv_sec) * 1000 + (readat.tv_nsec - armed.tv_nsec) / 1000000;
	report("count is every period ended", n >= 3 && (long)n <= elapsed_ms / 10 + 1);
	// EAGAIN, unless a period ended between the two reads (a loaded machine can put 10 ms
	// between them): the periods end at T+10k ms, T the arming, between armed and armed_after.
	int again = read(fd, &n, 8);
	int again_errno = errno;
	clock_gettime(CLOCK_MONOTONIC, &read2);
	long long k = (ns(&read2) - ns(&armed)) / 10000000;
	report("read resets the count",
	       (again == -1 && again_errno == EAGAIN) || (again == 8 && ns(&armed_after) + k * 10000000 > ns(&read0)));
	report("short buffer: EINVAL", read(fd, &n, 4) == -1 && errno == EINVAL);
	report("write: EINVAL", write(fd, &n, 8) == -1 && errno == EINVAL);
	arm(fd, 0, 0, 0);

	// epoll on a one-shot timerfd.
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 42};
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	struct epoll_event out;
	report("epoll: not ready while disarmed", epoll_wait(ep, &out, 1, 0) == 0);
	arm(fd, 0, 20000000, 0);
	int r = epoll_wait(ep, &out, 1, 2000);
	report("epoll reports the expiration", r == 1 && out.events == EPOLLIN && out.data.u32 == 42);
	report("one-shot count is 1", read(fd, &n, 8) == 8 && n == 1);
	report("epoll: not ready after the read", epoll_wait(ep, &out, 1, 0) == 0);
	close(ep);
	close(fd);

	// Absolute time on CLOCK_REALTIME with a blocking read.
	fd = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec abs = {{0, 0}, {now.tv_sec, now.tv_nsec}};
	abs.it_value.tv_nsec += 20000000;
	if (abs.it_value.tv_nsec >= 1000000000) {
		abs.it_value.tv_nsec -= 1000000000;
		abs.it_value.tv_sec++;
	}
	report("TFD_TIMER_ABSTIME", timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs, NULL) == 0);
	n = 0;
	report("blocking read waits for it", read(fd, &n, 8) == 8 && n == 1);
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	report("not before the absolute time",
	       after.tv_sec > abs.it_value.tv_sec || (after.tv_sec == abs.it_value.tv_sec && after.tv_nsec >= abs.it_value.tv_nsec));
	struct itimerspec old;
	arm(fd, 0, 3000000000L, 0);
	arm(fd, 0, 0, 0);
	timerfd_settime(fd, 0, &(struct itimerspec){{0, 0}, {0, 0}}, &old);
	report("timerfd_settime old value of a disarmed timer", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
	close(fd);

	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	report("CLOCK_BOOTTIME", fd >= 0);
	close(fd);
	report("bad clock: EINVAL", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) == -1 && errno == EINVAL);
	report("bad flags: EINVAL", timerfd_create(CLOCK_MONOTONIC, 0x4) == -1 && errno == EINVAL);
	int efd = eventfd(0, 0);
	report("settime on an eventfd: EINVAL", arm(efd, 0, 1000000, 0) == -1 && errno == EINVAL);
	report("settime on a bad fd: EBADF", arm(999, 0, 1000000, 0) == -1 && errno == EBADF);
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec bad = {{0, 0}, {0, 1000000000}};
	report("bad nsec: EINVAL", timerfd_settime(fd, 0, &bad, NULL) == -1 && errno == EINVAL);
	report("bad settime flags: EINVAL", arm(fd, 0x10, 1000000, 0) == -1 && errno == EINVAL);

	printf("%s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
