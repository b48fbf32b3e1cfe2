// mmapshared: MAP_SHARED mappings of files on tmpfs (a fresh directory under /dev/shm, or
// /tmp if there is none): writes through a mapping are seen by read(2), write(2) is seen
// through a mapping, two mappings of one file (and a fork child's) see each other's writes,
// ftruncate extends what can be touched, a page wholly past EOF raises SIGBUS, msync
// returns 0, the data outlives munmap and unlink-while-mapped, mprotect(PROT_WRITE) of a
// shared mapping of a read-only descriptor is EACCES, and a process-shared POSIX semaphore
// (sem_open, which maps a /dev/shm file) works across fork.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
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

static char dir[64];

static int openFile(const char *name, int flags) {
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, flags, 0600);
	if (fd < 0)
		die(path);
	return fd;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	strcpy(dir, "/dev/shm/mmapsharedXXXXXX");
	if (!mkdtemp(dir)) {
		strcpy(dir, "/tmp/mmapsharedXXXXXX");
		if (!mkdtemp(dir))
			die("mkdtemp");
	}
	catch_faults();

	int fd = openFile("data", O_RDWR | O_CREAT | O_TRUNC);
	if (ftruncate(fd, 2 * PG) != 0)
		die("ftruncate");
	// 4 pages mapped over a 2-page file.
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap shared rw");
	printf("fresh page reads zero: %d\n", m[10] == 0 && m[PG + 5] == 0);

	// Mapping -> read(2).
	memcpy(m + 1, "through the mapping", 19);
	char buf[64] = {0};
	if (pread(fd, buf, 19, 1) != 19)
		die("pread");
	printf("read sees mapping write: %s\n", buf);

	// write(2) -> mapping.
	if (pwrite(fd, "via write", 9, PG + 100) != 9)
		die("pwrite");
	printf("mapping sees write(2): %.9s\n", m + PG + 100);

	// A second mapping of the same file, at an offset.
	char *m2 = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
	if (m2 == MAP_FAILED)
		die("mmap second");
	printf("second mapping sees first: %.9s\n", m2 + 100);
	memcpy(m2 + 200, "from second", 11);
	printf("first mapping sees second: %.11s\n", m + PG + 200);

	// A read-only shared mapping of a read-only descriptor is live, not a snapshot, and
	// may not become writable.
	int ro = openFile("data", O_RDONLY);
	char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	if (r == MAP_FAILED)
		die("mmap shared ro");
	memcpy(m + 300, "live", 4);
	printf("read-only mapping is live: %.4s\n", r + 300);
	int rc = mprotect(r, PG, PROT_READ | PROT_WRITE);
	printf("mprotect write on read-only fd: %d %s\n", rc, rc ? strerror(errno) : "");

	// read(2) into and write(2) from a shared mapping (the sentry copies into file pages).
	int other = openFile("other", O_RDWR | O_CREAT | O_TRUNC);
	if (write(other, "copied in by read", 17) != 17)
		die("write other");
	if (pread(other, m + 400, 17, 0) != 17)
		die("pread into mapping");
	if (pread(fd, buf, 17, 400) != 17)
		die("pread back");
	printf("read(2) into mapping reaches the file: %.17s\n", buf);
	if (pwrite(other, m + 1, 19, 0) != 19)
		die("pwrite from mapping");
	memset(buf, 0, sizeof buf);
	pread(other, buf, 19, 0);
	printf("write(2) from mapping: %.19s\n", buf);

	// Fork: the child's writes through the inherited mapping reach the parent.
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + 500, "child wrote", 11);
		m2[300] = 'C';
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent sees child: %.11s %c\n", m + 500, m[PG + 300]);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 11, 500);
	printf("file has child's write: %.11s\n", buf);

	// Past EOF: the third page is wholly beyond the 2-page file.
	printf("read past EOF: signal %d\n", touch(m + 2 * PG + 8, 0));
	printf("write past EOF: signal %d\n", touch(m + 3 * PG, 1));
	// Extending the file makes the pages reachable (zero filled).
	if (ftruncate(fd, 4 * PG) != 0)
		die("ftruncate extend");
	printf("after extend: signal %d, reads %d\n", touch(m + 2 * PG + 8, 0), m[2 * PG + 8]);
	m[3 * PG + 1] = 'E';
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 1, 3 * PG + 1);
	printf("extended page write reaches the file: %c\n", buf[0]);

	printf("msync: %d\n", msync(m, 4 * PG, MS_SYNC));
	printf("msync async+invalidate: %d\n", msync(m, PG, MS_ASYNC | MS_INVALIDATE));
	rc = msync(m, PG, MS_SYNC | MS_ASYNC);
	printf("msync sync+async: %d %s\n", rc, rc ? strerror(errno) : "");

	// The data outlives every mapping.
	munmap(m, 4 * PG);
	munmap(m2, PG);
	munmap(r, PG);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 19, 1);
	printf("after munmap: %s\n", buf);

	// Unlinked while mapped (as sem_open does with its temporary file), then shared with a
	// child.
	int tmp = openFile("unlinked", O_RDWR | O_CREAT | O_TRUNC);
	ftruncate(tmp, PG);
	volatile int *counter = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, tmp, 0);
	if (counter == MAP_FAILED)
		die("mmap unlinked");
	char path[128];
	snprintf(path, sizeof path, "%s/unlinked", dir);
	unlink(path);
	close(tmp);
	*counter = 1;
	if ((pid = fork()) == 0) {
		*counter += 41;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("unlinked mapping shared with child: %d\n", *counter);

	// A named semaphore between processes.
	char semName[64];
	snprintf(semName, sizeof semName, "/mmapshared-%d", getpid());
	sem_t *sem = sem_open(semName, O_CREAT | O_EXCL, 0600, 0);
	if (sem == SEM_FAILED) {
		printf("sem_open: %s\n", strerror(errno));
	} else {
		if ((pid = fork()) == 0) {
			sem_post(sem);
			_exit(0);
		}
		int w = sem_wait(sem);
		waitpid(pid, &st, 0);
		int val = -1;
		sem_getvalue(sem, &val);
		printf("sem_wait after child's post: %d, value %d\n", w, val);
		sem_close(sem);
		sem_unlink(semName);
	}

	close(fd);
	close(ro);
	close(other);
	snprintf(path, sizeof path, "%s/data", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/other", dir);
	unlink(path);
	rmdir(dir);
	printf("done\n");
	return 0;
}
