// pipe exercises pipe(2)/pipe2(2) (pipe(7)): data, EOF, EPIPE with SIGPIPE (handled, and
// killing a child by default), O_NONBLOCK, capacity and F_SETPIPE_SZ/F_GETPIPE_SZ, FIONREAD,
// fstat, O_DIRECT packets, PIPE_BUF atomicity between two writer processes, and a
// parent -> child -> parent pipeline through dup2. It prints only values that are the same
// on every Linux.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char *en(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig) { got_sigpipe = sig; }

static ssize_t readall(int fd, char *buf, size_t n) {
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, buf + done, n - done);
		if (r <= 0) return r < 0 ? -1 : (ssize_t)done;
		done += r;
	}
	return done;
}

static void basic(void) {
	int p[2];
	char buf[64];
	printf("pipe: %s\n", en(pipe(p)));
	printf("write: %zd\n", write(p[1], "hello", 5));
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("read: %zd %.*s\n", n, (int)n, buf);
	printf("read on write end: %s\n", en(read(p[1], buf, 1)));
	printf("write on read end: %s\n", en(write(p[0], "x", 1)));
	printf("lseek: %s\n", en(lseek(p[0], 0, SEEK_SET)));
	printf("zero write: %zd\n", write(p[1], "", 0));
	struct stat st;
	fstat(p[0], &st);
	printf("fstat: fifo=%d mode=%o nlink=%lu size=%ld\n", S_ISFIFO(st.st_mode), st.st_mode & 0777,
	       (unsigned long)st.st_nlink, (long)st.st_size);
	struct stat st2;
	fstat(p[1], &st2);
	printf("same inode: %d\n", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	printf("F_GETFL read end: %o write end: %o\n", fcntl(p[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK),
	       fcntl(p[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	write(p[1], "abc", 3);
	close(p[1]);
	n = read(p[0], buf, sizeof buf);
	printf("after close of writer: %zd, then %zd\n", n, read(p[0], buf, sizeof buf));
	close(p[0]);

	printf("pipe2 bad flags: %s\n", en(pipe2(p, O_APPEND)));
	printf("pipe2 cloexec: %s\n", en(pipe2(p, O_CLOEXEC | O_NONBLOCK)));
	printf("FD_CLOEXEC: %d %d O_NONBLOCK: %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD),
	       (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	printf("empty non-blocking read: %s\n", en(read(p[0], buf, 1)));
	close(p[0]);
	close(p[1]);
}

static void epipe(void) {
	int p[2];
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, on_sigpipe);
	const char *r = en(write(p[1], "x", 1));
	printf("write without readers: %s, SIGPIPE=%d\n", r, got_sigpipe == SIGPIPE);
	signal(SIGPIPE, SIG_IGN);
	got_sigpipe = 0;
	r = en(write(p[1], "x", 1));
	printf("ignored: %s, SIGPIPE=%d\n", r, got_sigpipe);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);

	pipe(p);
	close(p[0]);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	int status;
	waitpid(c, &status, 0);
	printf("child killed: %d by %d (status %d)\n", WIFSIGNALED(status), WTERMSIG(status),
	       WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
	close(p[1]);
}

static void capacity(void) {
	int p[2];
	pipe2(p, O_NONBLOCK);
	printf("F_GETPIPE_SZ: %d\n", fcntl(p[1], F_GETPIPE_SZ));
	char *big = calloc(1, 1 << 21);
	ssize_t total = 0, n;
	while ((n = write(p[1], big, 1000)) > 0) total += n;
	printf("filled with 1000-byte writes: %zd (%s)\n", total, en(n));
	int q;
	ioctl(p[0], FIONREAD, &q);
	printf("FIONREAD: %d\n", q);
	printf("shrink below content: %s\n", en(fcntl(p[1], F_SETPIPE_SZ, 4096)));
	readall(p[0], big, total);
	ioctl(p[0], FIONREAD, &q);
	printf("FIONREAD after draining: %d\n", q);
	printf("F_SETPIPE_SZ 5000: %d\n", fcntl(p[0], F_SETPIPE_SZ, 5000));
	printf("F_SETPIPE_SZ 1: %d\n", fcntl(p[0], F_SETPIPE_SZ, 1));
	printf("F_SETPIPE_SZ 1 MiB: %d\n", fcntl(p[0], F_SETPIPE_SZ, 1 << 20));
	printf("F_GETPIPE_SZ: %d\n", fcntl(p[0], F_GETPIPE_SZ));
	total = 0;
	while ((n = write(p[1], big, 1 << 21)) > 0) total += n;
	printf("filled 1 MiB pipe: %zd (%s)\n", total, en(n));
	printf("F_SETPIPE_SZ 3 GiB: %s\n", en(fcntl(p[0], F_SETPIPE_SZ, 3UL << 30)));
	printf("F_GETPIPE_SZ on a file: %s\n", en(fcntl(1 == 1 ? open("/", O_RDONLY) : 0, F_GETPIPE_SZ)));
	close(p[0]);
	close(p[1]);

	// A write of at most PIPE_BUF is all or nothing.
	pipe2(p, O_NONBLOCK);
	total = 0;
	while ((n = write(p[1], big, 4000)) > 0) total += n;
	printf("filled with 4000-byte writes: %zd (%s)\n", total, en(n));
	printf("3000 more: %s\n", en(write(p[1], big, 3000)));
	read(p[0], big, 4096);
	printf("after reading a page, 3000 more: %zd\n", write(p[1], big, 3000));
	close(p[0]);
	close(p[1]);
	free(big);
}

static void packets(void) {
	int p[2];
	char buf[64];
	printf("pipe2 O_DIRECT: %s\n", en(pipe2(p, O_DIRECT)));
	write(p[1], "one", 3);
	write(p[1], "second", 6);
	write(p[1], "third", 5);
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("packet: %.*s\n", (int)n, buf);
	n = read(p[0], buf, 2);
	printf("short read: %.*s\n", (int)n, buf);
	n = read(p[0], buf, sizeof buf);
	printf("next packet: %.*s\n", (int)n, buf);
	close(p[0]);
	close(p[1]);
}

// atomic has two processes write 4096-byte records of their own letter; the reader checks
// that no record is interleaved with the other's.
static void atomic(void) {
	enum { records = 200, size = 4096 };
	int p[2];
	pipe(p);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			close(p[0]);
			char rec[size];
			memset(rec, 'a' + k, size);
			for (int i = 0; i < records; i++)
				if (write(p[1], rec, size) != size) _exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	char rec[size];
	int counts[2] = {0, 0}, torn = 0;
	ssize_t n;
	while ((n = readall(p[0], rec, size)) == size) {
		for (int i = 1; i < size; i++)
			if (rec[i] != rec[0]) {
				torn++;
				break;
			}
		if (rec[0] == 'a' || rec[0] == 'b') counts[rec[0] - 'a']++;
	}
	int st0, st1;
	waitpid(kids[0], &st0, 0);
	waitpid(kids[1], &st1, 0);
	printf("atomic: a=%d b=%d torn=%d tail=%zd writers=%d,%d\n", counts[0], counts[1], torn, n,
	       WEXITSTATUS(st0), WEXITSTATUS(st1));
	close(p[0]);
}

// pipeline: the parent sends lines to a child whose stdin and stdout are pipes (dup2); the
// child upper-cases them; the parent reads the result.
static void pipeline(void) {
	int to[2], from[2];
	pipe(to);
	pipe(from);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		char buf[256];
		ssize_t n;
		while ((n = read(0, buf, sizeof buf)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
			write(1, buf, n);
		}
		_exit(n < 0);
	}
	close(to[0]);
	close(from[1]);
	const char *msg = "through a pipeline\nand back\n";
	write(to[1], msg, strlen(msg));
	close(to[1]);
	char buf[256];
	ssize_t n = readall(from[0], buf, sizeof buf);
	int status;
	waitpid(c, &status, 0);
	printf("pipeline (%zd bytes, status %d):\n%.*s", n, status, (int)n, buf);
	close(from[0]);
}

// blocking: a reader blocks until a child writes; a writer blocks until a child drains.
static void blocking(void) {
	int p[2], q[2];
	pipe(p);
	pipe(q);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		close(q[1]);
		usleep(50000);
		write(p[1], "late", 4);
		char *big = calloc(1, 100000);
		_exit(readall(q[0], big, 100000) != 100000);
	}
	close(p[1]);
	close(q[0]);
	char buf[16];
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("blocking read: %.*s\n", (int)n, buf);
	char *big = calloc(1, 100000);
	printf("blocking write of 100000: %zd\n", write(q[1], big, 100000));
	int status;
	waitpid(c, &status, 0);
	printf("drainer status: %d\n", status);
	close(p[0]);
	close(q[1]);
	free(big);
}

static int handled_fd = -1; // the handler writes a byte here once it has run

static void on_usr1(int sig) {
	(void)sig;
	if (handled_fd >= 0)
		write(handled_fd, "h", 1);
}

// interrupted: a blocked read fails with EINTR after a handler without SA_RESTART, and is
// restarted (and gets the data) with SA_RESTART. The child signals the parent only once it
// is blocked in the read, and writes the data only once the handler has run (by then the
// read's outcome is settled): sleeps instead were outrun on a loaded machine.
static void interrupted(void) {
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
		sigaction(SIGUSR1, &sa, NULL);
		int p[2], h[2];
		pipe(p);
		pipe(h);
		handled_fd = h[1];
		pid_t parent = getpid();
		pid_t c = fork();
		if (c == 0) {
			wait_sleeping(parent, 0);
			kill(parent, SIGUSR1);
			// 10 s at most: if the handler never runs, the read still ends.
			struct pollfd pf = {.fd = h[0], .events = POLLIN};
			poll(&pf, 1, 10000);
			write(p[1], "data", 4);
			_exit(0);
		}
		char buf[8];
		ssize_t n = read(p[0], buf, sizeof buf);
		printf("read with SA_RESTART=%d: %s %zd\n", restart, en(n), n);
		int status;
		waitpid(c, &status, 0);
		close(p[0]);
		close(p[1]);
		close(h[0]);
		close(h[1]);
		handled_fd = -1;
	}
	signal(SIGUSR1, SIG_DFL);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	interrupted();
	basic();
	epipe();
	capacity();
	packets();
	atomic();
	pipeline();
	blocking();
	return 0;
}
