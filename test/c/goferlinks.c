// goferlinks DIR MODE: hard links and FIFOs of host files that the test prepared in DIR: f
// with a hard link g, a FIFO p with a hard link q. Both names of a file must be one inode
// (st_ino, st_nlink); the two ends of a FIFO opened through different names must meet,
// also when a chmod (a copy-up under the overlay) comes between the two opens. A
// new FIFO made with mkfifo in DIR must work too. With MODE "rw" (a writable mount: the
// host run, or a container's rootfs served by the gofer without the overlay) it also
// writes through one name and reads through the other, and links and unlinks names.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static char dir[256];

static const char *at(const char *name) { return path_in(dir, name); }

static void links(const char *what, const char *a, const char *b) {
	struct stat sa, sb;
	if (stat(at(a), &sa) < 0 || stat(at(b), &sb) < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: same ino %d, nlink %lu %lu\n", what, sa.st_ino == sb.st_ino, (unsigned long)sa.st_nlink,
	       (unsigned long)sb.st_nlink);
}

static void readall(const char *what, const char *name) { show_file(what, at(name)); }

// fifo opens the reading end through r in a child and the writing end through w here
// (after a chmod of w, which under the overlay copies the FIFO up, if chmodFirst).
static void fifo2(const char *what, const char *r, const char *w, int chmodFirst) {
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int fd = open(at(r), O_RDONLY);
		char buf[32] = {0};
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
		char msg[96];
		int l = snprintf(msg, sizeof msg, "%s: reader got %zd \"%.*s\"\n", what, n, n > 0 ? (int)n : 0, buf);
		write(p[1], msg, l);
		_exit(0);
	}
	close(p[1]);
	if (chmodFirst) {
		usleep(100 * 1000); // let the reader block in its open
		printf("%s: chmod %s\n", what, chmod(at(w), 0666) < 0 ? strerrorname_np(errno) : "ok");
	}
	int fd = open(at(w), O_WRONLY);
	if (fd < 0)
		printf("%s: writer open %s\n", what, strerrorname_np(errno));
	else {
		write(fd, "ping", 4);
		close(fd);
	}
	char msg[96];
	ssize_t n = read(p[0], msg, sizeof msg);
	if (n > 0)
		fwrite(msg, 1, n, stdout);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void fifo(const char *what, const char *r, const char *w) { fifo2(what, r, w, 0); }

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	snprintf(dir, sizeof dir, "%s", argv[1]);
	int rw = strcmp(argv[2], "rw") == 0;
	links("f g", "f", "g");
	links("p q", "p", "q");
	readall("read g", "g");
	fifo("fifo p->p", "p", "p");
	fifo("fifo q->p", "q", "p");
	fifo("fifo p->q", "p", "q");
	fifo2("fifo across a chmod", "p", "p", 1);
	printf("mkfifo: %s\n", mkfifo(at("new"), 0644) < 0 ? strerrorname_np(errno) : "ok");
	fifo("new fifo", "new", "new");
	printf("link new: %s\n", link(at("new"), at("new2")) < 0 ? strerrorname_np(errno) : "ok");
	fifo("new fifo, other name", "new2", "new");
	links("new new2", "new", "new2");
	struct stat st;
	stat(at("new"), &st);
	printf("new is a fifo: %d\n", S_ISFIFO(st.st_mode));
	int fd = open(at("new"), O_RDONLY | O_NONBLOCK);
	printf("nonblocking reader: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
	int wfd = open(at("new2"), O_WRONLY | O_NONBLOCK);
	printf("nonblocking writer with a reader: %s\n", wfd < 0 ? strerrorname_np(errno) : "ok");
	close(wfd);
	close(fd);
	wfd = open(at("new2"), O_WRONLY | O_NONBLOCK);
	printf("nonblocking writer without a reader: %s\n", wfd < 0 ? strerrorname_np(errno) : "ok");
	unlink(at("new"));
	unlink(at("new2"));
	if (!rw)
		return 0;
	fd = open(at("f"), O_WRONLY | O_APPEND);
	write(fd, " world", 6);
	close(fd);
	readall("read g after writing f", "g");
	printf("link h: %s\n", link(at("f"), at("h")) < 0 ? strerrorname_np(errno) : "ok");
	links("f h", "f", "h");
	links("f g", "f", "g");
	fd = open(at("h"), O_RDONLY);
	printf("unlink g: %s\n", unlink(at("g")) < 0 ? strerrorname_np(errno) : "ok");
	links("f h after unlink", "f", "h");
	fstat(fd, &st);
	printf("open h nlink: %lu\n", (unsigned long)st.st_nlink);
	printf("unlink f: %s\n", unlink(at("f")) < 0 ? strerrorname_np(errno) : "ok");
	fstat(fd, &st);
	printf("open h nlink after unlinking f: %lu\n", (unsigned long)st.st_nlink);
	close(fd);
	readall("read h", "h");
	printf("rename h f: %s\n", rename(at("h"), at("f")) < 0 ? strerrorname_np(errno) : "ok");
	readall("read f", "f");
	return 0;
}
