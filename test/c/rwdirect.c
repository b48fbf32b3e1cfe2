// rwdirect: read(2)/write(2) families on regular files with awkward buffers. Reads of the
// program's own executable (a host file: through the gofer in the sandbox) and of a file in
// a fresh /tmp directory (tmpfs in the sandbox) into buffers that end at an inaccessible
// page (short count up to it), start at one (EFAULT, offset unchanged) or are read-only;
// NULL buffers at EOF and with a zero count; large reads in one call; reads into
// copy-on-write memory after fork and into shared memory; writes from the same kinds of
// buffers, and from a shared mapping of the file being written.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// bad is an address with nothing mapped (hidden from the compiler's buffer checks).
static void *volatile bad = (void *)8;

static void show(const char *what, long rc) {
	if (rc < 0)
		printf("%s: -1 %s\n", what, strerror(errno));
	else
		printf("%s: %ld\n", what, rc);
}

static unsigned long sum(const unsigned char *p, size_t n) {
	unsigned long h = 5381;
	for (size_t i = 0; i < n; i++)
		h = h * 33 + p[i];
	return h;
}

// guarded returns 3 pages: read-write, PROT_NONE, read-only.
static char *guarded(void) {
	char *b = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		die("mmap guarded");
	memset(b, 'z', 3 * PG);
	if (mprotect(b + PG, PG, PROT_NONE) || mprotect(b + 2 * PG, PG, PROT_READ))
		die("mprotect guarded");
	return b;
}

static void readCases(const char *label, int fd, off_t size) {
	char *b = guarded();
	char what[128];
#define SHOW(name, rc)                                            \
	do {                                                      \
		long r_ = (rc);                                   \
		snprintf(what, sizeof what, "%s %s", label, name); \
		show(what, r_);                                   \
	} while (0)
	lseek(fd, 0, SEEK_SET);
	SHOW("read ending at PROT_NONE", read(fd, b + PG - 100, 1000));
	SHOW("  offset", lseek(fd, 0, SEEK_CUR));
	SHOW("read into PROT_NONE", read(fd, b + PG, 10));
	SHOW("  offset", lseek(fd, 0, SEEK_CUR));
	SHOW("read into read-only", read(fd, b + 2 * PG, 10));
	SHOW("  offset", lseek(fd, 0, SEEK_CUR));
	SHOW("pread into PROT_NONE", pread(fd, b + PG, 10, 0));
	SHOW("pread ending at PROT_NONE", pread(fd, b + PG - 7, 100, 3));
	SHOW("read NULL count 0", read(fd, NULL, 0));
	SHOW("read into unmapped", read(fd, bad, 10));
	lseek(fd, 0, SEEK_END);
	SHOW("read NULL at EOF", read(fd, NULL, 10));
	SHOW("pread NULL at EOF", pread(fd, NULL, 10, size));
	SHOW("pread NULL past EOF", pread(fd, NULL, 10, size + 5));

	// readv whose second buffer is bad: the first one's bytes.
	lseek(fd, 0, SEEK_SET);
	struct iovec iov[2] = {{b, 50}, {b + PG, 50}};
	SHOW("readv second bad", readv(fd, iov, 2));
	SHOW("  offset", lseek(fd, 0, SEEK_CUR));
	iov[0].iov_base = b + PG;
	SHOW("preadv first bad", preadv(fd, iov, 2, 0));

	// The whole file in one call, into memory spanning several 2 MiB windows.
	size_t big = ((size_t)size + 3 * (1 << 20)) & ~(size_t)(PG - 1);
	unsigned char *all = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (all == MAP_FAILED)
		die("mmap big");
	SHOW("pread whole file", pread(fd, all, big, 0));
	unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		die("mmap file");
	printf("%s read matches mapping: %d\n", label, memcmp(all, m, size) == 0);
	printf("%s bytes past EOF untouched: %d\n", label, all[size] == 0);
	munmap(m, size);

	// Copy-on-write memory: a child's read must not show in the parent.
	memset(all, 'p', PG);
	pid_t pid = fork();
	if (pid == 0) {
		if (pread(fd, all, PG, 0) != PG)
			_exit(1);
		_exit(all[0] == 'p' ? 2 : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("%s child read into cow memory: status %d, parent still sees p: %d\n", label,
	       WEXITSTATUS(st), all[0] == 'p' && all[PG - 1] == 'p');

	// Shared memory: a child's read shows in the parent.
	unsigned char *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap shared");
	pid = fork();
	if (pid == 0)
		_exit(pread(fd, sh, PG, 0) == PG ? 0 : 1);
	waitpid(pid, &st, 0);
	if (pread(fd, all, PG, 0) != PG)
		die("pread first page");
	printf("%s child read into shared memory: status %d, parent sees it: %d\n", label,
	       WEXITSTATUS(st), memcmp(sh, all, PG) == 0);
	munmap(sh, PG);
	munmap(all, big);
	munmap(b, 3 * PG);
#undef SHOW
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	(void)argc;

	// A host file: the program itself.
	int exe = open(argv[0], O_RDONLY);
	if (exe < 0)
		die("open self");
	struct stat st;
	fstat(exe, &st);
	readCases("exe", exe, st.st_size);

	// A shared read-only mapping of the host file shows its bytes and stays read-only.
	char *sm = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, exe, 0);
	if (sm == MAP_FAILED)
		die("mmap exe shared");
	char *first = malloc(st.st_size);
	if (pread(exe, first, st.st_size, 0) != st.st_size)
		die("pread exe");
	printf("shared mapping of exe matches read: %d\n", memcmp(sm, first, st.st_size) == 0);
	show("mprotect(PROT_WRITE) of it", mprotect(sm, PG, PROT_READ | PROT_WRITE));
	void *smw = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, exe, 0);
	printf("writable shared mapping of O_RDONLY exe: %s\n", smw == MAP_FAILED ? strerror(errno) : "mapped");
	munmap(sm, st.st_size);

	// A fresh file in /tmp, 5 MiB + 123 bytes of a pattern.
	char dir[] = "/tmp/rwdirectXXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp");
	char path[64];
	snprintf(path, sizeof path, "%s/data", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("create");
	size_t n = (5 << 20) + 123;
	unsigned char *pat = malloc(n);
	for (size_t i = 0; i < n; i++)
		pat[i] = (unsigned char)(i * 7 + i / 4096);
	show("write 5 MiB in one call", write(fd, pat, n));
	readCases("tmp", fd, n);
	unsigned char *back = malloc(n);
	show("read back", pread(fd, back, n, 0));
	printf("tmp content: %d %lu\n", memcmp(back, pat, n) == 0, sum(back, n));

	// Writes from awkward buffers.
	char *b = guarded();
	memcpy(b + PG - 100, "0123456789", 10);
	lseek(fd, 0, SEEK_SET);
	show("write ending at PROT_NONE", write(fd, b + PG - 100, 1000));
	show("  offset", lseek(fd, 0, SEEK_CUR));
	show("write from PROT_NONE", write(fd, b + PG, 10));
	show("  offset", lseek(fd, 0, SEEK_CUR));
	show("write from read-only", write(fd, b + 2 * PG, 10));
	show("pwrite from unmapped", pwrite(fd, bad, 10, 0));
	show("write NULL count 0", write(fd, NULL, 0));
	struct iovec iov[2] = {{b, 20}, {b + PG, 20}};
	show("writev second bad", writev(fd, iov, 2));
	char chk[16] = {0};
	pread(fd, chk, 10, 0);
	printf("file starts: %.10s\n", chk);
	pread(fd, chk, 10, 110);
	printf("then: %.10s\n", chk);

	// A shared mapping of the file as the source of a write to the same file.
	char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap shared file");
	memcpy(m, "self-copy", 9);
	show("pwrite from own mapping", pwrite(fd, m, 9, PG + 1));
	printf("mapping sees it: %.9s\n", m + PG + 1);
	show("pread into own mapping", pread(fd, m + 20, 9, PG + 1));
	printf("mapping now: %.9s\n", m + 20);
	munmap(m, 2 * PG);

	close(fd);
	unlink(path);
	rmdir(dir);
	return 0;
}
