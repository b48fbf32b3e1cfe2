// mmapfile exercises mmap(2) of files: MAP_PRIVATE contents (whole file, at an offset, the
// zeroed tail of the last page), private writes not reaching the file, MAP_FIXED over an
// existing mapping, PROT_NONE then mprotect, MAP_SHARED read-only, /dev/zero, a mapping that
// outlives its descriptor, and the errno paths (EINVAL, EBADF, EACCES, ENODEV). It works on a
// file in a fresh mkdtemp directory in /tmp and never touches a page wholly past the end of a
// file (SIGBUS on Linux, zeros in the sandbox: a documented difference). Pipes (ENODEV for the
// read end, EACCES for the write end) belong here once pipe(2) exists.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096
#define SIZE (3 * PG + 100)

static const char *en(int e) {
	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case ENODEV: return "ENODEV";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case EOVERFLOW: return "EOVERFLOW";
	default: return "other";
	}
}

// M reports whether an mmap succeeded (unmapping it) or its errno.
#define M(expr) do { errno = 0; void *_p = (expr); printf("%-64s -> %s\n", #expr, _p == MAP_FAILED ? en(errno) : "ok"); if (_p != MAP_FAILED) munmap(_p, PG); } while (0)

static unsigned char pat(long i) { return (unsigned char)(i * 7 + i / PG + 1); }

// same reports whether [p, p+n) holds the file's bytes from offset off.
static int same(const unsigned char *p, long off, long n) {
	for (long i = 0; i < n; i++)
		if (p[i] != pat(off + i))
			return 0;
	return 1;
}

static int zero(const unsigned char *p, long n) {
	for (long i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void) {
	char dir[] = "/tmp/mmapfile-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	static unsigned char buf[SIZE];
	for (long i = 0; i < SIZE; i++)
		buf[i] = pat(i);
	if (fd < 0 || write(fd, buf, SIZE) != SIZE) {
		perror("writing the file");
		return 1;
	}
	close(fd);
	int ro = open(path, O_RDONLY);
	int wo = open(path, O_WRONLY);
	int rw = open(path, O_RDWR);

	// The whole file, read-only: contents, and the tail of the last page is zero.
	unsigned char *p = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, ro, 0);
	printf("private whole file: %s\n", p == MAP_FAILED ? en(errno) : "ok");
	if (p != MAP_FAILED) {
		printf("  contents match: %d\n", same(p, 0, SIZE));
		printf("  tail of last page zero: %d\n", zero(p + SIZE, 4 * PG - SIZE));
		munmap(p, SIZE);
	}

	// At an offset, with a length shorter than the rest of the file.
	p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 2 * PG);
	printf("offset 2 pages: %s", p == MAP_FAILED ? en(errno) : "ok");
	if (p != MAP_FAILED) {
		printf(" contents match: %d\n", same(p, 2 * PG, PG));
		munmap(p, PG);
	} else {
		printf("\n");
	}

	// A length that is not a page multiple still maps the whole page.
	p = mmap(NULL, 10, PROT_READ, MAP_PRIVATE, ro, PG);
	if (p != MAP_FAILED) {
		printf("10-byte mapping shows its whole page: %d\n", same(p, PG, PG));
		munmap(p, 10);
	}

	// Private writes stay private.
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw, 0);
	if (p != MAP_FAILED) {
		memset(p + 5, 'X', 3 * PG);
		unsigned char back[16];
		long n = pread(rw, back, 16, 0);
		printf("pread after a private write: %ld bytes, unchanged: %d\n", n, same(back, 0, 16));
		printf("  mapping sees its write: %d\n", p[5] == 'X' && p[3 * PG + 4] == 'X');
		munmap(p, SIZE);
	}
	p = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, ro, 0);
	if (p != MAP_FAILED) {
		printf("a new mapping sees the file unchanged: %d\n", same(p, 0, SIZE));
		munmap(p, SIZE);
	}

	// MAP_FIXED over the middle page of an anonymous mapping.
	unsigned char *a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(a, 'a', 3 * PG);
	p = mmap(a + PG, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, ro, PG);
	printf("MAP_FIXED at the requested address: %d, contents: %d, neighbours kept: %d\n",
	       p == a + PG, p != MAP_FAILED && same(p, PG, PG), a[0] == 'a' && a[2 * PG] == 'a');
	munmap(a, 3 * PG);

	// PROT_NONE, then readable.
	p = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE, ro, 0);
	if (p != MAP_FAILED) {
		printf("PROT_NONE then mprotect(PROT_READ): %s", en(mprotect(p, 2 * PG, PROT_READ) ? errno : 0));
		printf(" contents: %d\n", same(p, 0, 2 * PG));
		munmap(p, 2 * PG);
	}

	// MAP_SHARED without PROT_WRITE on a read-only descriptor.
	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, ro, 0);
	printf("shared read-only: %s", p == MAP_FAILED ? en(errno) : "ok");
	if (p != MAP_FAILED) {
		printf(" contents: %d\n", same(p, 0, SIZE));
		munmap(p, SIZE);
	} else {
		printf("\n");
	}

	// The mapping outlives its descriptor.
	int tmp = open(path, O_RDONLY);
	p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, tmp, 0);
	close(tmp);
	printf("after close: %d\n", p != MAP_FAILED && same(p, 0, PG));

	// /dev/zero maps as anonymous memory.
	int z = open("/dev/zero", O_RDWR);
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
	if (p != MAP_FAILED) {
		int ok = zero(p, 2 * PG);
		p[100] = 1;
		printf("/dev/zero private: zero %d, writable %d\n", ok, p[100] == 1);
		munmap(p, 2 * PG);
	} else {
		printf("/dev/zero private: %s\n", en(errno));
	}
	close(z);

	// Errors.
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int opath = open(path, O_PATH);
	int efd = eventfd(0, 0);
	int ep = epoll_create1(0);
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 100));
	M(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, ro, 0));
	M(mmap(NULL, PG, PROT_READ, 0, ro, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, opath, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0));
	M(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	M(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, efd, 0));
	M(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ep, 0));

	unlink(path);
	rmdir(dir);
	return 0;
}
