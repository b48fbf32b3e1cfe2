// jobctl checks job control (signal(7), "Stopping and continuing"; wait(2)): SIGSTOP stops
// every thread of a child, wait(WUNTRACED)/waitid(WSTOPPED) report it once (WNOWAIT leaves
// it), /proc shows state T, SIGCONT resumes (even ignored) and wait(WCONTINUED) reports it,
// SIGCHLD carries CLD_STOPPED/CLD_CONTINUED unless SA_NOCLDSTOP, pending stop signals and
// SIGCONT discard each other, interrupted syscalls restart after a stop, SIGTSTP is
// discarded in an orphaned process group, a process group orphaned with a stopped member
// gets SIGHUP and SIGCONT, and SIGKILL ends a stopped process.
//
// Children that take SIGTSTP first move to a process group of their own: the test
// program's own group is orphaned under runsc (it is init, whose parent is outside), not
// natively. Output is pid independent.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long *shm;

static void report(const char *what, int cond) { printf("%s: %s\n", what, cond ? "ok" : "FAIL"); }

static void nap(int ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

// procState returns the state letter of /proc/<pid>/stat, or '?'.
static char procState(pid_t pid) {
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

// statusState returns the State: line of /proc/<pid>/status ("T (stopped)").
static void statusState(pid_t pid, char *out, size_t len) {
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	out[0] = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *p = strstr(buf, "State:\t");
	if (!p)
		return;
	p += 7;
	size_t i = 0;
	while (p[i] && p[i] != '\n' && i + 1 < len) {
		out[i] = p[i];
		i++;
	}
	out[i] = 0;
}

static void *spin(void *arg) {
	volatile long *c = arg;
	for (;;)
		(*c)++;
	return NULL;
}

static volatile sig_atomic_t chld_codes[8], nchld;
static volatile sig_atomic_t chld_status[8];

static void on_chld(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	if (nchld < 8) {
		chld_status[nchld] = si->si_status;
		chld_codes[nchld++] = si->si_code;
	}
}

// waitCodes waits for n SIGCHLDs, 10 s at most (only a failure waits that long).
static void waitCodes(int n) {
	for (int i = 0; i < 2000 && nchld < n; i++)
		nap(5);
}

// stopContinue: a two-thread child is stopped and continued; everything the parent sees.
static void stopContinue(void) {
	shm[0] = shm[1] = shm[2] = 0;
	pid_t c = fork();
	if (c == 0) {
		pthread_t th;
		pthread_create(&th, NULL, spin, (void *)&shm[1]);
		spin((void *)&shm[0]);
	}
	while (shm[0] == 0 || shm[1] == 0)
		nap(1);
	nchld = 0;
	report("kill SIGSTOP", kill(c, SIGSTOP) == 0);
	int st = 0;
	pid_t r = waitpid(c, &st, WUNTRACED);
	report("wait(WUNTRACED) reports the stop", r == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	waitCodes(1);
	report("SIGCHLD with CLD_STOPPED", nchld >= 1 && chld_codes[0] == CLD_STOPPED && chld_status[0] == SIGSTOP);
	long a0 = shm[0], a1 = shm[1];
	nap(50);
	report("no thread runs while stopped", shm[0] == a0 && shm[1] == a1);
	report("/proc/pid/stat state T", procState(c) == 'T');
	char state[64];
	statusState(c, state, sizeof state);
	printf("/proc/pid/status State: %s\n", state);
	r = waitpid(c, &st, WUNTRACED | WNOHANG);
	report("the stop is reported once", r == 0);

	report("kill SIGCONT", kill(c, SIGCONT) == 0);
	r = waitpid(c, &st, WCONTINUED);
	report("wait(WCONTINUED) reports the continuation", r == c && WIFCONTINUED(st));
	// SIGCONT makes the stopped threads runnable in kill itself, before the parent hears.
	report("/proc state is not T once the continuation is reported", procState(c) != 'T');
	waitCodes(2);
	report("SIGCHLD with CLD_CONTINUED", nchld >= 2 && chld_codes[1] == CLD_CONTINUED && chld_status[1] == SIGCONT);
	r = waitpid(c, &st, WCONTINUED | WNOHANG);
	report("the continuation is reported once", r == 0);
	a0 = shm[0], a1 = shm[1];
	// Until both have run (a loaded machine can leave them waiting for a CPU well past 50 ms).
	for (int i = 0; i < 1000 && (shm[0] == a0 || shm[1] == a1); i++)
		nap(10);
	report("both threads run again", shm[0] != a0 && shm[1] != a1);
	report("/proc state is no longer T", procState(c) != 'T');

	// waitid: WNOWAIT leaves the stop to be reported again.
	kill(c, SIGSTOP);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int w = waitid(P_PID, c, &si, WSTOPPED | WNOWAIT);
	report("waitid WSTOPPED|WNOWAIT", w == 0 && si.si_pid == c && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP);
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, c, &si, WSTOPPED);
	report("waitid WSTOPPED again", w == 0 && si.si_pid == c && si.si_code == CLD_STOPPED);
	memset(&si, 0, sizeof si);
	w = waitid(P_PID, c, &si, WSTOPPED | WNOHANG);
	report("waitid WSTOPPED|WNOHANG then finds nothing", w == 0 && si.si_pid == 0);
	r = waitpid(c, &st, WNOHANG);
	report("a plain wait does not report stops", r == 0);

	// A stopped process dies of SIGKILL.
	kill(c, SIGKILL);
	r = waitpid(c, &st, 0);
	report("SIGKILL ends a stopped process", r == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

// noCldStop: SA_NOCLDSTOP suppresses SIGCHLD for stops and continuations, not wait.
static void noCldStop(void) {
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	nchld = 0;
	pid_t c = fork();
	if (c == 0)
		for (;;)
			pause();
	kill(c, SIGSTOP);
	int st;
	pid_t r = waitpid(c, &st, WUNTRACED);
	kill(c, SIGCONT);
	pid_t r2 = waitpid(c, &st, WCONTINUED);
	nap(20);
	report("SA_NOCLDSTOP: wait still reports", r == c && r2 == c && WIFCONTINUED(st));
	report("SA_NOCLDSTOP: no SIGCHLD", nchld == 0);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	report("SA_NOCLDSTOP: SIGCHLD for the exit", nchld == 1 && chld_codes[0] == CLD_KILLED);
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
}

// restart: a read and a nanosleep interrupted by a stop resume after SIGCONT.
static void restart(void) {
	int p[2], q[2];
	pipe(p);
	pipe(q);
	shm[0] = 0;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		char b[8];
		shm[0] = 1;
		ssize_t n = read(p[0], b, sizeof b);
		int e = errno;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		shm[0] = 2;
		struct timespec ts = {0, 300 * 1000000L};
		int s = nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		char out[64];
		int len = snprintf(out, sizeof out, "%zd %d %d %d", n, n < 0 ? e : 0, s, ms >= 300);
		write(q[1], out, len);
		_exit(0);
	}
	while (shm[0] != 1)
		nap(1);
	nap(20);
	int st;
	kill(c, SIGTSTP);
	pid_t r = waitpid(c, &st, WUNTRACED);
	report("SIGTSTP stops a child blocked in read", r == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
	kill(c, SIGCONT);
	waitpid(c, &st, WCONTINUED);
	nap(20);
	write(p[1], "hi", 2);
	while (shm[0] != 2)
		nap(1);
	nap(50);
	kill(c, SIGSTOP);
	waitpid(c, &st, WUNTRACED);
	nap(50);
	kill(c, SIGCONT);
	char out[64] = {0};
	read(q[0], out, sizeof out - 1);
	waitpid(c, &st, 0);
	printf("read after stop/continue, then nanosleep (n errno ret slept-enough): %s\n", out);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static volatile sig_atomic_t got_cont;
static void on_cont(int sig) { got_cont = sig; }

// discards: pending stop signals and SIGCONT discard each other; SIGCONT resumes when ignored.
static void discards(void) {
	int p[2];
	pipe(p);
	shm[0] = 0;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		signal(SIGCONT, on_cont);
		sigset_t set, pend;
		sigemptyset(&set);
		sigaddset(&set, SIGTSTP);
		sigaddset(&set, SIGCONT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		shm[0] = 1;
		while (shm[0] != 2)
			nap(1);
		sigpending(&pend);
		int a = sigismember(&pend, SIGTSTP), b = sigismember(&pend, SIGCONT);
		shm[0] = 3;
		while (shm[0] != 4)
			nap(1);
		sigpending(&pend);
		int c2 = sigismember(&pend, SIGTSTP), d = sigismember(&pend, SIGCONT);
		char out[64];
		int len = snprintf(out, sizeof out, "%d %d %d %d", a, b, c2, d);
		write(p[1], out, len);
		_exit(0);
	}
	while (shm[0] != 1)
		nap(1);
	kill(c, SIGCONT);
	kill(c, SIGTSTP); // discards the pending SIGCONT
	shm[0] = 2;
	while (shm[0] != 3)
		nap(1);
	kill(c, SIGCONT); // discards the pending SIGTSTP
	shm[0] = 4;
	char out[64] = {0};
	read(p[0], out, sizeof out - 1);
	int st;
	waitpid(c, &st, 0);
	printf("pending TSTP CONT after TSTP, after CONT: %s\n", out);
	close(p[0]), close(p[1]);

	// SIGCONT continues a child that ignores it, and runs a handler once continued.
	for (int ign = 1; ign >= 0; ign--) {
		shm[0] = 0;
		c = fork();
		if (c == 0) {
			got_cont = 0;
			signal(SIGCONT, ign ? SIG_IGN : on_cont);
			shm[0] = 1;
			while (!got_cont)
				nap(1);
			while (shm[0] != 2) // until the parent has seen the continuation
				nap(1);
			_exit(got_cont);
		}
		while (shm[0] != 1)
			nap(1);
		kill(c, SIGSTOP);
		waitpid(c, &st, WUNTRACED);
		kill(c, SIGCONT);
		pid_t r = waitpid(c, &st, WCONTINUED);
		printf("SIGCONT %s: continued %d\n", ign ? "ignored" : "handled", r == c && WIFCONTINUED(st));
		shm[0] = 2;
		if (!ign) {
			waitpid(c, &st, 0);
			report("the SIGCONT handler ran", WIFEXITED(st) && WEXITSTATUS(st) == SIGCONT);
		} else {
			kill(c, SIGKILL);
			waitpid(c, &st, 0);
		}
	}
}

// orphans: SIGTSTP is discarded in an orphaned process group (SIGSTOP is not), and a group
// orphaned while a member is stopped gets SIGHUP then SIGCONT.
static volatile sig_atomic_t got_hup;
static void on_hup(int sig) { got_hup = sig; }

static void orphans(void) {
	int st;
	pid_t c = fork();
	if (c == 0) {
		setsid(); // a new session: the group's parent is outside it
		raise(SIGTSTP);
		raise(SIGTTIN);
		raise(SIGTTOU);
		_exit(7);
	}
	pid_t r = waitpid(c, &st, WUNTRACED);
	report("SIGTSTP/SIGTTIN/SIGTTOU discarded in an orphaned group", r == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	c = fork();
	if (c == 0) {
		setsid();
		raise(SIGSTOP);
		_exit(8);
	}
	r = waitpid(c, &st, WUNTRACED);
	report("SIGSTOP still stops in an orphaned group", r == c && WIFSTOPPED(st));
	kill(c, SIGCONT);
	waitpid(c, &st, 0);
	report("and it continues", WIFEXITED(st) && WEXITSTATUS(st) == 8);

	// Q leads a session; its child M leads a group in it, with a grandchild G that stops.
	// When M exits, G's group has no parent in the session left (G is adopted by this
	// process, a subreaper in another session): SIGHUP, then SIGCONT.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int p[2];
	pipe(p);
	shm[0] = 0;
	pid_t q = fork();
	if (q == 0) {
		setsid();
		pid_t m = fork();
		if (m == 0) {
			setpgid(0, 0);
			pid_t g = fork();
			if (g == 0) {
				got_hup = 0;
				signal(SIGHUP, on_hup);
				raise(SIGSTOP);
				char out[32];
				int len = snprintf(out, sizeof out, "hup=%d", got_hup == SIGHUP);
				write(p[1], out, len);
				_exit(0);
			}
			int s;
			waitpid(g, &s, WUNTRACED);
			shm[0] = WIFSTOPPED(s);
			_exit(0);
		}
		waitpid(m, NULL, 0);
		_exit(0);
	}
	waitpid(q, NULL, 0);
	char out[32] = {0};
	read(p[0], out, sizeof out - 1);
	printf("grandchild stopped: %ld; orphaned group woken: %s\n", shm[0], out);
	while (waitpid(-1, NULL, 0) > 0) {
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	close(p[0]), close(p[1]);
}

// threadStop: SIGSTOP sent to one thread (tgkill) stops the whole process, and a thread
// that stops itself with raise(SIGTSTP) stops it too.
static void threadStop(void) {
	shm[0] = shm[1] = shm[2] = 0;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		pthread_t th;
		pthread_create(&th, NULL, spin, (void *)&shm[1]);
		shm[2] = syscall(SYS_gettid) + 1; // not the spinning thread: the main one
		spin((void *)&shm[0]);
	}
	while (shm[0] == 0 || shm[1] == 0)
		nap(1);
	int st;
	kill(c, SIGTSTP);
	pid_t r = waitpid(c, &st, WUNTRACED);
	long a0 = shm[0], a1 = shm[1];
	nap(50);
	report("SIGTSTP stops a process of two threads", r == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP &&
	                                                     shm[0] == a0 && shm[1] == a1);
	kill(c, SIGCONT);
	waitpid(c, &st, WCONTINUED);
	r = syscall(SYS_tgkill, c, c, SIGSTOP);
	pid_t w = waitpid(c, &st, WUNTRACED);
	a0 = shm[0], a1 = shm[1];
	nap(50);
	report("tgkill SIGSTOP stops every thread", r == 0 && w == c && WIFSTOPPED(st) && shm[0] == a0 && shm[1] == a1);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);

	stopContinue();
	noCldStop();
	restart();
	discards();
	orphans();
	threadStop();
	return 0;
}
