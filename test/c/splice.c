// splice exercises splice(2), tee(2), vmsplice(2) and sendfile(2) between pipes and a
// regular file in a fresh mkdtemp directory under /tmp: offsets (and that they leave the file
// offset alone), EINVAL when neither end is a pipe, ESPIPE for offsets on pipes,
// SPLICE_F_NONBLOCK, and sendfile file -> pipe and file -> file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static void show(const char *what, int fd) {
	char buf[128];
	ssize_t n = read(fd, buf, sizeof buf);
	printf("%s: %zd \"%.*s\"\n", what, n, n > 0 ? (int)n : 0, buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/tmp/spliceXXXXXX";
	if (!mkdtemp(dir)) return 1;
	char path[64], path2[64];
	snprintf(path, sizeof path, "%s/src", dir);
	snprintf(path2, sizeof path2, "%s/dst", dir);
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(f, "0123456789abcdefghij", 20);
	lseek(f, 0, SEEK_SET);

	int p[2], q[2];
	ssize_t n;
	pipe(p);
	pipe(q);

	// file -> pipe, at the file offset, then at an explicit offset.
	printf("splice file->pipe: %zd\n", splice(f, NULL, p[1], NULL, 5, 0));
	printf("file offset: %ld\n", (long)lseek(f, 0, SEEK_CUR));
	loff_t off = 10;
	n = splice(f, &off, p[1], NULL, 4, 0);
	printf("splice file->pipe at 10: %zd off=%ld\n", n, (long)off);
	printf("file offset unchanged: %ld\n", (long)lseek(f, 0, SEEK_CUR));

	// pipe -> pipe, tee, then pipe -> file.
	printf("tee: %zd\n", tee(p[0], q[1], 100, 0));
	printf("splice pipe->pipe: %zd\n", splice(p[0], NULL, q[1], NULL, 3, 0));
	show("rest of p", p[0]);
	int g = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	off = 2;
	n = splice(q[0], NULL, g, &off, 100, 0);
	printf("splice pipe->file at 2: %zd off=%ld\n", n, (long)off);
	char buf[64] = {0};
	n = pread(g, buf, sizeof buf, 0);
	printf("dst file: %zd \"%s\" \"%s\"\n", n, buf[0] ? "?" : "\\0\\0", buf + 2);

	// Errors.
	printf("neither a pipe: %s\n", en(splice(f, NULL, g, NULL, 1, 0)));
	off = 0;
	printf("offset on a pipe: %s\n", en(splice(p[0], &off, g, NULL, 1, 0)));
	printf("tee on a file: %s\n", en(tee(f, q[1], 1, 0)));
	printf("tee same pipe: %s\n", en(tee(p[0], p[1], 1, 0)));
	printf("bad flags: %s\n", en(splice(p[0], NULL, q[1], NULL, 1, 0x100)));
	printf("empty pipe, SPLICE_F_NONBLOCK: %s\n", en(splice(p[0], NULL, q[1], NULL, 1, SPLICE_F_NONBLOCK)));
	printf("tee empty, SPLICE_F_NONBLOCK: %s\n", en(tee(p[0], q[1], 1, SPLICE_F_NONBLOCK)));
	printf("zero length: %zd\n", splice(p[0], NULL, q[1], NULL, 0, 0));
	printf("write end as input: %s\n", en(splice(p[1], NULL, q[1], NULL, 1, 0)));

	// vmsplice both ways.
	struct iovec iov[2] = {{"vm", 2}, {"splice", 6}};
	printf("vmsplice in: %zd\n", vmsplice(p[1], iov, 2, 0));
	char a[3] = {0}, b[16] = {0};
	struct iovec out[2] = {{a, 2}, {b, sizeof b}};
	n = vmsplice(p[0], out, 2, 0);
	printf("vmsplice out: %zd \"%s\" \"%s\"\n", n, a, b);
	printf("vmsplice on a file: %s\n", en(vmsplice(f, iov, 1, 0)));

	// EOF through splice.
	int e[2];
	pipe(e);
	close(e[1]);
	printf("splice at EOF: %zd\n", splice(e[0], NULL, q[1], NULL, 10, 0));
	close(e[0]);

	// sendfile: file -> pipe at the file offset, with an offset, and file -> file.
	lseek(f, 3, SEEK_SET);
	printf("sendfile file->pipe: %zd\n", sendfile(p[1], f, NULL, 4));
	printf("file offset after: %ld\n", (long)lseek(f, 0, SEEK_CUR));
	show("pipe", p[0]);
	off = 15;
	n = sendfile(p[1], f, &off, 100);
	printf("sendfile with offset: %zd off=%ld\n", n, (long)off);
	printf("file offset unchanged: %ld\n", (long)lseek(f, 0, SEEK_CUR));
	show("pipe", p[0]);
	int h = open(path2, O_WRONLY | O_TRUNC);
	off = 0;
	n = sendfile(h, f, &off, 1000);
	printf("sendfile file->file: %zd off=%ld\n", n, (long)off);
	n = pread(g, buf, sizeof buf, 0);
	printf("copy: %zd \"%.*s\"\n", n, (int)n, buf);
	off = 0;
	printf("sendfile from a pipe with offset: %s\n", en(sendfile(h, p[0], &off, 1)));
	close(h);
	h = open(path2, O_WRONLY | O_APPEND);
	printf("sendfile to O_APPEND: %s\n", en(sendfile(h, f, NULL, 1)));
	close(h);

	// A large splice through a pipe, file -> pipe -> file, in a loop.
	char *big = malloc(200000);
	for (int i = 0; i < 200000; i++) big[i] = 'A' + i % 26;
	pwrite(f, big, 200000, 0);
	lseek(f, 0, SEEK_SET);
	h = open(path2, O_RDWR | O_TRUNC);
	long moved = 0;
	for (;;) {
		ssize_t k = splice(f, NULL, p[1], NULL, 65536, 0);
		if (k <= 0) break;
		while (k > 0) {
			ssize_t m = splice(p[0], NULL, h, NULL, k, 0);
			if (m <= 0) break;
			k -= m;
			moved += m;
		}
	}
	char *back = malloc(200000);
	n = pread(h, back, 200000, 0);
	printf("big copy: moved %ld read %zd equal %d\n", moved, n, n == 200000 && memcmp(big, back, n) == 0);

	unlink(path);
	unlink(path2);
	rmdir(dir);
	return 0;
}
