// poll exercises poll, ppoll, select and pselect6 on pipes: readiness (POLLIN, POLLOUT,
// POLLHUP, POLLERR), timeouts (select's timeval is updated with the time left), POLLNVAL and
// EBADF for bad descriptors, EINVAL for too many, wake-ups by another process, and
// interruption by a signal with a handler (EINTR), including ppoll/pselect6 signal masks.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *en(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { handled++; }

static long ms_since(struct timespec *t0) {
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

// later forks a child that, after ms milliseconds, writes to fd (if >= 0) or signals the
// parent with SIGUSR1. The signal waits until the parent is blocked as well: a signal that
// came before the parent's wait (the sleep outrun on a loaded machine) would interrupt
// nothing, and the wait would time out instead. Data written early is still ready.
static pid_t later(int ms, int fd) {
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		usleep(ms * 1000);
		if (fd >= 0) {
			write(fd, "x", 1);
		} else {
			wait_sleeping(parent, 0);
			kill(parent, SIGUSR1);
		}
		_exit(0);
	}
	return c;
}

static void reap(pid_t c) {
	int st;
	waitpid(c, &st, 0);
}

static void test_poll(void) {
	int p[2];
	pipe(p);
	struct pollfd fds[4] = {
		{.fd = p[0], .events = POLLIN},
		{.fd = p[1], .events = POLLOUT},
		{.fd = 99, .events = POLLIN},
		{.fd = -1, .events = POLLIN},
	};
	int n = poll(fds, 4, 0);
	printf("poll empty: %d revents %#x %#x %#x %#x\n", n, fds[0].revents, fds[1].revents,
	       fds[2].revents, fds[3].revents);
	write(p[1], "a", 1);
	n = poll(fds, 2, 0);
	printf("poll with data: %d revents %#x %#x\n", n, fds[0].revents, fds[1].revents);
	fds[0].events = POLLRDNORM;
	fds[1].events = POLLWRNORM;
	n = poll(fds, 2, 0);
	printf("poll RDNORM/WRNORM: %d revents %#x %#x\n", n, fds[0].revents, fds[1].revents);
	char c;
	read(p[0], &c, 1);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fds[0].events = POLLIN;
	n = poll(fds, 1, 100);
	long el = ms_since(&t0);
	printf("poll timeout: %d revents %#x waited>=90ms %d\n", n, fds[0].revents, el >= 90);

	pid_t k = later(50, p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = poll(fds, 1, 5000);
	el = ms_since(&t0);
	printf("poll woken by writer: %d revents %#x quick %d\n", n, fds[0].revents, el < 4000);
	reap(k);
	read(p[0], &c, 1);

	close(p[1]);
	n = poll(fds, 1, -1);
	printf("poll after writer closed: %d revents %#x\n", n, fds[0].revents);
	close(p[0]);

	pipe(p);
	close(p[0]);
	struct pollfd w = {.fd = p[1], .events = POLLOUT};
	n = poll(&w, 1, 0);
	printf("poll writer without readers: %d revents %#x\n", n, w.revents);
	w.events = 0;
	n = poll(&w, 1, 0);
	printf("poll no events: %d revents %#x\n", n, w.revents);
	close(p[1]);

	// A full pipe is not writable.
	pipe2(p, O_NONBLOCK);
	static char big[1 << 16];
	while (write(p[1], big, sizeof big) > 0) {
	}
	w = (struct pollfd){.fd = p[1], .events = POLLOUT};
	printf("poll full pipe: %d\n", poll(&w, 1, 0));
	close(p[0]);
	close(p[1]);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("poll nfds > RLIMIT_NOFILE: %s\n", en(poll(NULL, rl.rlim_cur + 1, 0)));
	printf("poll bad address: %s\n", en(poll((void *)8, 1, 0)));
}

static void test_signals(void) {
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	int p[2];
	pipe(p);
	struct pollfd fd = {.fd = p[0], .events = POLLIN};

	pid_t k = later(50, -1);
	int n = poll(&fd, 1, 5000);
	printf("poll interrupted: %s handled=%d\n", en(n), handled);
	reap(k);

	// With SA_RESTART: poll still fails with EINTR (it is never restarted after a handler).
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
	k = later(50, -1);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = {5, 0};
	n = select(p[0] + 1, &r, NULL, NULL, &tv);
	printf("select interrupted: %s handled=%d timeout updated %d\n", en(n), handled,
	       tv.tv_sec < 5 && tv.tv_sec >= 3);
	reap(k);

	// ppoll with a mask that unblocks SIGUSR1, which is blocked outside.
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	handled = 0;
	kill(getpid(), SIGUSR1);
	struct timespec ts = {5, 0};
	n = ppoll(&fd, 1, &ts, &empty);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("ppoll with mask: %s handled=%d blocked again %d\n", en(n), handled,
	       sigismember(&cur, SIGUSR1));

	handled = 0;
	kill(getpid(), SIGUSR1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	ts = (struct timespec){5, 0};
	n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &empty);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("pselect with mask: %s handled=%d blocked again %d\n", en(n), handled,
	       sigismember(&cur, SIGUSR1));

	// The mask argument keeps SIGUSR1 blocked: ppoll times out, the signal stays pending.
	handled = 0;
	kill(getpid(), SIGUSR1);
	ts = (struct timespec){0, 50000000};
	n = ppoll(&fd, 1, &ts, &block);
	printf("ppoll with blocking mask: %d handled=%d ts=%ld.%09ld\n", n, handled, (long)ts.tv_sec,
	       ts.tv_nsec);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	printf("after unblocking: handled=%d\n", handled);
	printf("ppoll bad sigsetsize: %s\n",
	       en(syscall(271 /* ppoll */, &fd, 1, NULL, &empty, 4)));
	close(p[0]);
	close(p[1]);
}

static void test_select(void) {
	int p[2];
	pipe(p);
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	FD_SET(p[0], &x);
	struct timeval tv = {0, 0};
	int n = select(p[1] + 1, &r, &w, &x, &tv);
	printf("select: %d r=%d w=%d x=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &x));

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 100000};
	n = select(p[0] + 1, &r, NULL, NULL, &tv);
	printf("select timeout: %d r=%d tv=%ld.%06ld\n", n, FD_ISSET(p[0], &r), (long)tv.tv_sec,
	       (long)tv.tv_usec);

	pid_t k = later(50, p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){5, 0};
	n = select(p[0] + 1, &r, NULL, NULL, &tv);
	printf("select woken: %d r=%d time left %d\n", n, FD_ISSET(p[0], &r), tv.tv_sec >= 3 && tv.tv_sec < 5);
	reap(k);

	FD_ZERO(&r);
	FD_SET(50, &r);
	printf("select bad fd: %s\n", en(select(51, &r, NULL, NULL, NULL)));
	printf("select negative nfds: %s\n", en(select(-1, NULL, NULL, NULL, NULL)));
	tv = (struct timeval){-1, 0};
	printf("select negative timeout: %s\n", en(select(0, NULL, NULL, NULL, &tv)));
	tv = (struct timeval){0, 50000};
	n = select(0, NULL, NULL, NULL, &tv);
	printf("select as sleep: %d tv=%ld.%06ld\n", n, (long)tv.tv_sec, (long)tv.tv_usec);

	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	n = select(p[0] + 1, &r, NULL, NULL, NULL);
	printf("select at EOF: %d r=%d\n", n, FD_ISSET(p[0], &r));

	struct timespec ts = {0, 20000000};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	n = pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL);
	printf("pselect at EOF: %d r=%d\n", n, FD_ISSET(p[0], &r));
	ts = (struct timespec){0, 2000000000};
	printf("pselect bad timespec: %s\n", en(pselect(0, NULL, NULL, NULL, &ts, NULL)));
	close(p[0]);
}

// test_epoll checks that epoll sees pipe readiness, including a wake-up by another process.
static void test_epoll(void) {
	int p[2];
	pipe(p);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	ev = (struct epoll_event){.events = EPOLLOUT, .data.u32 = 8};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
	int n = epoll_wait(ep, out, 2, 0);
	printf("epoll: %d first=%u %#x\n", n, out[0].data.u32, out[0].events);
	epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
	pid_t k = later(50, p[1]);
	n = epoll_wait(ep, out, 2, 5000);
	printf("epoll woken: %d %u %#x\n", n, out[0].data.u32, out[0].events);
	reap(k);
	close(p[1]);
	n = epoll_wait(ep, out, 2, 0);
	printf("epoll after writer closed: %d %#x\n", n, out[0].events);
	close(p[0]);
	close(ep);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	// stdout is the harness's pipe (a host descriptor in the sandbox).
	struct pollfd out = {.fd = 1, .events = POLLOUT};
	int n = poll(&out, 1, 1000);
	printf("poll stdout: %d %#x\n", n, out.revents);
	test_poll();
	test_select();
	test_epoll();
	test_signals();
	return 0;
}
