// mountprop exercises, as root in a private tmpfs on a fresh mkdtemp directory under /tmp:
// mount propagation changes (MS_UNBINDABLE refuses bind mounts of the mount with EINVAL
// and keeps it out of an MS_BIND|MS_REC copy, MS_PRIVATE makes it bindable again, the
// "unbindable" field of /proc/self/mountinfo, EINVAL for two types at once or a path that
// is not a mount root), the mqueue filesystem (a created file is a queue whose content is
// its status line, EPERM for mkdir and symlink, MQUEUE_MAGIC from statfs), and character
// device nodes made by mknod (1:3 works as /dev/null; a major number without a driver is ENXIO).
// /proc/self/mountinfo lists mounts in the order they were attached (a child mounted after
// a sibling comes after it; a moved mount keeps its place). It removes its mounts.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"

static char dir[] = "/tmp/mountpropXXXXXX";

static const char *at(const char *name) { return path_in(dir, name); }

// ismount reports whether name is on another filesystem than its parent directory.
static int ismount(const char *name) {
	struct stat a, b;
	char parent[160];
	snprintf(parent, sizeof parent, "%s/..", at(name));
	if (stat(at(name), &a) < 0 || stat(parent, &b) < 0)
		return -1;
	return a.st_dev != b.st_dev;
}

// unbindableField prints whether mountinfo's line for name has the "unbindable" field.
static void unbindableField(const char *name) {
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], target[160];
	int found = 0, unb = 0;
	snprintf(target, sizeof target, " %s ", at(name));
	while (f && fgets(line, sizeof line, f)) {
		if (!strstr(line, target))
			continue;
		found = 1;
		char *sep = strstr(line, " - ");
		char *u = strstr(line, " unbindable");
		unb = u && sep && u < sep;
	}
	if (f)
		fclose(f);
	printf("mountinfo %s: %s\n", name, !found ? "missing" : unb ? "unbindable" : "no field");
}

int main(void) {
	if (!mkdtemp(dir))
		return 1;
	if (mount("tmpfs", dir, "tmpfs", 0, NULL) < 0) {
		printf("tmpfs: %s\n", strerrorname_np(errno));
		return 1;
	}
	printf("work tmpfs private: %s\n", res(mount(NULL, dir, NULL, MS_PRIVATE, NULL)));

	// Unbindable.
	mkdir(at("src"), 0755);
	mkdir(at("dst"), 0755);
	mkdir(at("dst2"), 0755);
	printf("src tmpfs: %s\n", res(mount("tmpfs", at("src"), "tmpfs", 0, NULL)));
	mkdir(at("src/u"), 0755);
	mkdir(at("src/plain"), 0755);
	printf("u tmpfs: %s\n", res(mount("tmpfs", at("src/u"), "tmpfs", 0, NULL)));
	printf("plain tmpfs: %s\n", res(mount("tmpfs", at("src/plain"), "tmpfs", 0, NULL)));
	printf("unbindable u: %s\n", res(mount(NULL, at("src/u"), NULL, MS_UNBINDABLE, NULL)));
	unbindableField("src/u");
	unbindableField("src/plain");
	printf("bind unbindable: %s\n", res(mount(at("src/u"), at("dst"), NULL, MS_BIND, NULL)));
	printf("rbind parent: %s\n", res(mount(at("src"), at("dst"), NULL, MS_BIND | MS_REC, NULL)));
	printf("copy of plain is a mount: %d\n", ismount("dst/plain"));
	printf("copy of u is a mount: %d\n", ismount("dst/u"));
	printf("slave u: %s\n", res(mount(NULL, at("src/u"), NULL, MS_SLAVE, NULL)));
	unbindableField("src/u");
	printf("shared u: %s\n", res(mount(NULL, at("src/u"), NULL, MS_SHARED, NULL)));
	unbindableField("src/u");
	printf("unbindable u again: %s\n", res(mount(NULL, at("src/u"), NULL, MS_UNBINDABLE, NULL)));
	printf("private u: %s\n", res(mount(NULL, at("src/u"), NULL, MS_PRIVATE, NULL)));
	unbindableField("src/u");
	printf("bind u now: %s\n", res(mount(at("src/u"), at("dst2"), NULL, MS_BIND, NULL)));
	printf("two types: %s\n", res(mount(NULL, at("src/u"), NULL, MS_PRIVATE | MS_UNBINDABLE, NULL)));
	mkdir(at("src/notroot"), 0755);
	printf("not a mount root: %s\n", res(mount(NULL, at("src/notroot"), NULL, MS_UNBINDABLE, NULL)));
	printf("rec unbindable: %s\n", res(mount(NULL, at("src"), NULL, MS_UNBINDABLE | MS_REC, NULL)));
	unbindableField("src/plain");
	printf("rec private: %s\n", res(mount(NULL, at("src"), NULL, MS_PRIVATE | MS_REC, NULL)));
	unbindableField("src/plain");

	// Mount order in mountinfo.
	mkdir(at("o1"), 0755);
	mkdir(at("o2"), 0755);
	mkdir(at("o3"), 0755);
	mount("tmpfs", at("o1"), "tmpfs", 0, NULL);
	mount("tmpfs", at("o2"), "tmpfs", 0, NULL);
	mkdir(at("o1/inner"), 0755);
	mount("tmpfs", at("o1/inner"), "tmpfs", 0, NULL);
	mount("tmpfs", at("o3"), "tmpfs", 0, NULL);
	mkdir(at("o3/m"), 0755);
	printf("move o2: %s\n", res(mount(at("o2"), at("o3/m"), NULL, MS_MOVE, NULL)));
	{
		FILE *f = fopen("/proc/self/mountinfo", "r");
		char line[1024], mp[512];
		size_t dl = strlen(dir);
		printf("order:");
		while (f && fgets(line, sizeof line, f)) {
			if (sscanf(line, "%*s %*s %*s %*s %511s", mp) == 1 && strncmp(mp, dir, dl) == 0 && mp[dl] == '/' &&
			    mp[dl + 1] == 'o')
				printf(" %s", mp + dl + 1);
		}
		printf("\n");
		if (f)
			fclose(f);
	}

	// mqueue.
	mkdir(at("mq"), 0755);
	printf("mqueue: %s\n", res(mount("mqueue", at("mq"), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)));
	struct statfs sfs;
	const char *r = res(statfs(at("mq"), &sfs));
	printf("mqueue statfs: %s %lx\n", r, (unsigned long)sfs.f_type);
	struct stat st;
	stat(at("mq"), &st);
	printf("mqueue root mode: %o\n", st.st_mode);
	char qname[64];
	snprintf(qname, sizeof qname, "mq/stockade-test-%d", getpid());
	int fd = open(at(qname), O_CREAT | O_RDWR, 0600);
	printf("create queue: %s\n", res(fd));
	char buf[128] = {0};
	ssize_t n = read(fd, buf, sizeof buf - 1);
	printf("queue status (%zd): %s", n, buf);
	printf("write queue: %s\n", res(write(fd, "x", 1)));
	close(fd);
	stat(at(qname), &st);
	printf("queue type: %s\n", S_ISREG(st.st_mode) ? "regular" : "other");
	printf("mkdir in mqueue: %s\n", res(mkdir(at("mq/d"), 0755)));
	printf("symlink in mqueue: %s\n", res(symlink("x", at("mq/s"))));
	printf("unlink queue: %s\n", res(unlink(at(qname))));
	printf("umount mqueue: %s\n", res(umount(at("mq"))));

	// Character device nodes.
	printf("mknod null: %s\n", res(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3))));
	fd = open(at("null"), O_RDWR);
	printf("open null: %s\n", res(fd));
	printf("write null: %zd\n", write(fd, "abc", 3));
	printf("read null: %zd\n", read(fd, buf, sizeof buf));
	close(fd);
	printf("mknod nodrv: %s\n", res(mknod(at("nodrv"), S_IFCHR | 0666, makedev(4000, 1))));
	printf("open nodrv: %s\n", res(open(at("nodrv"), O_RDONLY)));

	printf("umount work tmpfs: %s\n", res(umount2(dir, MNT_DETACH)));
	printf("rmdir: %s\n", res(rmdir(dir)));
	return 0;
}
