// sig_restart checks how blocking syscalls end when a signal handler
// interrupts them. A worker thread blocks; the main thread sends it SIGUSR1
// with tgkill every few milliseconds until it is done (so the outcome does not
// depend on timing). Without SA_RESTART a futex wait, an eventfd read, pause
// and nanosleep fail with EINTR; with SA_RESTART the futex wait and the read
// are restarted (they then complete when the main thread wakes them), while
// nanosleep (with the time left written back), pause and epoll_wait still
// fail with EINTR, as signal(7) documents.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int handled;
static volatile int tid;
static volatile int done;
static int word;
static int efd, epfd; // efd: the worker's blocking eventfd; epfd watches another, never ready
static int which;
static long result;
static int err;
static struct timespec rem;

static void handler(int sig) { (void)sig; handled++; }

static void *worker(void *arg) {
	(void)arg;
	tid = syscall(SYS_gettid);
	switch (which) {
	case 0:
		result = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		break;
	case 1: {
		uint64_t v;
		result = read(efd, &v, sizeof v);
		break;
	}
	case 2: {
		struct timespec ts = {5, 0};
		result = nanosleep(&ts, &rem);
		break;
	}
	case 3:
		result = pause();
		break;
	case 4: {
		struct epoll_event ev;
		result = epoll_wait(epfd, &ev, 1, 5000);
		break;
	}
	}
	err = result < 0 ? errno : 0;
	__atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void run(const char *name, int w, int restart) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	which = w;
	done = 0;
	handled = 0;
	tid = 0;
	word = 0;
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	while (!tid)
		usleep(1000);
	int sent = 0;
	while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST)) {
		usleep(5000);
		if (handled >= 3 && sent >= 3 && restart && (w == 0 || w == 1)) {
			// Restarted every time: now let it complete.
			if (w == 0) {
				word = 1;
				syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
			} else {
				uint64_t one = 1;
				write(efd, &one, sizeof one);
			}
			break;
		}
		syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		sent++;
	}
	pthread_join(th, NULL);
	// A restarted futex wait that finds the word already changed fails with EAGAIN: that
	// is as good as being woken.
	if (w == 0 && err == EAGAIN)
		result = 0, err = 0;
	printf("%s%s: result=%ld errno=%s handled=%s", name, restart ? " SA_RESTART" : "", result,
	       err ? strerror(err) : "0", handled > 0 ? "yes" : "no");
	if (w == 2)
		printf(" rem_ok=%d", rem.tv_sec < 5 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
	printf("\n");
}

int main(void) {
	efd = eventfd(0, 0);
	int idle = eventfd(0, 0);
	epfd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(epfd, EPOLL_CTL_ADD, idle, &ev);
	for (int restart = 0; restart <= 1; restart++) {
		run("futex wait", 0, restart);
		run("eventfd read", 1, restart);
		run("nanosleep", 2, restart);
		run("pause", 3, restart);
		run("epoll_wait", 4, restart);
	}
	return 0;
}
