// /proc/<pid>/stat's tty_nr (field 7) and tpgid (field 8): 0 and -1 without a controlling
// terminal; with one, its device number (new_encode_dev of the slave's st_rdev) and its
// foreground process group, which follows tcsetpgrp; a process that gave the terminal up
// (TIOCNOTTY) reports none again. Values that depend on the host (pty numbers, pids) are
// printed only as comparisons.
#define _GNU_SOURCE
#include <fcntl.h>
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

// statTTY reads tty_nr and tpgid of pid (0: self).
static void statTTY(pid_t pid, long *ttyNr, long *tpgid) {
	char path[64], buf[1024];
	if (pid == 0) snprintf(path, sizeof path, "/proc/self/stat");
	else snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof buf, f)) {
		perror(path);
		exit(1);
	}
	fclose(f);
	char *p = strrchr(buf, ')');
	int ppid, pgrp, session;
	char state;
	if (!p || sscanf(p + 2, "%c %d %d %d %ld %ld", &state, &ppid, &pgrp, &session, ttyNr, tpgid) != 6) {
		printf("malformed stat: %s\n", buf);
		exit(1);
	}
}

static long encode(dev_t d) {
	unsigned ma = major(d), mi = minor(d);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

int main(void) {
	long nr, tp;
	// A child starts a session of its own, without a controlling terminal.
	pid_t top = fork();
	if (top == 0) {
		setsid();
		statTTY(0, &nr, &tp);
		printf("no ctty: tty_nr %ld tpgid %ld\n", nr, tp);

		int m, s;
		if (openpty(&m, &s, NULL, NULL, NULL) < 0) {
			perror("openpty");
			exit(1);
		}
		struct stat st;
		fstat(s, &st);
		if (ioctl(s, TIOCSCTTY, 0) < 0) {
			perror("TIOCSCTTY");
			exit(1);
		}
		statTTY(0, &nr, &tp);
		printf("ctty: tty_nr matches %d, tpgid is own group %d\n", nr == encode(st.st_rdev), tp == getpgrp());

		// A child in a group of its own, made the foreground: everyone's tpgid follows.
		int go[2];
		pipe(go);
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			setpgid(0, 0);
			char b;
			read(go[0], &b, 1);
			statTTY(0, &nr, &tp);
			printf("child: tty_nr matches %d, tpgid is its group %d\n", nr == encode(st.st_rdev), tp == getpgrp());
			// Giving the terminal up (not the session leader): none for it.
			ioctl(s, TIOCNOTTY);
			statTTY(0, &nr, &tp);
			printf("child after TIOCNOTTY: tty_nr %ld tpgid %ld\n", nr, tp);
			fflush(stdout);
			_exit(0);
		}
		setpgid(c, c);
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(s, c) < 0) perror("tcsetpgrp");
		statTTY(0, &nr, &tp);
		printf("leader after tcsetpgrp: tpgid is the child's %d\n", tp == c);
		statTTY(c, &nr, &tp);
		printf("leader reads the child's: tty_nr matches %d, tpgid %d\n", nr == encode(st.st_rdev), tp == c);
		fflush(stdout);
		write(go[1], "x", 1);
		int status;
		waitpid(c, &status, 0);
		printf("child exit %d\n", WEXITSTATUS(status));
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(top, &status, 0);
	printf("done %d\n", WEXITSTATUS(status));
	return 0;
}
