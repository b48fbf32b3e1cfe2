// mountmore exercises mount(2) and umount2(2) further, as root, in a fresh mkdtemp
// directory under /tmp: bind mounts of single files (and ENOTDIR for a file/directory
// mismatch), MS_MOVE (EINVAL for a non-root source, ELOOP into its own subtree), MS_BIND
// with and without MS_REC (submounts copied or not), umount2's EBUSY for an open file, a
// working directory (also another process's, until it exits) and a submount, MNT_DETACH of
// a busy mount, MNT_EXPIRE (EAGAIN then unmount; an open or a stat in between starts over; EBUSY
// when busy; EINVAL with MNT_DETACH) and UMOUNT_NOFOLLOW. It removes its mounts.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static char dir[] = "/tmp/mountmoreXXXXXX";

static const char *at(const char *name) { return path_in(dir, name); }

static void put(const char *name, const char *data) {
	int fd = open(at(name), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	write(fd, data, strlen(data));
	close(fd);
}

static void show(const char *what, const char *name) { show_file(what, at(name)); }

static void exists(const char *what, const char *name) {
	struct stat st;
	printf("%s: %s\n", what, res(stat(at(name), &st)));
}

int main(void) {
	if (!mkdtemp(dir))
		return 1;
	// A private tmpfs to work in, so that nothing propagates.
	if (mount("tmpfs", dir, "tmpfs", 0, NULL) < 0) {
		printf("tmpfs: %s\n", strerrorname_np(errno));
		return 1;
	}
	mount(NULL, dir, NULL, MS_PRIVATE, NULL);

	// Bind mounts of single files.
	put("src", "source");
	put("dst", "target");
	mkdir(at("d"), 0755);
	printf("bind file on file: %s\n", res(mount(at("src"), at("dst"), NULL, MS_BIND, NULL)));
	show("dst", "dst");
	put("dst", "written via dst");
	show("src after writing dst", "src");
	printf("bind dir on file: %s\n", res(mount(at("d"), at("src"), NULL, MS_BIND, NULL)));
	printf("bind file on dir: %s\n", res(mount(at("src"), at("d"), NULL, MS_BIND, NULL)));
	printf("umount file: %s\n", res(umount(at("dst"))));
	show("dst after umount", "dst");
	printf("umount file again: %s\n", res(umount(at("dst"))));

	// MS_MOVE.
	mkdir(at("a"), 0755);
	mkdir(at("b"), 0755);
	mount("tmpfs", at("a"), "tmpfs", 0, NULL);
	put("a/x", "moved");
	printf("move a b: %s\n", res(mount(at("a"), at("b"), NULL, MS_MOVE, NULL)));
	show("b/x", "b/x");
	exists("a/x", "a/x");
	mkdir(at("b/sub"), 0755);
	printf("move b/sub (not a mount) a: %s\n", res(mount(at("b/sub"), at("a"), NULL, MS_MOVE, NULL)));
	printf("move b into b/sub: %s\n", res(mount(at("b"), at("b/sub"), NULL, MS_MOVE, NULL)));
	printf("move missing: %s\n", res(mount(at("nope"), at("a"), NULL, MS_MOVE, NULL)));
	printf("move b onto a file: %s\n", res(mount(at("b"), at("dst"), NULL, MS_MOVE, NULL)));
	printf("move back: %s\n", res(mount(at("b"), at("a"), NULL, MS_MOVE, NULL)));
	show("a/x", "a/x");

	// MS_BIND with and without MS_REC.
	mkdir(at("a/sub"), 0755);
	mount("tmpfs", at("a/sub"), "tmpfs", 0, NULL);
	put("a/sub/f", "submount");
	mkdir(at("rec"), 0755);
	mkdir(at("plain"), 0755);
	printf("rbind: %s\n", res(mount(at("a"), at("rec"), NULL, MS_BIND | MS_REC, NULL)));
	printf("bind: %s\n", res(mount(at("a"), at("plain"), NULL, MS_BIND, NULL)));
	show("rec/sub/f", "rec/sub/f");
	exists("plain/sub/f", "plain/sub/f");
	exists("plain/sub", "plain/sub");
	printf("umount rec (submount): %s\n", res(umount(at("rec"))));
	printf("umount rec/sub: %s\n", res(umount(at("rec/sub"))));
	printf("umount rec: %s\n", res(umount(at("rec"))));
	printf("umount plain: %s\n", res(umount(at("plain"))));
	show("a/sub/f still", "a/sub/f");

	// EBUSY: open files, working directories, submounts.
	int fd = open(at("a/sub/f"), O_RDONLY);
	printf("umount with an open file: %s\n", res(umount(at("a/sub"))));
	close(fd);
	chdir(at("a/sub"));
	printf("umount with cwd inside: %s\n", res(umount(at("a/sub"))));
	chdir("/");
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		chdir(at("a/sub"));
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(p[0], &c, 1);
	printf("umount with another process's cwd inside: %s\n", res(umount(at("a/sub"))));
	kill(pid, 9);
	waitpid(pid, NULL, 0);
	printf("umount after it exited: %s\n", res(umount(at("a/sub"))));
	printf("umount a (busy? no): %s\n", res(umount(at("a"))));

	// MNT_DETACH of a busy mount: the open file keeps working.
	mount("tmpfs", at("a"), "tmpfs", 0, NULL);
	put("a/y", "detached");
	fd = open(at("a/y"), O_RDONLY);
	printf("umount busy: %s\n", res(umount(at("a"))));
	printf("MNT_DETACH: %s\n", res(umount2(at("a"), MNT_DETACH)));
	exists("a/y after detach", "a/y");
	char buf[16] = {0};
	printf("read the open file: %zd \"%s\"\n", pread(fd, buf, sizeof buf - 1, 0), buf);
	close(fd);

	// MNT_EXPIRE.
	mount("tmpfs", at("a"), "tmpfs", 0, NULL);
	put("a/z", "z");
	printf("expire|detach: %s\n", res(umount2(at("a"), MNT_EXPIRE | MNT_DETACH)));
	printf("expire|force: %s\n", res(umount2(at("a"), MNT_EXPIRE | MNT_FORCE)));
	fd = open(at("a/z"), O_RDONLY);
	printf("expire busy: %s\n", res(umount2(at("a"), MNT_EXPIRE)));
	close(fd);
	printf("expire 1: %s\n", res(umount2(at("a"), MNT_EXPIRE)));
	close(open(at("a/z"), O_RDONLY));
	printf("expire after an open: %s\n", res(umount2(at("a"), MNT_EXPIRE)));
	struct stat zst;
	stat(at("a/z"), &zst);
	printf("expire after a stat: %s\n", res(umount2(at("a"), MNT_EXPIRE)));
	printf("expire 2: %s\n", res(umount2(at("a"), MNT_EXPIRE)));
	exists("a/z after expiry", "a/z");
	printf("expire not a mount: %s\n", res(umount2(at("a"), MNT_EXPIRE)));

	// UMOUNT_NOFOLLOW and bad flags.
	mount("tmpfs", at("a"), "tmpfs", 0, NULL);
	symlink(at("a"), at("lnk"));
	printf("umount symlink NOFOLLOW: %s\n", res(umount2(at("lnk"), UMOUNT_NOFOLLOW)));
	printf("umount bad flags: %s\n", res(umount2(at("a"), 0x100)));
	printf("umount symlink (follows): %s\n", res(umount2(at("lnk"), 0)));

	printf("umount work tmpfs: %s\n", res(umount(dir)));
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
