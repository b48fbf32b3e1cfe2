// lockclose: POSIX record locks (fcntl F_SETLK) belong to the process and go away when it
// closes ANY descriptor of the file: close(2) of another descriptor, close_range(2), the
// close-on-exec closes of execve(2), and the descriptor table's drop at exit (normal exit
// and SIGKILL). A descriptor without FD_CLOEXEC keeps the lock across execve. OFD locks
// survive the process's closes of other descriptors. Files live in a fresh mkdtemp
// directory under /tmp.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[64];

static int lk(int fd, int cmd, short type) {
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	return fcntl(fd, cmd, &fl);
}

// probe reports, from a fresh process, whether a write lock on [0,10) would conflict.
static const char *probe(void) {
	static char out[32];
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
		char c = '?';
		if (fcntl(fd, F_GETLK, &fl) == 0)
			c = fl.l_type == F_UNLCK ? 'U' : fl.l_type == F_WRLCK ? 'W' : 'R';
		write(p[1], &c, 1);
		_exit(0);
	}
	char c = '?';
	read(p[0], &c, 1);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	snprintf(out, sizeof out, "%s", c == 'U' ? "unlocked" : c == 'W' ? "locked" : "?");
	return out;
}

// holder is the program after execve: it tells the parent it is running, then waits for
// the parent to close the pipe.
static int holder(int wfd, int rfd) {
	char c = 'x';
	write(wfd, &c, 1);
	read(rfd, &c, 1);
	return 0;
}

// exec_case: a child takes a lock through a descriptor without FD_CLOEXEC and, if cloexec,
// opens another descriptor of the file with O_CLOEXEC; then it execs itself.
static void exec_case(const char *what, int cloexec, int lock_on_cloexec) {
	int up[2], down[2];
	pipe(up);
	pipe(down);
	pid_t pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		int a = open(path, O_RDWR | (lock_on_cloexec ? O_CLOEXEC : 0));
		if (lk(a, F_SETLK, F_WRLCK) < 0)
			_exit(10);
		if (cloexec)
			open(path, O_RDONLY | O_CLOEXEC);
		char w[16], r[16];
		snprintf(w, sizeof w, "%d", up[1]);
		snprintf(r, sizeof r, "%d", down[0]);
		execl("/proc/self/exe", "lockclose", "hold", w, r, (char *)NULL);
		_exit(11);
	}
	close(up[1]);
	close(down[0]);
	char c;
	if (read(up[0], &c, 1) != 1)
		printf("%s: child did not exec\n", what);
	printf("%s: after execve: %s\n", what, probe());
	close(down[1]);
	close(up[0]);
	waitpid(pid, NULL, 0);
	printf("%s: after exit: %s\n", what, probe());
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return holder(atoi(argv[2]), atoi(argv[3]));
	char dir[] = "/tmp/lockcloseXXXXXX";
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	write(fd, "0123456789abcdef", 16);
	close(fd);

	// close(2) of a second, unrelated open of the file.
	int a = open(path, O_RDWR);
	printf("setlk: %d\n", lk(a, F_SETLK, F_WRLCK));
	printf("held: %s\n", probe());
	int b = open(path, O_RDONLY);
	close(b);
	printf("after closing another open: %s\n", probe());
	printf("relock: %d\n", lk(a, F_SETLK, F_WRLCK));
	// close_range over the other descriptor.
	b = open(path, O_RDONLY);
	printf("close_range: %ld\n", syscall(SYS_close_range, b, b, 0));
	printf("after close_range: %s\n", probe());
	printf("relock: %d\n", lk(a, F_SETLK, F_WRLCK));
	// CLOSE_RANGE_CLOEXEC only marks: no close, the lock stays.
	b = open(path, O_RDONLY);
	printf("close_range cloexec: %ld\n", syscall(SYS_close_range, b, b, 4 /* CLOSE_RANGE_CLOEXEC */));
	printf("after marking: %s\n", probe());
	close(b);
	close(a);

	// OFD locks belong to the description, not the process.
	a = open(path, O_RDWR);
	printf("ofd setlk: %d\n", lk(a, F_OFD_SETLK, F_WRLCK));
	b = open(path, O_RDONLY);
	close(b);
	printf("ofd after closing another open: %s\n", probe());
	close(a);
	printf("ofd after closing its own: %s\n", probe());

	exec_case("cloexec other fd", 1, 0);
	exec_case("lock on cloexec fd", 0, 1);
	exec_case("no cloexec", 0, 0);

	// Exit and SIGKILL drop the locks with the descriptor table.
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		int c = open(path, O_RDWR);
		lk(c, F_SETLK, F_WRLCK);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(p[0], &c, 1);
	printf("child holds: %s\n", probe());
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("after SIGKILL: %s\n", probe());
	pid = fork();
	if (pid == 0) {
		int c = open(path, O_RDWR);
		lk(c, F_SETLK, F_WRLCK);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("after _exit: %s\n", probe());
	// A thread's exit is not the process's: the lock stays with the process.
	unlink(path);
	rmdir(dir);
	return 0;
}
