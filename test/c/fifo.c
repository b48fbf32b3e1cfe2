// fifo exercises named pipes (fifo(7)) made with mkfifo in a fresh mkdtemp directory under
// /tmp: non-blocking opens (ENXIO for a writer without readers), blocking opens that wait
// for the other side across fork, O_RDWR opens that never wait, data and EOF, and poll
// readiness (no POLLHUP for a reader before any writer came).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/tmp/fifoXXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/f", dir);
	printf("mkfifo: %s\n", en(mkfifo(path, 0600)));
	printf("mkfifo again: %s\n", en(mkfifo(path, 0600)));
	struct stat st;
	stat(path, &st);
	printf("stat: fifo=%d mode=%o size=%ld\n", S_ISFIFO(st.st_mode), st.st_mode & 0777, (long)st.st_size);

	printf("writer, non-blocking, no reader: %s\n", en(open(path, O_WRONLY | O_NONBLOCK)));
	int r = open(path, O_RDONLY | O_NONBLOCK);
	printf("reader, non-blocking: %s\n", en(r));
	struct pollfd pfd = {.fd = r, .events = POLLIN};
	int n = poll(&pfd, 1, 0);
	printf("poll before any writer: %d %#x\n", n, pfd.revents);
	char buf[64];
	printf("read before any writer: %zd\n", read(r, buf, sizeof buf));
	int w = open(path, O_WRONLY | O_NONBLOCK);
	printf("writer, non-blocking, with reader: %s\n", en(w));
	printf("write: %zd\n", write(w, "fifo data", 9));
	n = read(r, buf, sizeof buf);
	printf("read: %.*s\n", n, buf);
	close(w);
	n = poll(&pfd, 1, 0);
	printf("poll after the writer left: %d %#x\n", n, pfd.revents);
	printf("read at EOF: %zd\n", read(r, buf, sizeof buf));
	close(r);

	int rw = open(path, O_RDWR);
	printf("O_RDWR open: %s\n", en(rw));
	printf("pwrite on a fifo: %s\n", en(pwrite(rw, "x", 1, 0)));
	printf("lseek on a fifo: %s\n", en(lseek(rw, 0, SEEK_SET)));
	write(rw, "self", 4);
	n = read(rw, buf, sizeof buf);
	printf("O_RDWR read back: %.*s\n", n, buf);
	close(rw);

	// A blocking reader waits for a writer; the writer (a child) waits for a reader.
	pid_t c = fork();
	if (c == 0) {
		usleep(50000);
		int w = open(path, O_WRONLY);
		if (w < 0) _exit(1);
		write(w, "from child", 10);
		close(w);
		_exit(0);
	}
	r = open(path, O_RDONLY);
	printf("blocking reader open: %s\n", en(r));
	n = 0;
	ssize_t k;
	while ((k = read(r, buf + n, sizeof buf - n)) > 0) n += k;
	printf("read from child: %.*s\n", n, buf);
	int status;
	waitpid(c, &status, 0);
	printf("child status: %d\n", status);
	close(r);

	c = fork();
	if (c == 0) {
		usleep(50000);
		int r = open(path, O_RDONLY);
		if (r < 0) _exit(1);
		char b[64];
		ssize_t n = read(r, b, sizeof b);
		_exit(n == 5 && memcmp(b, "hello", 5) == 0 ? 0 : 2);
	}
	w = open(path, O_WRONLY);
	printf("blocking writer open: %s\n", en(w));
	printf("write: %zd\n", write(w, "hello", 5));
	waitpid(c, &status, 0);
	printf("reader child status: %d\n", status);
	close(w);

	printf("unlink: %s\n", en(unlink(path)));
	printf("rmdir: %s\n", en(rmdir(dir)));
	return 0;
}
