// walk DIR [WORK]: walks a directory tree (opendir/readdir, recursively), and opens, reads
// and closes every regular file. It prints how many directories and files it saw, how
// many opens failed, and how many bytes it read. With WORK (a directory holding a file f
// with a hard link g, a file r1 and an empty directory m), it first holds things the walk
// must not disturb when a sandbox evicts cached names to make room: an open file, its
// working directory, a tmpfs mounted on m, a renamed file; then checks them after the walk.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static long dirs, files, failed, bytes;
static int firstErr;

static void walk(const char *path) {
	DIR *d = opendir(path);
	if (!d) {
		failed++;
		if (!firstErr)
			firstErr = errno;
		return;
	}
	dirs++;
	struct dirent *e;
	char sub[4096];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		// d_type saves a stat per name (the open walks to the file anyway).
		if (e->d_type == DT_DIR) {
			walk(sub);
			continue;
		}
		if (e->d_type != DT_REG)
			continue;
		files++;
		int fd = open(sub, O_RDONLY);
		if (fd < 0) {
			failed++;
			if (!firstErr)
				firstErr = errno;
			continue;
		}
		char buf[64];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0)
			bytes += n;
		close(fd);
	}
	closedir(d);
}

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static ino_t ino(const char *path) {
	struct stat st;
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

int main(int argc, char **argv) {
	if (argc != 2 && argc != 3)
		return 2;
	const char *work = argc == 3 ? argv[2] : NULL;
	int fd = -1;
	ino_t fino = 0;
	char m[4096];
	if (work) {
		if (chdir(work) < 0)
			return 3;
		fd = open("f", O_RDONLY);
		fino = ino("f");
		snprintf(m, sizeof m, "%s/m", work);
		printf("mount: %s\n", en(mount("tmpfs", "m", "tmpfs", 0, NULL)));
		int t = open("m/t", O_CREAT | O_WRONLY, 0644);
		write(t, "tmpfs", 5);
		close(t);
		printf("rename r1 r2: %s\n", en(rename("r1", "r2")));
	}
	walk(argv[1]);
	printf("dirs %ld files %ld failed %ld bytes %ld first error %s\n", dirs, files, failed, bytes,
	       firstErr ? strerrorname_np(firstErr) : "none");
	if (work) {
		char cwd[4096], buf[16] = {0};
		printf("cwd is work: %d\n", getcwd(cwd, sizeof cwd) && strcmp(cwd, work) == 0);
		printf("open file reads: %zd \"%s\"\n", pread(fd, buf, sizeof buf - 1, 0), buf);
		struct stat st;
		fstat(fd, &st);
		printf("open file is f: %d\n", st.st_ino == fino && ino("f") == fino);
		printf("f and g one inode: %d, nlink %lu\n", ino("f") == ino("g"), (unsigned long)st.st_nlink);
		int t = open("m/t", O_RDONLY);
		memset(buf, 0, sizeof buf);
		printf("mount still there: %zd \"%s\"\n", t < 0 ? -1 : read(t, buf, sizeof buf - 1), buf);
		close(t);
		printf("r1: %s, r2: %s\n", en(access("r1", F_OK)), en(access("r2", F_OK)));
		close(fd);
		chdir("/");
		printf("umount: %s\n", en(umount(m)));
	}
	return failed != 0;
}
