// Pseudo-terminals: devpts (posix_openpt, grantpt, unlockpt, ptsname, TIOCGPTPEER, openpty),
// the line discipline (canonical editing, echo, raw mode with VMIN/VTIME, input and output
// processing), termios and window-size ioctls, controlling terminals and the signals a
// terminal sends (^C, SIGWINCH, SIGHUP, background reads). Every case prints what it sees;
// pty numbers, owners and modes are not printed (they depend on the host).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common.h"

static void show(const char *what, const char *buf, int n) {
	printf("%s: %d \"", what, n);
	for (int i = 0; i < n; i++) {
		unsigned char c = buf[i];
		if (c == '\n') printf("\\n");
		else if (c == '\r') printf("\\r");
		else if (c == '\b') printf("\\b");
		else if (c < 32 || c >= 127) printf("\\x%02x", c);
		else putchar(c);
	}
	printf("\"\n");
}

// drain reads what the master has, until it stays quiet for 100ms.
static int drain(int m, char *buf, int cap) {
	int n = 0;
	for (;;) {
		struct pollfd p = {m, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN)) break;
		int r = read(m, buf + n, cap - n);
		if (r <= 0) break;
		n += r;
	}
	return n;
}

// TRY prints what an expression returned and, if negative, the errno it set.
#define TRY(what, expr) do { \
	errno = 0; \
	long r_ = (long)(expr); \
	int e_ = errno; \
	printf("%s: %ld %s\n", what, r_, r_ < 0 ? strerror(e_) : "ok"); \
} while (0)

static void newpty(int *m, int *s) {
	if (openpty(m, s, NULL, NULL, NULL) < 0) {
		perror("openpty");
		exit(1);
	}
}

// wait_input waits (up to 10 s) until the slave has input to read: Linux hands what is
// written at the master to the line discipline from a worker thread, which a loaded machine
// can delay well past a fixed sleep.
static void wait_input(int s) {
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, 10000) != 1)
		printf("  (no input after 10 s)\n");
}

// type writes input at the master and shows what the slave reads and what is echoed.
// A slave that has nothing to read within 10 s is reported rather than waited on forever.
static void type(int m, int s, const char *in, int len) {
	char buf[512];
	write(m, in, len);
	struct pollfd p = {s, POLLIN, 0};
	if (poll(&p, 1, 10000) != 1) {
		printf("  read: nothing to read after 10 s\n");
		drain(m, buf, sizeof buf);
		return;
	}
	int n = read(s, buf, sizeof buf);
	show("  read", buf, n);
	n = drain(m, buf, sizeof buf);
	show("  echo", buf, n);
}

static void test_devpts(void) {
	printf("== devpts\n");
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) { perror("posix_openpt"); exit(1); }
	char *name = ptsname(m);
	printf("ptsname prefix: %.9s\n", name);
	int locked = -1;
	ioctl(m, TIOCGPTLCK, &locked);
	printf("locked at first: %d\n", locked);
	TRY("open locked slave", open(name, O_RDWR | O_NOCTTY));
	errno = 0;
	int s = open(name, O_RDWR | O_NOCTTY);
	
	TRY("grantpt", grantpt(m));
	TRY("unlockpt", unlockpt(m));
	ioctl(m, TIOCGPTLCK, &locked);
	printf("locked after unlockpt: %d\n", locked);
	s = open(name, O_RDWR | O_NOCTTY);
	printf("open slave: %s\n", s >= 0 ? "ok" : strerror(errno));
	struct stat st;
	fstat(s, &st);
	unsigned ptn = 0;
	ioctl(m, TIOCGPTN, &ptn);
	printf("slave: chr %d major %u minor==ptn %d\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev) == ptn);
	char expect[64];
	snprintf(expect, sizeof expect, "/dev/pts/%u", ptn);
	printf("ptsname matches TIOCGPTN: %d\n", strcmp(expect, name) == 0);
	fstat(m, &st);
	printf("master: chr %d rdev %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
	printf("isatty master %d slave %d\n", isatty(m), isatty(s));
	int p = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	fstat(p, &st);
	printf("TIOCGPTPEER: chr %d minor==ptn %d\n", S_ISCHR(st.st_mode), minor(st.st_rdev) == ptn);
	TRY("lseek slave", (int)lseek(s, 0, SEEK_SET));
		TRY("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &ptn));
		int fds[2];
	pipe(fds);
	struct termios t;
		TRY("TCGETS on a pipe", tcgetattr(fds[0], &t));
		TRY("open /dev/pts/4321", open("/dev/pts/4321", O_RDWR));
	struct stat pst;
	printf("/dev/ptmx resolves to chr 5:2: %d\n", stat("/dev/ptmx", &pst) == 0 && S_ISCHR(pst.st_mode) && pst.st_rdev == makedev(5, 2));
	// The slave's entry goes when the master closes, while the slave is still open. Its
	// index stays taken until the slave closes too, so a pty opened meanwhile by another
	// program (tests run in parallel) cannot take the name back.
	close(m);
	printf("slave after master close: %s\n", access(name, F_OK) == 0 ? "exists" : strerror(errno));
	close(p);
	close(s);
	close(fds[0]);
	close(fds[1]);
}

static void test_defaults(void) {
	printf("== defaults\n");
	int m, s;
	newpty(&m, &s);
	struct termios t;
	tcgetattr(s, &t);
	printf("iflag %#o oflag %#o cflag %#o lflag %#o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	printf("cc:");
	for (int i = 0; i < 17; i++) printf(" %d", t.c_cc[i]);
	printf("\nspeed %d\n", (int)cfgetospeed(&t));
	struct termios mt;
	tcgetattr(m, &mt);
	printf("master termios is the slave's: %d\n", mt.c_iflag == t.c_iflag && mt.c_lflag == t.c_lflag &&
		mt.c_oflag == t.c_oflag && memcmp(mt.c_cc, t.c_cc, 17) == 0);
	struct winsize ws;
	ioctl(s, TIOCGWINSZ, &ws);
	printf("winsize %d %d\n", ws.ws_row, ws.ws_col);
	int ld = -1;
	ioctl(s, TIOCGETD, &ld);
	printf("ldisc %d\n", ld);
	close(s);
	close(m);
}

static void test_canonical(void) {
	printf("== canonical\n");
	int m, s;
	newpty(&m, &s);
	printf("line:\n");
	type(m, s, "hello\n", 6);
	printf("cr:\n");
	type(m, s, "cr\r", 3);
	printf("erase:\n");
	type(m, s, "abc\x7f" "d\n", 6);
	printf("erase ctl:\n");
	type(m, s, "a\x01\x7f" "b\n", 5);
	printf("kill:\n");
	type(m, s, "xyz\x15ok\n", 7);
	printf("werase:\n");
	type(m, s, "foo bar \x17" "baz\n", 13);
	printf("echoctl:\n");
	type(m, s, "\x01\x1b\n", 3);
	printf("tab:\n");
	type(m, s, "a\tb\n", 4);
	printf("eof ends a line:\n");
	type(m, s, "abc\x04", 4);
	printf("eof at start:\n");
	type(m, s, "\x04", 1);
	printf("lnext:\n");
	type(m, s, "a\x16\x7f" "b\x16\x03\n", 7);
	printf("reprint:\n");
	type(m, s, "ab\x12" "c\n", 5);
	printf("erase nothing:\n");
	type(m, s, "\x7f\x7fq\n", 4);
	printf("short reads:\n");
	write(m, "longline\nnext\n", 14);
	char buf[64];
	int n = read(s, buf, 4);
	show("  read 4", buf, n);
	n = read(s, buf, sizeof buf);
	show("  rest", buf, n);
	int avail = -1;
	ioctl(s, FIONREAD, &avail);
	printf("  FIONREAD %d\n", avail);
	n = read(s, buf, sizeof buf);
	show("  next", buf, n);
	drain(m, buf, sizeof buf);
	printf("partial line not readable:\n");
	write(m, "part", 4);
	fcntl(s, F_SETFL, O_NONBLOCK);
	TRY("  nonblocking read", read(s, buf, sizeof buf));
	ioctl(s, FIONREAD, &avail);
	printf("  FIONREAD %d\n", avail);
	struct pollfd sp = {s, POLLIN | POLLOUT, 0};
	int pr = poll(&sp, 1, 0);
	printf("  poll: %d in %d out %d\n", pr, !!(sp.revents & POLLIN), !!(sp.revents & POLLOUT));
	fcntl(s, F_SETFL, 0);
	if (fork() == 0) {
		usleep(100000);
		write(m, "\n", 1);
		_exit(0);
	}
	sp.revents = 0;
	sp.events = POLLIN;
	pr = poll(&sp, 1, 5000);
	printf("  poll waits for the line: %d in %d\n", pr, !!(sp.revents & POLLIN));
	wait(NULL);
	n = read(s, buf, sizeof buf);
	show("  then", buf, n);
	drain(m, buf, sizeof buf);

	struct termios t;
	tcgetattr(s, &t);
	printf("no echo:\n");
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "secret\n", 7);
	printf("echonl:\n");
	t.c_lflag |= ECHONL;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "nl\n", 3);
	printf("echo without echoe:\n");
	t.c_lflag |= ECHO;
	t.c_lflag &= ~(ECHOE | ECHONL);
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "ab\x7f\n", 4);
	printf("kill with echok, no echoke:\n");
	t.c_lflag &= ~ECHOKE;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "ab\x15" "c\n", 5);
	printf("no echoctl:\n");
	t.c_lflag |= ECHOE | ECHOKE;
	t.c_lflag &= ~ECHOCTL;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "\x01z\n", 3);
	printf("echoprt:\n");
	t.c_lflag |= ECHOPRT;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "abc\x7f\x7f" "d\x7f\x7f\x7f" "e\n", 11);
	t.c_lflag &= ~ECHOPRT;
	tcsetattr(s, TCSANOW, &t);
	printf("igncr:\n");
	t.c_lflag |= ECHOCTL;
	t.c_iflag |= IGNCR;
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "a\rb\n", 4);
	printf("inlcr, no icrnl, eol:\n");
	t.c_iflag &= ~(IGNCR | ICRNL);
	t.c_iflag |= INLCR;
	t.c_cc[VEOL] = '\r';
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "x\n", 2);
	printf("veof changed:\n");
	t.c_iflag = ICRNL;
	t.c_cc[VEOL] = 0;
	t.c_cc[VEOF] = 'q';
	tcsetattr(s, TCSANOW, &t);
	type(m, s, "abq", 3);
	close(s);
	close(m);
}

static void test_raw(void) {
	printf("== raw\n");
	int m, s;
	newpty(&m, &s);
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	char buf[64];
	int n = read(s, buf, sizeof buf);
	printf("vmin 0 vtime 0, nothing: %d\n", n);
	write(m, "xy\r\x03", 4);
	wait_input(s);
	n = read(s, buf, sizeof buf);
	show("raw bytes", buf, n);
	n = drain(m, buf, sizeof buf);
	show("no echo", buf, n);
	t.c_cc[VTIME] = 2;
	tcsetattr(s, TCSANOW, &t);
	n = read(s, buf, sizeof buf);
	printf("vmin 0 vtime 2, nothing: %d\n", n);
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	if (fork() == 0) {
		usleep(50000);
		write(m, "a", 1);
		usleep(50000);
		write(m, "bcd", 3);
		_exit(0);
	}
	n = read(s, buf, sizeof buf);
	show("vmin 3", buf, n >= 3 ? 3 : n);
	wait(NULL);
	usleep(20000);
	tcflush(s, TCIFLUSH);
	t.c_cc[VMIN] = 5;
	t.c_cc[VTIME] = 2;
	tcsetattr(s, TCSANOW, &t);
	write(m, "ab", 2);
	n = read(s, buf, sizeof buf);
	show("vmin 5 vtime 2 (inter-byte timeout)", buf, n);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	t.c_lflag |= ECHO | ECHOCTL;
	tcsetattr(s, TCSANOW, &t);
	write(m, "e\x01\n", 3);
	usleep(50000);
	n = read(s, buf, sizeof buf);
	show("echo raw read", buf, n);
	n = drain(m, buf, sizeof buf);
	show("echo raw", buf, n);
	printf("switch to canonical keeps pending input:\n");
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	write(m, "pend", 4);
	// Only input the line discipline has taken in when ICANON is set becomes a line.
	wait_input(s);
	t.c_lflag |= ICANON;
	tcsetattr(s, TCSANOW, &t);
	n = read(s, buf, sizeof buf);
	show("  read", buf, n);
	printf("switch to raw makes the line readable:\n");
	write(m, "half", 4);
	usleep(20000);
	t.c_lflag &= ~ICANON;
	tcsetattr(s, TCSANOW, &t);
	n = read(s, buf, sizeof buf);
	show("  read", buf, n);
	close(s);
	close(m);
}

static void test_output(void) {
	printf("== output\n");
	int m, s;
	newpty(&m, &s);
	char buf[128];
	write(s, "a\nb\tc\n", 6);
	int n = drain(m, buf, sizeof buf);
	show("onlcr", buf, n);
	struct termios t;
	tcgetattr(s, &t);
	t.c_oflag |= OCRNL | ONOCR | TAB3;
	tcsetattr(s, TCSANOW, &t);
	write(s, "\rab\r\tx", 6);
	n = drain(m, buf, sizeof buf);
	show("ocrnl onocr tab3", buf, n);
	t.c_oflag = OPOST | OLCUC;
	tcsetattr(s, TCSANOW, &t);
	write(s, "up\n", 3);
	n = drain(m, buf, sizeof buf);
	show("olcuc", buf, n);
	t.c_oflag = 0;
	tcsetattr(s, TCSANOW, &t);
	write(s, "raw\n", 4);
	n = drain(m, buf, sizeof buf);
	show("no opost", buf, n);
	// (What TCOFLUSH on the slave does to output the master has not read depends on
	// Linux's flip-buffer timing: not tested.)
	TRY("TCOFLUSH", tcflush(s, TCOFLUSH));
		TRY("TCFLSH bad", ioctl(s, TCFLSH, 7));
	printf("tcdrain: %d\n", tcdrain(s));
	close(s);
	// Reading the master once every slave is closed: EIO.
	TRY("master read, slave closed", read(m, buf, sizeof buf));
	struct pollfd p = {m, POLLIN, 0};
	poll(&p, 1, 0);
	printf("master poll, slave closed: hup %d\n", !!(p.revents & POLLHUP));
	close(m);

	newpty(&m, &s);
	close(m);
	TRY("slave read, master closed", read(s, buf, sizeof buf));
	TRY("slave write, master closed", write(s, "x", 1));
		TRY("slave TCGETS, master closed", tcgetattr(s, &t));
	close(s);
}

// Packet mode: each master read is a status byte alone or TIOCPKT_DATA and data.
static void test_packet(void) {
	printf("== packet\n");
	int m, s;
	newpty(&m, &s);
	int on = 1, get = -1;
	TRY("TIOCPKT", ioctl(m, TIOCPKT, &on));
	ioctl(m, TIOCGPKT, &get);
	printf("TIOCGPKT %d\n", get);
	TRY("TIOCPKT on the slave", ioctl(s, TIOCPKT, &on));
	char buf[64];
	write(s, "hi", 2);
	int n = drain(m, buf, sizeof buf);
	show("data", buf, n);
	tcflush(s, TCIFLUSH);
	n = drain(m, buf, sizeof buf);
	show("slave TCIFLUSH", buf, n);
	tcflush(s, TCOFLUSH);
	n = drain(m, buf, sizeof buf);
	show("slave TCOFLUSH", buf, n);
	tcflow(s, TCOOFF);
	n = drain(m, buf, sizeof buf);
	show("TCOOFF", buf, n);
	tcflow(s, TCOON);
	n = drain(m, buf, sizeof buf);
	show("TCOON", buf, n);
	struct termios t;
	tcgetattr(s, &t);
	t.c_iflag &= ~IXON;
	tcsetattr(s, TCSANOW, &t);
	n = drain(m, buf, sizeof buf);
	show("IXON off", buf, n);
	t.c_iflag |= IXON;
	tcsetattr(s, TCSANOW, &t);
	n = drain(m, buf, sizeof buf);
	show("IXON on", buf, n);
	on = 0;
	ioctl(m, TIOCPKT, &on);
	write(s, "plain", 5);
	n = drain(m, buf, sizeof buf);
	show("packet mode off", buf, n);
	close(s);
	close(m);
}

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

// In a new session: no controlling terminal, /dev/tty is ENXIO; opening the slave makes it
// the controlling terminal.
static void test_ctty(void) {
	printf("== ctty\n");
	fflush(stdout);
	int m, s;
	newpty(&m, &s);
	char *name = strdup(ttyname(s));
	pid_t pid = fork();
	if (pid == 0) {
		close(m);
		close(s);
		setsid();
				TRY("/dev/tty without ctty", open("/dev/tty", O_RDWR));
		int fd = open(name, O_RDWR | O_NOCTTY);
		int x;
				TRY("TIOCGPGRP, not ctty", ioctl(fd, TIOCGPGRP, &x));
				TRY("TIOCGSID, not ctty", ioctl(fd, TIOCGSID, &x));
				TRY("TIOCNOTTY, not ctty", ioctl(fd, TIOCNOTTY));
		close(fd);
		fd = open(name, O_RDWR);
		pid_t sid = -1;
		ioctl(fd, TIOCGSID, &sid);
		printf("open made it the ctty: sid is me %d, fg is me %d\n", sid == getpid(), tcgetpgrp(fd) == getpid());
		// TIOCSTI: as if typed at the terminal, echo included.
		TRY("TIOCSTI", ioctl(fd, TIOCSTI, "s"));
		TRY("TIOCSTI", ioctl(fd, TIOCSTI, "\n"));
		char sti[16];
		int sn = read(fd, sti, sizeof sti);
		show("read after TIOCSTI", sti, sn);
		int t = open("/dev/tty", O_RDWR);
		printf("/dev/tty with ctty: %s, isatty %d\n", t >= 0 ? "ok" : strerror(errno), isatty(t));
		write(t, "via /dev/tty\n", 13);
		struct stat st;
		fstat(t, &st);
		printf("/dev/tty rdev %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
				TRY("TIOCSPGRP nonexistent", tcsetpgrp(fd, 99999));
				TRY("TIOCSPGRP negative", tcsetpgrp(fd, -5));
		printf("TIOCSPGRP self: %d\n", tcsetpgrp(fd, getpid()));
				TRY("TIOCSCTTY again", ioctl(fd, TIOCSCTTY, 0));
		// TIOCNOTTY by a process that is not the leader detaches it alone, and its later
		// children.
		pid_t d = fork();
		if (d == 0) {
			TRY("TIOCNOTTY by non-leader", ioctl(fd, TIOCNOTTY));
			TRY("/dev/tty after it", open("/dev/tty", O_RDWR));
			TRY("TIOCGPGRP after it", tcgetpgrp(fd));
			if (fork() == 0) {
				TRY("/dev/tty in its child", open("/dev/tty", O_RDWR));
				fflush(stdout);
				_exit(0);
			}
			wait(NULL);
			fflush(stdout);
			_exit(0);
		}
		waitpid(d, NULL, 0);
		int again = open("/dev/tty", O_RDWR);
		printf("/dev/tty still the leader's: %d\n", again >= 0);
		close(again);
		// A child in another session cannot take it; a child in this session, not its
		// leader, cannot either.
		pid_t c = fork();
		if (c == 0) {
						TRY("TIOCSCTTY by non-leader", ioctl(fd, TIOCSCTTY, 0));
			setsid();
						TRY("TIOCSCTTY of another session's tty", ioctl(fd, TIOCSCTTY, 0));
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, NULL, 0);
		// Giving it up hangs up the foreground group: the caller.
		signal(SIGHUP, SIG_IGN);
		printf("TIOCNOTTY by the leader: %d\n", ioctl(fd, TIOCNOTTY));
				TRY("/dev/tty after TIOCNOTTY", open("/dev/tty", O_RDWR));
		printf("TIOCSCTTY: %d\n", ioctl(fd, TIOCSCTTY, 0));
		printf("fg is me again %d\n", tcgetpgrp(fd) == getpid());
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char buf[128];
	int n = drain(m, buf, sizeof buf);
	show("master saw", buf, n);
	close(s);
	close(m);
	free(name);
}

// ^C, ^\ and TIOCSWINSZ signal the foreground process group; a background read with
// SIGTTIN ignored fails with EIO; the session leader's exit hangs up the foreground group.
static void test_signals(void) {
	printf("== signals\n");
	fflush(stdout);
	int m, s;
	newpty(&m, &s);
	char *name = strdup(ttyname(s));
	int ready[2], report[2];
	pipe(ready);
	pipe(report);
	pid_t pid = fork();
	if (pid == 0) {
		close(m);
		close(s);
		close(ready[0]);
		setsid();
		int fd = open(name, O_RDWR);
		struct sigaction sa = {0};
		sa.sa_handler = handler;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sigaction(SIGWINCH, &sa, NULL);
		char buf[64];
		for (int i = 0; i < 4; i++) {
			got = 0;
			write(ready[1], "r", 1);
			errno = 0;
			int n = read(fd, buf, sizeof buf);
			printf("read interrupted: %d %s, signal %d\n", n, strerror(errno), got);
		}
		// A background process group: SIGTTIN ignored makes its reads fail.
		pid_t c = fork();
		if (c == 0) {
			setpgid(0, 0);
			signal(SIGTTIN, SIG_IGN);
			TRY("background read, SIGTTIN ignored", read(fd, buf, sizeof buf));
			struct termios t;
			tcgetattr(fd, &t);
			t.c_lflag |= TOSTOP;
			signal(SIGTTOU, SIG_IGN);
			printf("background tcsetattr, SIGTTOU ignored: %d\n", tcsetattr(fd, TCSANOW, &t));
			printf("background write, TOSTOP, SIGTTOU ignored: %d\n", (int)write(fd, "bg\n", 3));
			t.c_lflag &= ~TOSTOP;
			tcsetattr(fd, TCSANOW, &t);
			printf("background tcgetpgrp is the leader: %d\n", tcgetpgrp(fd) == getppid());
			// With handlers, the signal interrupts the call (no SA_RESTART: EINTR).
			struct sigaction bg = {0};
			bg.sa_handler = handler;
			sigaction(SIGTTIN, &bg, NULL);
			sigaction(SIGTTOU, &bg, NULL);
			got = 0;
			TRY("background read, SIGTTIN handled", read(fd, buf, sizeof buf));
			printf("  signal %d\n", got);
			got = 0;
			TRY("background tcsetattr, SIGTTOU handled", tcsetattr(fd, TCSANOW, &t));
			printf("  signal %d\n", got);
			got = 0;
			TRY("background tcsetpgrp, SIGTTOU handled", tcsetpgrp(fd, getpid()));
			printf("  signal %d\n", got);
			// A shell taking the terminal for a job ignores SIGTTOU first.
			signal(SIGTTOU, SIG_IGN);
			TRY("background tcsetpgrp, SIGTTOU ignored", tcsetpgrp(fd, getpid()));
			printf("  foreground now: %d\n", tcgetpgrp(fd) == getpid());
			TRY("give it back", tcsetpgrp(fd, getppid()));
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, NULL, 0);
		// An orphaned background group: its read fails with EIO rather than stopping it.
		int orph[2];
		pipe(orph);
		c = fork();
		if (c == 0) {
			pid_t parent = getpid();
			if (fork() == 0) {
				setpgid(0, 0);
				while (getppid() == parent) usleep(10000); // orphaned once the parent exits
				errno = 0;
				int r = read(fd, buf, sizeof buf);
				char msg[64];
				int n = snprintf(msg, sizeof msg, "orphaned background read: %d %s\n", r, strerror(errno));
				write(orph[1], msg, n);
				_exit(0);
			}
			_exit(0);
		}
		close(orph[1]);
		waitpid(c, NULL, 0);
		int on = read(orph[0], buf, sizeof buf);
		if (on > 0) fwrite(buf, 1, on, stdout);
		close(orph[0]);
		// A foreground member that outlives the leader gets SIGHUP when the leader exits.
		got = 0;
		sigaction(SIGHUP, &sa, NULL);
		c = fork();
		if (c == 0) {
			write(ready[1], "r", 1);
			while (!got) pause();
			write(report[1], got == SIGHUP ? "HUP" : "???", 3);
			_exit(0);
		}
		fflush(stdout);
		_exit(0);
	}
	close(ready[1]);
	close(report[1]);
	char c, buf[64];
	// Each signal goes to the leader once it is blocked in its read (state S): sent before,
	// it would interrupt nothing and the read would wait for the next one (a 50 ms sleep was
	// outrun on a loaded machine).
	read(ready[0], &c, 1);
	wait_sleeping(pid, 0);
	write(m, "abc\x03", 4);
	read(ready[0], &c, 1);
	wait_sleeping(pid, 0);
	write(m, "\x1c", 1);
	read(ready[0], &c, 1);
	wait_sleeping(pid, 0);
	struct winsize ws = {.ws_row = 33, .ws_col = 99};
	TRY("TIOCSIG 0", ioctl(m, TIOCSIG, 0));
	ioctl(m, TIOCSWINSZ, &ws);
	struct winsize got_ws;
	ioctl(s, TIOCGWINSZ, &got_ws);
	read(ready[0], &c, 1);
	wait_sleeping(pid, 0);
	TRY("TIOCSIG SIGUSR1", ioctl(m, TIOCSIG, SIGUSR1));
	ioctl(m, TIOCSIG, SIGINT); // ^C from the master's side, without the character
	read(ready[0], &c, 1); // the foreground member is ready; the leader exits
	waitpid(pid, NULL, 0);
	int n = read(report[0], buf, 3);
	show("foreground member after leader exit", buf, n < 0 ? 0 : n);
	printf("winsize now %d %d\n", got_ws.ws_row, got_ws.ws_col);
	n = drain(m, buf, sizeof buf);
	show("master saw", buf, n);
	close(s);
	close(m);
	free(name);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_devpts();
	test_defaults();
	test_canonical();
	test_raw();
	test_output();
	test_packet();
	test_ctty();
	test_signals();
	return 0;
}
