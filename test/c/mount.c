// mount exercises mount(2) and umount2(2) as root in a fresh mkdtemp directory under /tmp:
// a tmpfs with mode= and size=, a bind mount made read-only by MS_REMOUNT|MS_BIND|MS_RDONLY
// (EROFS), unmounting (EINVAL for a non-mount, EBUSY with a submount, MNT_DETACH), ENODEV
// for an unknown type, and EPERM after setuid to an unprivileged user. It removes its
// mounts and directory (the host run mounts for real).
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

static char dir[] = "/tmp/mountXXXXXX";

static const char *at(const char *name) { return path_in(dir, name); }

static long writefile(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) return -1;
	long n = write(fd, s, strlen(s));
	close(fd);
	return n;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (getuid() != 0) {
		printf("not root\n");
		return 0;
	}
	if (!mkdtemp(dir)) return 1;
	chmod(dir, 0755);
	mkdir(at("t"), 0755);
	mkdir(at("src"), 0755);
	mkdir(at("b"), 0755);
	struct stat st;

	// tmpfs with options.
	printf("mount tmpfs: %s\n", res(mount("none", at("t"), "tmpfs", 0, "size=64k,mode=700")));
	stat(at("t"), &st);
	printf("tmpfs root mode: %o\n", st.st_mode & 07777);
	printf("write in tmpfs: %s\n", res(writefile(at("t/f"), "in tmpfs")));
	show_file("read from tmpfs", at("t/f"));
	int fd = open(at("t/big"), O_WRONLY | O_CREAT, 0600);
	static char big[128 << 10];
	long n = write(fd, big, sizeof big);
	printf("write past size=: %s (short: %s)\n", res(n), n >= 0 && n < (long)sizeof big ? "yes" : "no");
	close(fd);
	unlink(at("t/big"));
	printf("bad tmpfs option: %s\n", res(mount("none", at("b"), "tmpfs", 0, "nosuchoption=1")));
	printf("unknown type: %s\n", res(mount("none", at("b"), "nosuchfs", 0, NULL)));
	printf("missing target: %s\n", res(mount("none", at("nosuchdir"), "tmpfs", 0, NULL)));

	// A submount makes plain umount EBUSY; MNT_DETACH takes both.
	mkdir(at("t/sub"), 0755);
	printf("mount tmpfs on t/sub: %s\n", res(mount("none", at("t/sub"), "tmpfs", 0, NULL)));
	printf("umount t with a submount: %s\n", res(umount2(at("t"), 0)));
	printf("umount2 bad flags: %s\n", res(umount2(at("t"), 0x100)));
	printf("umount a non-mount: %s\n", res(umount2(at("src"), 0)));
	printf("umount2 t MNT_DETACH: %s\n", res(umount2(at("t"), MNT_DETACH)));
	printf("file gone: %s\n", res(stat(at("t/f"), &st)));

	// Bind mount, then read-only.
	writefile(at("src/f"), "through the bind");
	printf("bind mount: %s\n", res(mount(at("src"), at("b"), NULL, MS_BIND | MS_REC, NULL)));
	show_file("read through bind", at("b/f"));
	printf("write through bind: %s\n", res(writefile(at("b/g"), "written via b")));
	show_file("read at source", at("src/g"));
	printf("remount bind ro: %s\n", res(mount(NULL, at("b"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	printf("create on ro bind: %s\n", res(writefile(at("b/h"), "x")));
	printf("mkdir on ro bind: %s\n", res(mkdir(at("b/d"), 0755)));
	show_file("read on ro bind", at("b/f"));
	printf("source still writable: %s\n", res(writefile(at("src/h"), "x")));
	printf("remount non-mount: %s\n", res(mount(NULL, at("src"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));

	// Unprivileged: EPERM.
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) < 0) _exit(1);
		printf("unprivileged mount: %s\n", res(mount("none", at("t"), "tmpfs", 0, NULL)));
		printf("unprivileged umount: %s\n", res(umount2(at("b"), 0)));
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child: %d\n", WEXITSTATUS(status));

	printf("umount b: %s\n", res(umount2(at("b"), 0)));
	printf("bind gone: %s\n", res(stat(at("b/f"), &st)));

	unlink(at("src/f"));
	unlink(at("src/g"));
	unlink(at("src/h"));
	rmdir(at("src"));
	rmdir(at("t/sub"));
	rmdir(at("t"));
	rmdir(at("b"));
	printf("cleaned up: %s\n", res(rmdir(dir)));
	return 0;
}
