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

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static char dir[] = "/tmp/mountXXXXXX";
static char buf[256];

static const char *at(const char *name) {
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static void readfile(const char *what, const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	printf("%s: \"%.*s\"\n", what, n > 0 ? (int)n : 0, buf);
	close(fd);
}

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
	printf("mount tmpfs: %s\n", en(mount("none", at("t"), "tmpfs", 0, "size=64k,mode=700")));
	stat(at("t"), &st);
	printf("tmpfs root mode: %o\n", st.st_mode & 07777);
	printf("write in tmpfs: %s\n", en(writefile(at("t/f"), "in tmpfs")));
	readfile("read from tmpfs", at("t/f"));
	int fd = open(at("t/big"), O_WRONLY | O_CREAT, 0600);
	static char big[128 << 10];
	long n = write(fd, big, sizeof big);
	printf("write past size=: %s (short: %s)\n", en(n), n >= 0 && n < (long)sizeof big ? "yes" : "no");
	close(fd);
	unlink(at("t/big"));
	printf("bad tmpfs option: %s\n", en(mount("none", at("b"), "tmpfs", 0, "nosuchoption=1")));
	printf("unknown type: %s\n", en(mount("none", at("b"), "nosuchfs", 0, NULL)));
	printf("missing target: %s\n", en(mount("none", at("nosuchdir"), "tmpfs", 0, NULL)));

	// A submount makes plain umount EBUSY; MNT_DETACH takes both.
	mkdir(at("t/sub"), 0755);
	printf("mount tmpfs on t/sub: %s\n", en(mount("none", at("t/sub"), "tmpfs", 0, NULL)));
	printf("umount t with a submount: %s\n", en(umount2(at("t"), 0)));
	printf("umount2 bad flags: %s\n", en(umount2(at("t"), 0x100)));
	printf("umount a non-mount: %s\n", en(umount2(at("src"), 0)));
	printf("umount2 t MNT_DETACH: %s\n", en(umount2(at("t"), MNT_DETACH)));
	printf("file gone: %s\n", en(stat(at("t/f"), &st)));

	// Bind mount, then read-only.
	writefile(at("src/f"), "through the bind");
	printf("bind mount: %s\n", en(mount(at("src"), at("b"), NULL, MS_BIND | MS_REC, NULL)));
	readfile("read through bind", at("b/f"));
	printf("write through bind: %s\n", en(writefile(at("b/g"), "written via b")));
	readfile("read at source", at("src/g"));
	printf("remount bind ro: %s\n", en(mount(NULL, at("b"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	printf("create on ro bind: %s\n", en(writefile(at("b/h"), "x")));
	printf("mkdir on ro bind: %s\n", en(mkdir(at("b/d"), 0755)));
	readfile("read on ro bind", at("b/f"));
	printf("source still writable: %s\n", en(writefile(at("src/h"), "x")));
	printf("remount non-mount: %s\n", en(mount(NULL, at("src"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));

	// Unprivileged: EPERM.
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) < 0) _exit(1);
		printf("unprivileged mount: %s\n", en(mount("none", at("t"), "tmpfs", 0, NULL)));
		printf("unprivileged umount: %s\n", en(umount2(at("b"), 0)));
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child: %d\n", WEXITSTATUS(status));

	printf("umount b: %s\n", en(umount2(at("b"), 0)));
	printf("bind gone: %s\n", en(stat(at("b/f"), &st)));

	unlink(at("src/f"));
	unlink(at("src/g"));
	unlink(at("src/h"));
	rmdir(at("src"));
	rmdir(at("t/sub"));
	rmdir(at("t"));
	rmdir(at("b"));
	printf("cleaned up: %s\n", en(rmdir(dir)));
	return 0;
}
