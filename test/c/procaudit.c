// procaudit covers process and waiting behaviours the other programs leave out: stack
// overflow caught on an alternate stack, clock_nanosleep with TIMER_ABSTIME, a pipe read
// interrupted by an interval timer (EINTR without SA_RESTART, restarted with it), raw wait
// statuses of processes killed by signals, __WALL/__WCLONE for a child whose exit signal is
// 0, SA_NOCLDWAIT, SIGTRAP's siginfo, rt_sigqueueinfo's EPERM, epoll EPOLLONESHOT, EPOLLET,
// EPOLLEXCLUSIVE and epoll_pwait2, eventfd's semaphore mode, TFD_TIMER_CANCEL_ON_SET,
// FUTEX_WAIT_BITSET/WAKE_BITSET and the 256-byte #! line rule of execve.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *en(long r) {
	if (r >= 0) return "ok";
	switch (errno) {
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case ECHILD: return "ECHILD";
	case EPERM: return "EPERM";
	case ENOEXEC: return "ENOEXEC";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOENT: return "ENOENT";
	default: return "other";
	}
}

static void on_alarm(int sig) { (void)sig; }

// arm_when_blocked: a thread (SIGALRM blocked, so that the signal goes to the main thread)
// arms ITIMER_REAL for usec once the main thread is blocked. Armed by the main thread
// before it blocks, the timer could fire first on a loaded machine, interrupting nothing.
static long alarm_usec;
static int alarm_fired_fd = -1, alarm_data_fd = -1;

static void *arm_when_blocked(void *arg) {
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	wait_sleeping(0, getpid());
	struct itimerval it = {.it_value = {.tv_usec = alarm_usec}};
	setitimer(ITIMER_REAL, &it, NULL);
	if (alarm_fired_fd >= 0) {
		// Once the handler has run the read's outcome is settled: the data goes in only
		// then (earlier, the read would take it instead of failing with EINTR), or after
		// 10 s if the signal never comes, so that the read ends.
		struct pollfd pf = {.fd = alarm_fired_fd, .events = POLLIN};
		poll(&pf, 1, 10000);
		write(alarm_data_fd, "late", 4);
	}
	return NULL;
}

static pthread_t start_alarm(long usec) {
	pthread_t th;
	alarm_usec = usec;
	pthread_create(&th, NULL, arm_when_blocked, NULL);
	return th;
}

static int fired_w = -1;

static void on_alarm_note(int sig) {
	(void)sig;
	write(fired_w, "f", 1);
}

// timer_pipe: SIGALRM from setitimer interrupts a blocked pipe read.
static void timer_pipe(void) {
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = {.sa_handler = on_alarm_note, .sa_flags = restart ? SA_RESTART : 0};
		sigaction(SIGALRM, &sa, NULL);
		int p[2], f[2];
		pipe(p);
		pipe(f);
		fired_w = f[1];
		alarm_fired_fd = f[0];
		alarm_data_fd = p[1];
		pthread_t th = start_alarm(50000);
		char buf[8];
		ssize_t n = read(p[0], buf, sizeof buf);
		printf("timer-interrupted pipe read, SA_RESTART=%d: %s %zd\n", restart, en(n), n);
		pthread_join(th, NULL);
		alarm_fired_fd = alarm_data_fd = fired_w = -1;
		close(p[0]);
		close(p[1]);
		close(f[0]);
		close(f[1]);
	}
	signal(SIGALRM, SIG_DFL);
}

// statuses: the raw wait status of a child ended by each signal's default action (no core is
// written: RLIMIT_CORE is 0, so the core bit stays clear, natively and in the sandbox).
static void statuses(void) {
	int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1, SIGQUIT, SIGSEGV, SIGABRT, SIGALRM};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		pid_t c = fork();
		if (c == 0) {
			struct rlimit rl = {0, 0};
			setrlimit(RLIMIT_CORE, &rl);
			// The default action, even if the test was started with the signal ignored
			// (nohup ignores SIGHUP, and ignored dispositions survive execve).
			signal(sigs[i], SIG_DFL);
			raise(sigs[i]);
			_exit(99);
		}
		int st;
		waitpid(c, &st, 0);
		printf("killed by %d: status=0x%x signaled=%d termsig=%d core=%d\n", sigs[i], st,
		       WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st));
	}
}

static int clone_child(void *arg) { return (int)(intptr_t)arg; }

// wall: a child with exit signal 0 is a "clone" child: plain waitpid ignores it (ECHILD),
// __WCLONE or __WALL finds it.
static void wall(void) {
	size_t sz = 64 * 1024;
	char *stack = malloc(sz);
	pid_t c = clone(clone_child, stack + sz, 0, (void *)(intptr_t)5);
	wait_state(c, 0, 'Z'); // exited: WNOHANG finds it (a sleep was outrun under load)
	int st = 0;
	long r = waitpid(c, &st, WNOHANG);
	printf("waitpid clone child: %s\n", en(r));
	r = waitpid(c, &st, __WCLONE | WNOHANG);
	printf("waitpid __WCLONE: %s same=%d exit=%d\n", en(r), r == c, WEXITSTATUS(st));
	c = clone(clone_child, stack + sz, 0, (void *)(intptr_t)6);
	r = waitpid(c, &st, __WALL);
	printf("waitpid __WALL: %s same=%d exit=%d\n", en(r), r == c, WEXITSTATUS(st));
	pid_t f = fork();
	if (f == 0) _exit(7);
	r = waitpid(f, &st, __WCLONE);
	printf("waitpid __WCLONE on a fork child: %s\n", en(r));
	r = waitpid(f, &st, __WALL);
	printf("waitpid __WALL on a fork child: same=%d exit=%d\n", r == f, WEXITSTATUS(st));
	r = waitpid(-1, &st, 0x10000000 /* invalid option bit */);
	printf("waitpid bad option: %s\n", en(r));
	free(stack);
}

// nocldwait: with SA_NOCLDWAIT children are reaped at exit; wait blocks until all are gone,
// then fails with ECHILD.
static void nocldwait(void) {
	struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < 3; i++)
		if (fork() == 0) {
			usleep(20000 * (i + 1));
			_exit(i);
		}
	int st;
	long r = wait(&st);
	printf("SA_NOCLDWAIT wait: %s\n", en(r));
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
}

static sigjmp_buf jb;
static volatile int trap_signo, trap_code;

static void on_trap(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	trap_signo = sig;
	trap_code = si->si_code;
	siglongjmp(jb, 1);
}

// trap: int3 raises SIGTRAP with si_code SI_KERNEL, as on x86 Linux.
static void trap(void) {
	struct sigaction sa = {.sa_sigaction = on_trap, .sa_flags = SA_SIGINFO};
	sigaction(SIGTRAP, &sa, NULL);
	if (sigsetjmp(jb, 1) == 0) {
		__asm__ volatile("int3");
		printf("int3 returned\n");
	}
	printf("int3: signo=%d code=%d\n", trap_signo, trap_code);
	signal(SIGTRAP, SIG_DFL);
}

// sigqueue_perm: rt_sigqueueinfo to another process with si_code >= 0 (as kill would send)
// is refused; SI_QUEUE is allowed.
static void sigqueue_perm(void) {
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	long r = syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si);
	printf("rt_sigqueueinfo SI_USER to another: %s\n", en(r));
	si.si_code = SI_TKILL;
	r = syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si);
	printf("rt_sigqueueinfo SI_TKILL to another: %s\n", en(r));
	si.si_code = SI_QUEUE;
	r = syscall(SYS_rt_sigqueueinfo, c, SIGTERM, &si);
	int st;
	waitpid(c, &st, 0);
	printf("rt_sigqueueinfo SI_QUEUE: %s, child termsig=%d\n", en(r), WTERMSIG(st));
}

static int ready(int ep, int timeout) {
	struct epoll_event out[4];
	return epoll_wait(ep, out, 4, timeout);
}

static void epoll_modes(void) {
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int e1 = eventfd(1, EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = 1};
	epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev);
	int first = ready(ep, 0), second = ready(ep, 0);
	printf("oneshot: first=%d second=%d", first, second);
	epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev);
	printf(" rearmed=%d\n", ready(ep, 0));
	epoll_ctl(ep, EPOLL_CTL_DEL, e1, NULL);

	int p[2];
	pipe2(p, O_NONBLOCK);
	write(p[1], "a", 1);
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u32 = 2};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	int a = ready(ep, 0), b = ready(ep, 0);
	write(p[1], "b", 1);
	printf("edge: first=%d again=%d after-write=%d\n", a, b, ready(ep, 0));
	epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);

	ev = (struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = 3};
	long r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	printf("exclusive add: %s ready=%d", en(r), ready(ep, 0));
	r = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
	printf(" mod: %s", en(r));
	epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	printf(" with oneshot: %s", en(r));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	r = epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev);
	printf(" mod unknown fd: %s\n", en(r));

	int e2 = eventfd(0, EFD_NONBLOCK);
	ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 4};
	epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev);
	struct epoll_event out[2];
	struct timespec ts = {0, 20 * 1000 * 1000};
	r = syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8);
	printf("pwait2 timeout: %s %ld", en(r), r);
	ts.tv_nsec = -1;
	r = syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8);
	printf(" bad timespec: %s", en(r));
	uint64_t one = 1;
	write(e2, &one, 8);
	r = syscall(SYS_epoll_pwait2, ep, out, 2, NULL, NULL, 8);
	printf(" ready: %ld data=%u\n", r, r == 1 ? out[0].data.u32 : 0);
	close(e1);
	close(e2);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void semaphore(void) {
	int e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t v = 0;
	for (int i = 0; i < 4; i++) {
		v = 0;
		long r = read(e, &v, 8);
		printf("semaphore read %d: %s %llu\n", i, en(r), (unsigned long long)v);
	}
	v = 2;
	write(e, &v, 8);
	read(e, &v, 8);
	printf("after write 2, read gives %llu\n", (unsigned long long)v);
	close(e);
}

static void cancel_on_set(void) {
	int fd = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 20 * 1000 * 1000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	struct itimerspec its = {.it_value = now};
	long r = timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
	uint64_t n = 0;
	long rr = read(fd, &n, 8);
	printf("cancel-on-set timer: settime %s, read %s expirations=%llu\n", en(r), en(rr), (unsigned long long)n);
	r = timerfd_settime(fd, 0x100, &its, NULL);
	printf("timerfd_settime bad flag: %s\n", en(r));
	close(fd);
}

static int fword;
static volatile int woke;

static void *bitset_waiter(void *arg) {
	(void)arg;
	syscall(SYS_futex, &fword, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0x1);
	woke = 1;
	return NULL;
}

static void bitset(void) {
	long r = syscall(SYS_futex, &fword, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0x1);
	printf("wait_bitset wrong value: %s\n", en(r));
	r = syscall(SYS_futex, &fword, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0);
	printf("wait_bitset zero mask: %s\n", en(r));
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 10 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	r = syscall(SYS_futex, &fword, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	printf("wait_bitset absolute timeout: %s\n", en(r));
	pthread_t th;
	pthread_create(&th, NULL, bitset_waiter, NULL);
	long woken = 0;
	for (int i = 0; i < 2000 && woken == 0; i++) { // until the waiter sleeps (10 s at most)
		usleep(5000);
		long miss = syscall(SYS_futex, &fword, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x2);
		if (miss != 0) printf("wake_bitset other bits woke %ld\n", miss);
		woken = syscall(SYS_futex, &fword, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x3);
	}
	pthread_join(th, NULL);
	printf("wake_bitset matching: woken=%ld woke=%d\n", woken, woke);
}

// shebang: the #! line is read from the first 256 bytes. A long argument is cut there; an
// interpreter path that does not end within them gives ENOEXEC.
static void shebang(void) {
	char path[64];
	snprintf(path, sizeof path, "/tmp/procaudit-%d", getpid());
	char line[400];
	int n = snprintf(line, sizeof line, "#!/bin/echo ");
	for (; n < 300; n++) line[n] = 'a' + n % 26;
	line[n++] = '\n';
	for (int k = 0; k < 2; k++) {
		if (k == 1) { // the interpreter path itself runs past 256 bytes
			n = snprintf(line, sizeof line, "#!/");
			while (n < 300) line[n++] = '/';
			n += snprintf(line + n, sizeof line - n, "bin/echo\n");
		}
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		write(fd, line, n);
		close(fd);
		int p[2];
		pipe(p);
		pid_t c = fork();
		if (c == 0) {
			dup2(p[1], 1);
			char *argv[] = {path, NULL};
			execv(path, argv);
			printf("execve: %s\n", en(-1));
			_exit(1);
		}
		close(p[1]);
		char out[600];
		ssize_t got = 0, m;
		while ((m = read(p[0], out + got, sizeof out - 1 - got)) > 0) got += m;
		out[got] = 0;
		close(p[0]);
		int st;
		waitpid(c, &st, 0);
		// echo prints the cut argument and then the script path; drop the path.
		char *sp = strstr(out, " /tmp/procaudit-");
		if (sp) *sp = 0;
		printf("shebang %d: len=%zu status=%d %s\n", k, strlen(out), WEXITSTATUS(st), out);
	}
	unlink(path);
}

static volatile int seg_onstack, seg_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	stack_t cur;
	sigaltstack(NULL, &cur);
	seg_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
	seg_code = si->si_code;
	siglongjmp(jb, 1);
}

static volatile int depth_limit = 1 << 30; // volatile: the recursion is not provably endless

static int recurse(int n) {
	volatile char pad[512];
	pad[0] = (char)n;
	return n < depth_limit ? recurse(n + 1) + pad[0] : 0;
}

// overflow: a stack overflow raises SIGSEGV; a handler on the alternate stack recovers with
// siglongjmp, and without an alternate stack the process dies of SIGSEGV.
static void overflow(void) {
	for (int alt = 1; alt >= 0; alt--) {
		pid_t c = fork();
		if (c == 0) {
			struct rlimit rl = {0, 0};
			setrlimit(RLIMIT_CORE, &rl);
			if (alt) {
				stack_t ss = {.ss_sp = malloc(SIGSTKSZ * 4), .ss_size = SIGSTKSZ * 4};
				sigaltstack(&ss, NULL);
			}
			struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK};
			sigaction(SIGSEGV, &sa, NULL);
			if (sigsetjmp(jb, 1) == 0) recurse(0);
			printf("overflow recovered: on altstack=%d code=%d\n", seg_onstack, seg_code);
			_exit(0);
		}
		int st;
		waitpid(c, &st, 0);
		printf("overflow with altstack=%d: exited=%d signaled=%d sig=%d\n", alt, WIFEXITED(st),
		       WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
}

// abssleep: clock_nanosleep with TIMER_ABSTIME sleeps until the deadline, returns at once
// for a past one, and ends with EINTR (returned, not in errno) when a handler interrupts it.
static void abssleep(void) {
	struct timespec t0, t1, dl;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dl = t0;
	dl.tv_nsec += 30 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int late = t1.tv_sec > dl.tv_sec || (t1.tv_sec == dl.tv_sec && t1.tv_nsec >= dl.tv_nsec);
	printf("abs sleep: r=%d reached=%d", r, late);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t0, NULL);
	printf(" past: r=%d", r);
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	pthread_t th = start_alarm(20000);
	dl.tv_sec += 5;
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
	pthread_join(th, NULL);
	printf(" interrupted: %s\n", r == EINTR ? "EINTR" : "other");
	dl.tv_nsec = 1000000000;
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
	printf("abs sleep bad timespec: %s\n", r == EINVAL ? "EINVAL" : "other");
	signal(SIGALRM, SIG_DFL);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	overflow();
	abssleep();
	timer_pipe();
	statuses();
	wall();
	nocldwait();
	trap();
	sigqueue_perm();
	epoll_modes();
	semaphore();
	cancel_on_set();
	bitset();
	shebang();
	return 0;
}
