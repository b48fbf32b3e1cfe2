// lock exercises advisory locks on a file in a fresh mkdtemp directory under /tmp:
// flock(2) conflicts between open file descriptions (across fork, with LOCK_NB), release on
// the last close, shared locks; fcntl(2) record locks across fork (F_GETLK reporting the
// holder, range splitting, l_whence/negative and zero lengths), their release when the
// process closes (or dup2s over) another descriptor of the file; OFD locks; F_SETLKW and
// flock waiting for the holder, EINTR from a handler without SA_RESTART, and EDEADLK for a
// two-process cycle.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

static char path[64];

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static int lk(int fd, int cmd, short type, short whence, off_t start, off_t len) {
	struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

static const char *tname(short t) {
	return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?";
}

// getlk prints what F_GETLK (or F_OFD_GETLK) says about a lock of type over [start, +len).
static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len, pid_t holder) {
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	if (fcntl(fd, cmd, &fl) < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	if (fl.l_type == F_UNLCK) {
		printf("%s: UN\n", what);
		return;
	}
	printf("%s: %s start=%ld len=%ld pid=%s\n", what, tname(fl.l_type), (long)fl.l_start,
	       (long)fl.l_len, fl.l_pid == holder ? "holder" : fl.l_pid == -1 ? "-1" : "other");
}

static int wait_child(pid_t pid) {
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_flock(void) {
	int a = open(path, O_RDWR);
	printf("flock EX: %s\n", en(flock(a, LOCK_EX)));
	printf("flock EX again: %s\n", en(flock(a, LOCK_EX)));
	pid_t pid = fork();
	if (pid == 0) {
		int b = open(path, O_RDONLY);
		printf("child flock EX|NB: %s\n", en(flock(b, LOCK_EX | LOCK_NB)));
		printf("child flock SH|NB: %s\n", en(flock(b, LOCK_SH | LOCK_NB)));
		printf("child flock inherited EX|NB: %s\n", en(flock(a, LOCK_EX | LOCK_NB)));
		_exit(0);
	}
	wait_child(pid);
	int d = dup(a);
	close(a);
	int b = open(path, O_RDONLY);
	printf("after closing one dup, EX|NB: %s\n", en(flock(b, LOCK_EX | LOCK_NB)));
	close(d);
	printf("after the last close, EX|NB: %s\n", en(flock(b, LOCK_EX | LOCK_NB)));
	printf("UN: %s\n", en(flock(b, LOCK_UN)));
	int c = open(path, O_RDONLY);
	printf("SH: %s\n", en(flock(b, LOCK_SH | LOCK_NB)));
	printf("second SH: %s\n", en(flock(c, LOCK_SH | LOCK_NB)));
	int e = open(path, O_RDONLY);
	printf("EX over SH: %s\n", en(flock(e, LOCK_EX | LOCK_NB)));
	printf("upgrade with another SH: %s\n", en(flock(c, LOCK_EX | LOCK_NB)));
	printf("bad op: %s\n", en(flock(e, 0)));
	close(b);
	close(c);
	printf("EX after closes: %s\n", en(flock(e, LOCK_EX | LOCK_NB)));
	close(e);

	// A blocked LOCK_EX waits for the holder.
	a = open(path, O_RDONLY);
	flock(a, LOCK_EX);
	int p[2];
	pipe2(p, O_NONBLOCK);
	pid = fork();
	if (pid == 0) {
		int b = open(path, O_RDONLY);
		int r = flock(b, LOCK_EX);
		write(p[1], r == 0 ? "y" : "n", 1);
		_exit(0);
	}
	wait_sleeping(pid, 0);
	char ch;
	printf("flock waiter before release: %s\n", en(read(p[0], &ch, 1)));
	flock(a, LOCK_UN);
	wait_child(pid);
	ch = '?';
	read(p[0], &ch, 1);
	printf("flock waiter after release: %c\n", ch);
	close(a);
	close(p[0]);
	close(p[1]);
}

static void test_posix(void) {
	pid_t me = getpid();
	int f = open(path, O_RDWR);
	printf("F_SETLK WR [0,10): %s\n", en(lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
	printf("F_SETLK RD [20,30): %s\n", en(lk(f, F_SETLK, F_RDLCK, SEEK_SET, 20, 10)));
	getlk("own lock does not conflict", f, F_GETLK, F_WRLCK, 0, 100, me);
	pid_t pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		getlk("child GETLK WR [5,6)", g, F_GETLK, F_WRLCK, 5, 1, me);
		getlk("child GETLK RD [25,26)", g, F_GETLK, F_RDLCK, 25, 1, me);
		getlk("child GETLK WR [25,26)", g, F_GETLK, F_WRLCK, 25, 1, me);
		getlk("child GETLK WR [10,20)", g, F_GETLK, F_WRLCK, 10, 10, me);
		getlk("child GETLK WR [15,EOF)", g, F_GETLK, F_WRLCK, 15, 0, me);
		printf("child SETLK WR [5,6): %s\n", en(lk(g, F_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
		printf("child SETLK RD [20,25): %s\n", en(lk(g, F_SETLK, F_RDLCK, SEEK_SET, 20, 5)));
		printf("child SETLK WR [10,20): %s\n", en(lk(g, F_SETLK, F_WRLCK, SEEK_SET, 10, 10)));
		_exit(0);
	}
	wait_child(pid);
	// Splitting: unlock the middle of [0,10).
	printf("F_SETLK UN [3,7): %s\n", en(lk(f, F_SETLK, F_UNLCK, SEEK_SET, 3, 4)));
	// Whence and lengths: SEEK_CUR with a negative length, SEEK_END with length 0.
	lseek(f, 60, SEEK_SET);
	printf("F_SETLK WR cur-10..cur: %s\n", en(lk(f, F_SETLK, F_WRLCK, SEEK_CUR, 0, -10)));
	ftruncate(f, 100);
	printf("F_SETLK RD end..EOF: %s\n", en(lk(f, F_SETLK, F_RDLCK, SEEK_END, 0, 0)));
	printf("negative start: %s\n", en(lk(f, F_SETLK, F_WRLCK, SEEK_SET, -1, 5)));
	printf("bad type: %s\n", en(lk(f, F_SETLK, 7, SEEK_SET, 0, 5)));
	printf("bad whence: %s\n", en(lk(f, F_SETLK, F_RDLCK, 9, 0, 5)));
	int ro = open(path, O_RDONLY);
	printf("WR on O_RDONLY: %s\n", en(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 200, 5)));
	pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		getlk("child GETLK WR [4,5) after split", g, F_GETLK, F_WRLCK, 4, 1, me);
		getlk("child GETLK WR [0,5) after split", g, F_GETLK, F_WRLCK, 0, 5, me);
		getlk("child GETLK WR [5,10) after split", g, F_GETLK, F_WRLCK, 5, 5, me);
		getlk("child GETLK WR [45,55)", g, F_GETLK, F_WRLCK, 45, 10, me);
		getlk("child GETLK WR [1000,1001)", g, F_GETLK, F_WRLCK, 1000, 1, me);
		getlk("child GETLK RD [1000,1001)", g, F_GETLK, F_RDLCK, 1000, 1, me);
		_exit(0);
	}
	wait_child(pid);
	// Closing another descriptor of the file drops all of the process's locks on it.
	close(ro);
	pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		getlk("child GETLK after close of another fd", g, F_GETLK, F_WRLCK, 0, 0, me);
		_exit(0);
	}
	wait_child(pid);

	// So does dup2 over another descriptor of the file.
	lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	int x = open(path, O_RDONLY), y = open("/dev/null", O_RDONLY);
	dup2(y, x);
	close(y);
	pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		getlk("child GETLK after dup2 over another fd", g, F_GETLK, F_WRLCK, 0, 0, me);
		_exit(0);
	}
	wait_child(pid);
	close(x);

	// F_SETLKW waits for the holder; a two-process cycle is EDEADLK.
	lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
	int p[2], ready[2];
	pipe2(p, O_NONBLOCK);
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		lk(g, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
		write(ready[1], "r", 1);
		int r = lk(g, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		write(p[1], r == 0 ? "y" : "n", 1);
		_exit(0);
	}
	char ch;
	read(ready[0], &ch, 1); // the child holds [1,2); wait until it blocks on [0,1)
	wait_sleeping(pid, 0);
	printf("SETLKW waiter before release: %s\n", en(read(p[0], &ch, 1)));
	printf("SETLKW into a cycle: %s\n", en(lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1)));
	lk(f, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
	wait_child(pid);
	ch = '?';
	read(p[0], &ch, 1);
	printf("SETLKW waiter after release: %c\n", ch);
	close(p[0]);
	close(p[1]);
	close(ready[0]);
	close(ready[1]);
	close(f);
}

static void on_alarm(int sig) { (void)sig; }

// A signal whose handler lacks SA_RESTART interrupts blocked waits with EINTR.
static void test_interrupt(void) {
	int f = open(path, O_RDWR);
	lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
	flock(f, LOCK_EX);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_alarm};
		sigaction(SIGALRM, &sa, NULL);
		int g = open(path, O_RDWR);
		// A repeating timer, so that a signal arriving just before the wait starts is not
		// the only one.
		struct itimerval it = {.it_value = {.tv_usec = 100000}, .it_interval = {.tv_usec = 100000}};
		setitimer(ITIMER_REAL, &it, NULL);
		printf("child SETLKW interrupted: %s\n", en(lk(g, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1)));
		printf("child flock interrupted: %s\n", en(flock(g, LOCK_EX)));
		struct itimerval off = {0};
		setitimer(ITIMER_REAL, &off, NULL);
		_exit(0);
	}
	wait_child(pid);
	close(f);
}

static void test_ofd(void) {
	int a = open(path, O_RDWR), b = open(path, O_RDWR);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10, .l_pid = 1};
	printf("OFD with l_pid set: %s\n", en(fcntl(a, F_OFD_SETLK, &fl)));
	printf("OFD WR [0,10) on a: %s\n", en(lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
	printf("OFD WR [5,6) on b: %s\n", en(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
	getlk("OFD GETLK on b", b, F_OFD_GETLK, F_RDLCK, 0, 0, -2);
	printf("POSIX WR [5,6) vs OFD: %s\n", en(lk(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
	printf("OFD RD [20,30) on b: %s\n", en(lk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 20, 10)));
	close(b);
	b = open(path, O_RDWR);
	printf("OFD WR [5,6) after closing the other: %s\n", en(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
	printf("OFD WR [20,21) after its owner closed: %s\n", en(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 20, 1)));
	pid_t pid = fork();
	if (pid == 0) {
		int g = open(path, O_RDWR);
		printf("child OFD WR [0,1) over inherited OFD lock: %s\n", en(lk(g, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
		printf("child inherited fd OFD WR [0,1): %s\n", en(lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
		_exit(0);
	}
	wait_child(pid);
	close(a);
	printf("OFD WR [0,1) after the last close: %s\n", en(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
	close(b);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/tmp/lockXXXXXX";
	if (!mkdtemp(dir)) return 1;
	snprintf(path, sizeof path, "%s/f", dir);
	close(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	test_flock();
	test_posix();
	test_interrupt();
	test_ofd();
	unlink(path);
	rmdir(dir);
	return 0;
}
