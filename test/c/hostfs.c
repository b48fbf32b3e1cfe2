/* hostfs: the host's root directory as the sandbox sees it (runsc do serves it
 * through the gofer, under an in-memory overlay).
 *
 *   hostfs read        print /etc/os-release (through its symlink), stat of /usr/lib,
 *                      readlink of /bin, and /usr listed sorted: must match the host.
 *   hostfs write PATH  create PATH, write, read back, rename, mkdir inside, print what
 *                      was read; everything must stay inside the sandbox.
 *   hostfs hold SECS   open /etc/os-release, print "ready", keep it open for SECS
 *                      seconds (for tests that inspect the runtime's descriptors).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cat(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return;
	}
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
}

static int do_read(void) {
	printf("== /etc/os-release\n");
	cat("/etc/os-release");
	struct stat st;
	if (stat("/usr/lib", &st) == 0)
		printf("== stat /usr/lib: dir=%d mode=%o uid=%u gid=%u\n", S_ISDIR(st.st_mode),
		       st.st_mode & 07777, st.st_uid, st.st_gid);
	else
		printf("== stat /usr/lib: %s\n", strerror(errno));
	if (lstat("/etc/os-release", &st) == 0)
		printf("== lstat /etc/os-release: link=%d size=%lld\n", S_ISLNK(st.st_mode), (long long)st.st_size);
	char target[256];
	ssize_t n = readlink("/bin", target, sizeof target - 1);
	if (n >= 0) {
		target[n] = 0;
		printf("== readlink /bin: %s\n", target);
	} else {
		printf("== readlink /bin: %s\n", strerror(errno));
	}
	DIR *d = opendir("/usr");
	if (!d) {
		printf("opendir /usr: %s\n", strerror(errno));
		return 1;
	}
	char *names[4096];
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && count < 4096)
		names[count++] = strdup(e->d_name);
	closedir(d);
	qsort(names, count, sizeof names[0], cmp);
	printf("== /usr (%d entries):", count);
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
	return 0;
}

static int do_write(const char *path) {
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
	if (fd < 0) {
		printf("create %s: %s\n", path, strerror(errno));
		return 1;
	}
	const char msg[] = "written inside the sandbox\n";
	if (write(fd, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1)) {
		printf("write: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	char renamed[512], dir[512];
	snprintf(renamed, sizeof renamed, "%s.renamed", path);
	snprintf(dir, sizeof dir, "%s.dir", path);
	if (rename(path, renamed) != 0 || mkdir(dir, 0755) != 0) {
		printf("rename/mkdir: %s\n", strerror(errno));
		return 1;
	}
	fd = open(renamed, O_RDONLY);
	char buf[256];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (n < 0) {
		printf("read back: %s\n", strerror(errno));
		return 1;
	}
	buf[n] = 0;
	printf("read back: %s", buf);
	struct stat st;
	printf("dir exists: %d\n", stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	return 0;
}

static int do_hold(int secs) {
	int fd = open("/etc/os-release", O_RDONLY);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	struct timespec ts = {secs, 0};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 2 && strcmp(argv[1], "read") == 0)
		return do_read();
	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "hold") == 0)
		return do_hold(atoi(argv[2]));
	fprintf(stderr, "usage: hostfs read | write PATH | hold SECS\n");
	return 2;
}
