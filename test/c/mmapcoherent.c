// mmapcoherent [DIR]: MAP_SHARED file mappings stay coherent with read(2)/write(2) and
// across processes, and ftruncate zaps what it cuts off. In DIR (a fresh directory under
// /tmp if not given; the file is left there when DIR is given, so the caller can check what
// reached it): write(2) is visible through a mapping and stores through it to read(2), in
// the same and in another process; a read-only descriptor's shared mapping is live and may
// not be writable (EACCES); msync; SIGBUS for pages wholly past EOF, including pages that
// were mapped before a shrinking ftruncate, in every process mapping the file; the partial
// last page keeps its head and reads zeros past EOF; growing again reads zeros; stores of
// a process that exits without munmap reach the file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char *sig(int s) { return s == SIGBUS ? "SIGBUS" : s == SIGSEGV ? "SIGSEGV" : s ? "other" : "none"; }

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char dir[256];
	int keep = argc > 1;
	if (keep) {
		snprintf(dir, sizeof dir, "%s", argv[1]);
	} else {
		strcpy(dir, "/tmp/mmapcoherentXXXXXX");
		if (!mkdtemp(dir))
			die("mkdtemp");
	}
	catch_faults();

	char path[300];
	snprintf(path, sizeof path, "%s/shared", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("create");
	char page[PG];
	for (int i = 0; i < 3; i++) {
		memset(page, 'a' + i, PG);
		if (write(fd, page, PG) != PG)
			die("write");
	}
	// 4 pages over a 3-page file.
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	printf("mapping shows file: %c %c %c\n", m[0], m[PG], m[2 * PG + 5]);
	printf("page past EOF: %s\n", sig(touch(m + 3 * PG, 0)));

	// write(2) -> mapping; mapping -> read(2).
	if (pwrite(fd, "written", 7, 10) != 7)
		die("pwrite");
	printf("mapping sees write(2): %.7s\n", m + 10);
	memcpy(m + PG + 20, "stored", 6);
	char buf[64] = {0};
	if (pread(fd, buf, 6, PG + 20) != 6)
		die("pread");
	printf("read(2) sees store: %.6s\n", buf);
	int other = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	if (pread(other, buf, 6, PG + 20) != 6)
		die("pread other");
	printf("another description sees store: %.6s\n", buf);

	// A read-only descriptor: a writable shared mapping is refused, a read-only one is live.
	void *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, other, 0);
	printf("PROT_WRITE MAP_SHARED of O_RDONLY: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
	char *r = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED, other, 0);
	if (r == MAP_FAILED)
		die("mmap ro");
	memcpy(m + 30, "live", 4);
	printf("read-only mapping is live: %.4s %.7s\n", r + 30, r + 10);
	int rc = mprotect(r, PG, PROT_READ | PROT_WRITE);
	printf("mprotect(PROT_WRITE) of it: %d %s\n", rc, rc ? strerror(errno) : "");

	// Another process: its stores and writes are seen here, and it sees the truncation.
	int toChild[2], fromChild[2];
	if (pipe(toChild) || pipe(fromChild))
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + 2 * PG + 40, "from child", 10);
		pwrite(fd, "child write", 11, 2 * PG + 60);
		char c = 0;
		write(fromChild[1], &c, 1);
		read(toChild[0], &c, 1); // the parent has truncated
		printf("child after truncate: page 2 %s, page 1 head %c, tail %d\n", sig(touch(m + 2 * PG, 0)),
		       m[PG], m[PG + 200]);
		_exit(0);
	}
	char c;
	read(fromChild[0], &c, 1);
	printf("child's store: %.10s, child's write: %.11s\n", m + 2 * PG + 40, m + 2 * PG + 60);
	printf("msync: %d\n", msync(m, 3 * PG, MS_SYNC));

	// Shrink into the middle of page 1: pages 2.. are gone from every mapping.
	for (int i = 0; i < 3; i++)
		touch(m + i * PG, 0);
	if (ftruncate(fd, PG + 100) != 0)
		die("ftruncate");
	printf("after truncate: page 0 %s, page 1 %s, page 2 read %s, write %s, ro mapping %s\n",
	       sig(touch(m, 0)), sig(touch(m + PG, 1)), sig(touch(m + 2 * PG, 0)), sig(touch(m + 2 * PG, 1)),
	       sig(touch(r + 2 * PG, 0)));
	printf("page 1 head %.6s, past EOF %d\n", m + PG + 20, m[PG + 100]);
	write(toChild[1], &c, 1);
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));

	// Grow again: zeros where the old data was.
	if (ftruncate(fd, 3 * PG) != 0)
		die("ftruncate grow");
	printf("after growing: page 1 tail %d, page 2 %d %d, signal %s\n", m[PG + 200], m[2 * PG], m[2 * PG + 40],
	       sig(touch(m + 2 * PG + 1, 0)));
	memcpy(m + 2 * PG + 100, "regrown", 7);
	memset(buf, 0, sizeof buf);
	pread(other, buf, 7, 2 * PG + 100);
	printf("store after growing reaches read(2): %.7s\n", buf);
	memcpy(m + 3 * PG - 4, "end!", 4);
	if (munmap(m, 4 * PG) || munmap(r, 3 * PG))
		die("munmap");

	// A process that stores through a mapping and exits without munmap or msync.
	pid = fork();
	if (pid == 0) {
		char *cm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (cm == MAP_FAILED)
			_exit(1);
		memcpy(cm + 50, "left at exit", 12);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("exiting child status %d\n", WEXITSTATUS(st));
	close(fd);

	// What the file holds now, through a fresh descriptor.
	int fresh = open(path, O_RDONLY);
	struct stat sb;
	fstat(fresh, &sb);
	char *all = malloc(sb.st_size);
	if (pread(fresh, all, sb.st_size, 0) != sb.st_size)
		die("pread all");
	unsigned long h = 5381;
	for (off_t i = 0; i < sb.st_size; i++)
		h = h * 33 + (unsigned char)all[i];
	printf("final size %ld hash %lu: %.7s %.12s %.6s %.7s %.4s\n", (long)sb.st_size, h, all + 10, all + 50,
	       all + PG + 20, all + 2 * PG + 100, all + 3 * PG - 4);
	close(fresh);
	close(other);
	if (!keep) {
		unlink(path);
		rmdir(dir);
	}
	return 0;
}
