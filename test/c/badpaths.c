// badpaths: hostile paths get Linux's errno and never leave the root. `..` past the root
// stays at the root (stat, chdir+getcwd, a symlink full of ..); a symlink to /etc/shadow
// (absolute, and relative with too many ..) resolves inside the process's root; names of
// NAME_MAX+1 bytes and paths of PATH_MAX bytes are ENAMETOOLONG (NAME_MAX and PATH_MAX-1
// work); names of NUL-free garbage bytes are just names; a directory renamed into its own
// child is EINVAL; symlink loops are ELOOP; openat2 RESOLVE_BENEATH refuses to climb
// (EXDEV) and RESOLVE_IN_ROOT stays in. Work happens in a fresh mkdtemp directory under
// /tmp. With the argument "show", it prints the first line of the file the /etc/shadow
// symlink reaches (for a container test that knows its rootfs's file).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static char dir[] = "/tmp/badpathsXXXXXX";

static const char *at(const char *name) { return path_in(dir, name); }

static int same(const char *a, const char *b) {
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return -errno;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// slurp reads up to n bytes of path into buf; -errno on failure.
static long slurp(const char *path, char *buf, size_t n) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long r = read(fd, buf, n);
	close(fd);
	return r;
}

static long openat2_(int dirfd, const char *path, unsigned long long resolve) {
	struct open_how how = {.flags = O_RDONLY, .resolve = resolve};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
	if (fd >= 0)
		close(fd);
	return fd;
}

int main(int argc, char **argv) {
	int show = argc > 1 && strcmp(argv[1], "show") == 0;
	if (!mkdtemp(dir))
		return 1;

	// .. past the root.
	printf("/.. is /: %d\n", same("/..", "/"));
	printf("/../../.. is /: %d\n", same("/../../..", "/"));
	char deep[512];
	snprintf(deep, sizeof deep, "%s/../../../../../../../..", dir);
	printf("tmpdir/../../../../.. is /: %d\n", same(deep, "/"));
	printf("/../../../tmp is /tmp: %d\n", same("/../../../tmp", "/tmp"));
	char cwd[PATH_MAX];
	chdir("/");
	chdir("../../../../..");
	printf("cwd after chdir ../../..: %s\n", getcwd(cwd, sizeof cwd) ? cwd : strerrorname_np(errno));
	printf("symlink ../../../../../..: %s\n", res(symlink("../../../../../../../../..", at("up"))));
	printf("up is /: %d\n", same(at("up"), "/"));

	// Symlinks to /etc/shadow: they resolve in this root.
	char a[4096], b[4096];
	symlink("/etc/shadow", at("shadow"));
	symlink("../../../../../../../../etc/shadow", at("shadow-rel"));
	long na = slurp(at("shadow"), a, sizeof a), nb = slurp("/etc/shadow", b, sizeof b);
	printf("via absolute symlink = /etc/shadow: %d\n", na == nb && (na < 0 || memcmp(a, b, na) == 0));
	na = slurp(at("shadow-rel"), a, sizeof a);
	printf("via relative symlink = /etc/shadow: %d\n", na == nb && (na < 0 || memcmp(a, b, na) == 0));
	if (show) {
		char *nl = na > 0 ? memchr(a, '\n', na) : NULL;
		printf("shadow: %.*s\n", na > 0 ? (int)(nl ? nl - a : na) : 0, a);
	}
	printf("readlink: %s\n", readlink(at("shadow"), a, sizeof a) > 0 ? "ok" : strerrorname_np(errno));

	// Long names and paths.
	char name[NAME_MAX + 2];
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = 0;
	printf("open NAME_MAX+1: %s\n", res(open(at(name), O_RDONLY)));
	printf("creat NAME_MAX+1: %s\n", res(open(at(name), O_CREAT | O_WRONLY, 0644)));
	printf("mkdir NAME_MAX+1: %s\n", res(mkdir(at(name), 0755)));
	printf("stat NAME_MAX+1: %s\n", res(stat(at(name), &(struct stat){0})));
	printf("symlink to NAME_MAX+1 target: %s\n", res(symlink(name, at("longtarget"))));
	printf("follow it: %s\n", res(open(at("longtarget"), O_RDONLY)));
	name[NAME_MAX] = 0;
	int fd = open(at(name), O_CREAT | O_WRONLY, 0644);
	printf("creat NAME_MAX: %s\n", res(fd));
	close(fd);
	printf("unlink NAME_MAX: %s\n", res(unlink(at(name))));

	static char path[PATH_MAX + 16];
	// "/" followed by "./" pairs, then "tmp": exactly len bytes without the NUL.
	for (int len = PATH_MAX - 1; len <= PATH_MAX + 1; len++) {
		int n = 0;
		path[n++] = '/';
		for (; n < len - 3; n++)
			path[n] = n % 2 ? '.' : '/';
		if (path[n - 1] != '/')
			path[n - 1] = '/';
		memcpy(path + n, "tmp", 3);
		path[len] = 0;
		printf("stat path of %d bytes: %s (len %zu)\n", len, res(stat(path, &(struct stat){0})), strlen(path));
	}
	memset(path, 'x', PATH_MAX);
	path[PATH_MAX] = 0;
	printf("open 4096 x: %s\n", res(open(path, O_RDONLY)));
	printf("chdir 4096 x: %s\n", res(chdir(path)));
	printf("mkdir 4096 x: %s\n", res(mkdir(path, 0755)));

	// NUL-free garbage.
	unsigned seed = 7;
	for (int i = 0; i < 8; i++) {
		char g[200], full[512];
		int n = 1 + (i * 37) % 180;
		for (int j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			char c = (char)(1 + (seed >> 16) % 255);
			g[j] = c == '/' ? 'x' : c;
		}
		g[n] = 0;
		if (strcmp(g, ".") == 0 || strcmp(g, "..") == 0)
			g[0] = 'y';
		snprintf(full, sizeof full, "%s/%s", dir, g);
		int gfd = open(full, O_CREAT | O_EXCL | O_WRONLY, 0600);
		struct stat st;
		int sr = stat(full, &st);
		printf("garbage %d: create %s, stat %s, unlink %s\n", i, res(gfd), res(sr), res(unlink(full)));
		close(gfd);
		for (int j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			g[j] = (char)(1 + (seed >> 16) % 255);
		}
		snprintf(full, sizeof full, "/%s", g);
		printf("garbage path %d: %s\n", i, res(open(full, O_RDONLY)));
	}

	// A directory into its own child.
	mkdir(at("a"), 0755);
	mkdir(at("a/b"), 0755);
	mkdir(at("a/b/c"), 0755);
	printf("rename a a/b/x: %s\n", res(rename(at("a"), at("a/b/x"))));
	printf("rename a a/b/c/x: %s\n", res(rename(at("a"), at("a/b/c/x"))));
	printf("rename a a/b: %s\n", res(rename(at("a"), at("a/b"))));
	printf("rename a/b a: %s\n", res(rename(at("a/b"), at("a"))));
	printf("exchange a a/b: %s\n", res(syscall(SYS_renameat2, AT_FDCWD, at("a"), AT_FDCWD, at("a/b"), RENAME_EXCHANGE)));
	printf("rename a a: %s\n", res(rename(at("a"), at("a"))));
	printf("rename a/b/c/.. a/z: %s\n", res(rename(at("a/b/c/.."), at("a/z"))));

	// Loops and openat2.
	symlink("loop2", at("loop1"));
	symlink("loop1", at("loop2"));
	printf("open loop: %s\n", res(open(at("loop1"), O_RDONLY)));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	printf("openat2 BENEATH ..: %s\n", res(openat2_(dfd, "../", RESOLVE_BENEATH)));
	printf("openat2 BENEATH up symlink: %s\n", res(openat2_(dfd, "up", RESOLVE_BENEATH)));
	printf("openat2 BENEATH /etc: %s\n", res(openat2_(dfd, "/etc", RESOLVE_BENEATH)));
	mkdir(at("a/etc"), 0755);
	printf("openat2 IN_ROOT ../../etc: %s\n", res(openat2_(open(at("a"), O_RDONLY), "../../../etc", RESOLVE_IN_ROOT)));
	printf("openat2 IN_ROOT shadow symlink: %s\n", res(openat2_(dfd, "shadow", RESOLVE_IN_ROOT)));
	printf("openat2 NO_SYMLINKS: %s\n", res(openat2_(dfd, "shadow", RESOLVE_NO_SYMLINKS)));
	close(dfd);

	// Clean up.
	const char *rm[] = {"a/b/c", "a/b", "a/etc", "a", "up", "shadow", "shadow-rel", "longtarget", "loop1", "loop2", "a/z"};
	for (unsigned i = 0; i < sizeof rm / sizeof rm[0]; i++)
		if (unlink(at(rm[i])) < 0)
			rmdir(at(rm[i]));
	rmdir(at("a/z"));
	rmdir(at("a"));
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
