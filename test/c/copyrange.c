// copyrange exercises copy_file_range(2) between regular files in a fresh mkdtemp
// directory under /tmp: at and moving the file offsets, at explicit offsets (which it
// updates, leaving the file offsets alone), short copies at EOF, overlapping and
// non-overlapping ranges of one file, and the errors for flags, descriptors and file types.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static void show(const char *what, int fd) {
	char buf[128];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0) buf[i] = '.';
	printf("%s: %zd \"%.*s\"\n", what, n, n > 0 ? (int)n : 0, buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[] = "/tmp/copyrangeXXXXXX";
	if (!mkdtemp(dir)) return 1;
	char src[64], dst[64];
	snprintf(src, sizeof src, "%s/src", dir);
	snprintf(dst, sizeof dst, "%s/dst", dir);
	int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(in, "0123456789abcdefghij", 20);
	lseek(in, 0, SEEK_SET);
	int out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);

	printf("at file offsets: %zd\n", copy_file_range(in, NULL, out, NULL, 5, 0));
	printf("offsets: in %ld out %ld\n", (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	loff_t oi = 10, oo = 8;
	printf("at explicit offsets: %zd", copy_file_range(in, &oi, out, &oo, 4, 0));
	printf(" -> off_in %ld off_out %ld\n", (long)oi, (long)oo);
	printf("file offsets unchanged: in %ld out %ld\n", (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	oi = 15;
	printf("past EOF shortened: %zd", copy_file_range(in, &oi, out, NULL, 100, 0));
	printf(" -> off_in %ld, out offset %ld\n", (long)oi, (long)lseek(out, 0, SEEK_CUR));
	oi = 20;
	printf("at EOF: %zd\n", copy_file_range(in, &oi, out, NULL, 10, 0));
	oi = 50;
	printf("beyond EOF: %zd\n", copy_file_range(in, &oi, out, NULL, 10, 0));
	printf("zero length: %zd\n", copy_file_range(in, NULL, out, NULL, 0, 0));
	show("dst", out);

	// One file: overlapping ranges are EINVAL, others copy.
	oi = 0, oo = 5;
	printf("same file overlapping: %s\n", en(copy_file_range(in, &oi, in, &oo, 10, 0)));
	oo = 22;
	printf("same file disjoint: %zd\n", copy_file_range(in, &oi, in, &oo, 4, 0));
	show("src", in);

	// Errors.
	printf("flags: %s\n", en(copy_file_range(in, NULL, out, NULL, 1, 1)));
	oi = -1;
	printf("negative offset: %s\n", en(copy_file_range(in, &oi, out, NULL, 1, 0)));
	printf("bad fd: %s\n", en(copy_file_range(99, NULL, out, NULL, 1, 0)));
	int ro = open(dst, O_RDONLY), wo = open(src, O_WRONLY), ap = open(dst, O_WRONLY | O_APPEND);
	printf("output read-only: %s\n", en(copy_file_range(in, NULL, ro, NULL, 1, 0)));
	printf("input write-only: %s\n", en(copy_file_range(wo, NULL, out, NULL, 1, 0)));
	printf("output O_APPEND: %s\n", en(copy_file_range(in, NULL, ap, NULL, 1, 0)));
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	printf("input directory: %s\n", en(copy_file_range(d, NULL, out, NULL, 1, 0)));
	int p[2];
	pipe(p);
	write(p[1], "xy", 2);
	printf("input pipe: %s\n", en(copy_file_range(p[0], NULL, out, NULL, 1, 0)));
	printf("output pipe: %s\n", en(copy_file_range(in, NULL, p[1], NULL, 1, 0)));

	unlink(src);
	unlink(dst);
	rmdir(dir);
	return 0;
}
