// signalfd checks signalfd and signalfd4 with blocked signals: a
// non-blocking read with nothing pending fails with EAGAIN; SIGUSR1 sent by
// kill is read with ssi_pid, ssi_uid and ssi_code SI_USER; sigqueue's value
// arrives in ssi_int with SI_QUEUE; a POSIX timer's signal has SI_TIMER and
// the timer id in ssi_tid; several pending signals are read at once; a
// blocking read waits for a signal sent by another thread; epoll reports the
// signalfd; and signalfd(fd, mask) changes the mask.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

static void *sender(void *arg) {
	(void)arg;
	usleep(20000);
	kill(getpid(), SIGUSR2);
	return NULL;
}

int main(void) {
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	report("signalfd4", fd >= 0);
	report("SFD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	struct signalfd_siginfo ssi[4];
	report("sizeof signalfd_siginfo is 128", sizeof ssi[0] == 128);
	report("nothing pending: EAGAIN", read(fd, ssi, sizeof ssi) == -1 && errno == EAGAIN);
	report("short buffer: EINVAL", read(fd, ssi, 64) == -1 && errno == EINVAL);

	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	report("epoll: not ready", epoll_wait(ep, &out, 1, 0) == 0);

	kill(getpid(), SIGUSR1);
	report("epoll: ready once SIGUSR1 is pending", epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 7);
	ssize_t n = read(fd, ssi, sizeof ssi);
	report("read one record", n == 128);
	report("ssi_signo", ssi[0].ssi_signo == SIGUSR1);
	report("ssi_code SI_USER", ssi[0].ssi_code == SI_USER);
	report("ssi_pid", ssi[0].ssi_pid == (uint32_t)getpid());
	report("ssi_uid", ssi[0].ssi_uid == getuid());
	report("the signal is no longer pending", read(fd, ssi, sizeof ssi) == -1 && errno == EAGAIN);
	report("epoll: not ready after the read", epoll_wait(ep, &out, 1, 0) == 0);

	union sigval v = {.sival_int = 99};
	sigqueue(getpid(), SIGRTMIN, v);
	kill(getpid(), SIGUSR2);
	n = read(fd, ssi, sizeof ssi);
	report("two records in one read", n == 256);
	report("lowest signal first", ssi[0].ssi_signo == SIGUSR2 && ssi[1].ssi_signo == (uint32_t)SIGRTMIN);
	report("sigqueue: SI_QUEUE and ssi_int", ssi[1].ssi_code == SI_QUEUE && ssi[1].ssi_int == 99 && ssi[1].ssi_pid == (uint32_t)getpid());

	// A POSIX timer's signal.
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	sev.sigev_value.sival_int = 5;
	int id;
	syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id);
	struct itimerspec its = {{0, 0}, {0, 5000000}};
	syscall(SYS_timer_settime, id, 0, &its, NULL);
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	n = read(fd, ssi, sizeof ssi);
	report("timer signal: SI_TIMER, ssi_tid, ssi_int",
	       n == 128 && ssi[0].ssi_code == SI_TIMER && (int)ssi[0].ssi_tid == id && ssi[0].ssi_int == 5 && ssi[0].ssi_overrun == 0);
	syscall(SYS_timer_delete, id);

	// A blocking read woken by another thread's kill.
	pthread_t th;
	pthread_create(&th, NULL, sender, NULL);
	n = read(fd, ssi, sizeof ssi);
	pthread_join(th, NULL);
	report("blocking read gets SIGUSR2", n == 128 && ssi[0].ssi_signo == SIGUSR2);

	// Changing the mask.
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	report("signalfd(fd, mask) returns fd", signalfd(fd, &only2, 0) == fd);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	kill(getpid(), SIGUSR1);
	report("SIGUSR1 no longer read", read(fd, ssi, sizeof ssi) == -1 && errno == EAGAIN);
	sigset_t pend;
	sigpending(&pend);
	report("SIGUSR1 still pending", sigismember(&pend, SIGUSR1));
	report("signalfd on a non-signalfd: EINVAL", signalfd(ep, &only2, 0) == -1 && errno == EINVAL);
	report("signalfd bad flags: EINVAL", signalfd(-1, &only2, 0x1) == -1 && errno == EINVAL);
	report("signalfd bad size: EINVAL", syscall(SYS_signalfd4, -1, &only2, 4, 0) == -1 && errno == EINVAL);

	printf("%s\n", failures ? "FAIL" : "ok");
	return failures != 0;
}
