// fdreopen: /proc/self/fd/N is a magic link: opening it reaches the open file itself. A
// pipe's ends open again as fifos that never wait for a peer (bash's <(cmd) and >(cmd)),
// /dev/stdout reopens the stdout the test harness gave (a host pipe), a deleted file opens
// again by its descriptor, and openat2's RESOLVE_NO_MAGICLINKS refuses the jump (ELOOP).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "common.h"

static int reopen(int fd, int flags) {
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return open(path, flags);
}

int main(void) {
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	char link[64] = "";
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	ssize_t n = readlink(path, link, sizeof link - 1);
	printf("readlink names a pipe: %d\n", n > 0 && strncmp(link, "pipe:[", 6) == 0);

	int r2 = reopen(p[0], O_RDONLY), w2 = reopen(p[1], O_WRONLY);
	printf("reopen read end: %s, write end: %s\n", res(r2), res(w2));
	struct stat a, b;
	fstat(p[0], &a);
	fstat(r2, &b);
	printf("same pipe: %d, fifo: %d\n", a.st_ino == b.st_ino, S_ISFIFO(b.st_mode));
	write(w2, "through the reopened write end", 30);
	char buf[64] = "";
	n = read(r2, buf, sizeof buf - 1);
	printf("read %zd: %.*s\n", n, (int)(n > 0 ? n : 0), buf);
	// The read end opened again after every writer is gone: no wait for a writer, EOF.
	close(p[1]);
	close(w2);
	int r3 = reopen(p[0], O_RDONLY);
	printf("reopen without writers: %s, read %zd\n", res(r3), r3 >= 0 ? read(r3, buf, 1) : -1L);
	// And the write end without readers: no ENXIO, a write gets EPIPE.
	int q[2];
	pipe(q);
	signal(SIGPIPE, SIG_IGN);
	close(q[0]);
	int w3 = reopen(q[1], O_WRONLY | O_NONBLOCK);
	long wr = w3 >= 0 ? write(w3, "x", 1) : 0;
	printf("reopen without readers: %s, write %s\n", res(w3), res(wr));
	// O_RDWR of a read end.
	int rw = reopen(p[0], O_RDWR);
	printf("reopen read end O_RDWR: %s\n", res(rw));

	// stdout through /dev/stdout (the harness's pipe), with O_TRUNC as a shell's > does.
	fflush(stdout);
	int out = open("/dev/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out >= 0) {
		write(out, "via /dev/stdout\n", 16);
		close(out);
	} else {
		printf("open /dev/stdout: %s\n", strerrorname_np(errno));
	}

	// A deleted file opens again by its descriptor, with its data.
	char tmpl[] = "/tmp/fdreopenXXXXXX";
	int f = mkstemp(tmpl);
	write(f, "kept", 4);
	unlink(tmpl);
	int f2 = reopen(f, O_RDONLY);
	memset(buf, 0, sizeof buf);
	n = f2 >= 0 ? read(f2, buf, sizeof buf - 1) : -1;
	printf("deleted file: %s, read %zd %s\n", res(f2), n, buf);
	f2 = reopen(f, O_RDWR | O_APPEND);
	write(f2, "+more", 5);
	memset(buf, 0, sizeof buf);
	n = pread(f, buf, sizeof buf - 1, 0);
	printf("written through it: %s\n", buf);

	// openat2 with RESOLVE_NO_MAGICLINKS: the jump is refused.
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_MAGICLINKS};
	snprintf(path, sizeof path, "/proc/self/fd/%d", f);
	long o2 = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	printf("RESOLVE_NO_MAGICLINKS: %s\n", res(o2));
	how.resolve = 0;
	o2 = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	printf("openat2 without it: %s\n", res(o2));
	return 0;
}
