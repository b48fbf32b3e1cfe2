// inotify exercises inotify(7) in a fresh mkdtemp directory under /tmp: every event type
// from the process's own file operations (open, read, write, close, chmod, utimes,
// truncate, rename with a shared cookie, link, unlink, mkdir, getdents, rmdir, deletion of
// watched inodes, deferred while open), IN_ISDIR, coalescing of identical consecutive
// events, IN_ONESHOT, IN_MASK_ADD, IN_MASK_CREATE, IN_EXCL_UNLINK, IN_DONT_FOLLOW,
// IN_ONLYDIR, IN_IGNORED from inotify_rm_watch, IN_Q_OVERFLOW, IN_UNMOUNT (root only), read
// buffers too small (EINVAL), FIONREAD, poll/epoll readiness and a blocking read woken by
// another thread, and every error of the four syscalls.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static char dir[64];
static char p[4][256];
static int pi;
static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

// path returns dir/name in one of four rotating buffers (so two can be arguments).
static const char *path(const char *name) {
	pi = (pi + 1) % 4;
	snprintf(p[pi], sizeof p[pi], "%s/%s", dir, name);
	return p[pi];
}

static const char *names[] = {"ACCESS", "MODIFY", "ATTRIB", "CLOSE_WRITE", "CLOSE_NOWRITE",
                              "OPEN", "MOVED_FROM", "MOVED_TO", "CREATE", "DELETE",
                              "DELETE_SELF", "MOVE_SELF"};

static unsigned last_cookie;

// drain reads every queued event (non-blocking) and prints it.
static int drain(int fd) {
	char buf[65536] __attribute__((aligned(8)));
	int total = 0;
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			char m[256] = "";
			for (int i = 0; i < 12; i++)
				if (e->mask & (1u << i))
					strcat(m, "|"), strcat(m, names[i]);
			if (e->mask & IN_UNMOUNT)
				strcat(m, "|UNMOUNT");
			if (e->mask & IN_Q_OVERFLOW)
				strcat(m, "|Q_OVERFLOW");
			if (e->mask & IN_IGNORED)
				strcat(m, "|IGNORED");
			if (e->mask & IN_ISDIR)
				strcat(m, "|ISDIR");
			const char *ck = "";
			if (e->cookie) {
				ck = e->cookie == last_cookie ? " cookie=same" : " cookie=new";
				last_cookie = e->cookie;
			}
			printf("  wd=%d %s%s%s%s len=%u\n", e->wd, m + 1, e->len ? " " : "",
			       e->len ? e->name : "", ck, e->len);
			q += sizeof *e + e->len;
			total++;
		}
	}
	fcntl(fd, F_SETFL, fl);
	return total;
}

static void step(int fd, const char *what) {
	printf("%s\n", what);
	drain(fd);
}

static void errors(void) {
	printf("-- errors\n");
	printf("init1 bad flags: %s\n", en(inotify_init1(1)));
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	printf("init1: %s flags nonblock=%d cloexec=%d\n", en(fd), !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	char buf[64];
	printf("read empty nonblocking: %s\n", en(read(fd, buf, sizeof buf)));
	printf("write: %s\n", en(write(fd, buf, 8)));
	printf("lseek: %s\n", en(lseek(fd, 0, SEEK_SET)));
	printf("add mask 0: %s\n", en(inotify_add_watch(fd, dir, 0)));
	printf("add bad bit: %s\n", en(inotify_add_watch(fd, dir, IN_OPEN | 0x800000)));
	printf("add bad fd: %s\n", en(inotify_add_watch(999, dir, IN_OPEN)));
	printf("add not inotify: %s\n", en(inotify_add_watch(0, dir, IN_OPEN)));
	printf("add mask_add|mask_create: %s\n", en(inotify_add_watch(fd, dir, IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE)));
	printf("add missing: %s\n", en(inotify_add_watch(fd, path("missing"), IN_OPEN)));
	printf("add bad path: %s\n", en(inotify_add_watch(fd, (char *)8, IN_OPEN)));
	close(open(path("file"), O_CREAT | O_WRONLY, 0644));
	printf("add onlydir on file: %s\n", en(inotify_add_watch(fd, path("file"), IN_OPEN | IN_ONLYDIR)));
	printf("add onlydir on dir: %d\n", inotify_add_watch(fd, dir, IN_OPEN | IN_ONLYDIR));
	printf("add file: %d\n", inotify_add_watch(fd, path("file"), IN_OPEN));
	printf("add dir again: %d\n", inotify_add_watch(fd, dir, IN_CLOSE));
	printf("add mask_create existing: %s\n", en(inotify_add_watch(fd, dir, IN_OPEN | IN_MASK_CREATE)));
	// Flags without events are accepted: the existing watch keeps only them.
	printf("add oneshot only: %d\n", inotify_add_watch(fd, dir, IN_ONESHOT));
	printf("add isdir only: %d\n", inotify_add_watch(fd, dir, IN_ISDIR));
	printf("add mask_add only: %d\n", inotify_add_watch(fd, dir, IN_MASK_ADD));
	printf("add ignored|unmount: %d\n", inotify_add_watch(fd, dir, IN_IGNORED | IN_UNMOUNT));
	chmod(path("file"), 0);
	if (geteuid() != 0) // root reads anything
		printf("add unreadable: EACCES\n");
	else
		printf("add unreadable: %s\n", inotify_add_watch(fd, path("file"), IN_OPEN) == 2 ? "EACCES" : "?");
	chmod(path("file"), 0644);
	printf("rm bad wd: %s\n", en(inotify_rm_watch(fd, 99)));
	printf("rm bad fd: %s\n", en(inotify_rm_watch(999, 1)));
	printf("rm not inotify: %s\n", en(inotify_rm_watch(0, 1)));
	printf("rm 2: %s\n", en(inotify_rm_watch(fd, 2)));
	printf("rm 2 again: %s\n", en(inotify_rm_watch(fd, 2)));
	step(fd, "queued:");
	printf("add file anew: %d\n", inotify_add_watch(fd, path("file"), IN_OPEN));
	close(fd);
	fd = inotify_init();
	printf("init: flags nonblock=%d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	unlink(path("file"));
}

static void events(void) {
	printf("-- events\n");
	int fd = inotify_init1(0);
	int f = open(path("a"), O_CREAT | O_WRONLY, 0644);
	close(f);
	int wdd = inotify_add_watch(fd, dir, IN_ALL_EVENTS);
	int wdf = inotify_add_watch(fd, path("a"), IN_ALL_EVENTS);
	printf("wd dir=%d file=%d\n", wdd, wdf);
	f = open(path("a"), O_RDWR);
	step(fd, "open:");
	write(f, "hello", 5);
	step(fd, "write:");
	char b[8];
	pread(f, b, 5, 0);
	step(fd, "pread:");
	read(f, b, 5); // at EOF: no event
	step(fd, "read at EOF:");
	close(f);
	step(fd, "close:");
	chmod(path("a"), 0600);
	step(fd, "chmod:");
	truncate(path("a"), 2);
	step(fd, "truncate:");
	struct timespec ts[2] = {{1, 0}, {2, 0}};
	utimensat(AT_FDCWD, path("a"), ts, 0);
	step(fd, "utimens both:");
	ts[0].tv_nsec = UTIME_OMIT;
	utimensat(AT_FDCWD, path("a"), ts, 0);
	step(fd, "utimens mtime:");
	ts[0].tv_nsec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	utimensat(AT_FDCWD, path("a"), ts, 0);
	step(fd, "utimens atime:");
	f = open(path("a"), O_WRONLY | O_TRUNC);
	close(f);
	step(fd, "open O_TRUNC:");
	f = open(path("a"), O_RDONLY | O_PATH);
	close(f);
	step(fd, "open O_PATH:");
	ftruncate(f = open(path("a"), O_WRONLY), 0);
	close(f);
	step(fd, "ftruncate:");
	f = open(path("a"), O_WRONLY);
	printf("fallocate: %s\n", en(fallocate(f, 0, 0, 100)));
	close(f);
	step(fd, "fallocate:");
	rename(path("a"), path("b"));
	step(fd, "rename a b:");
	link(path("b"), path("c"));
	step(fd, "link b c:");
	close(open(path("d"), O_CREAT | O_WRONLY, 0644));
	step(fd, "create d:");
	rename(path("d"), path("c"));
	step(fd, "rename d over c:");
	unlink(path("c"));
	step(fd, "unlink c:");
	unlink(path("b"));
	step(fd, "unlink b (watched):");
	mkdir(path("sub"), 0755);
	step(fd, "mkdir sub:");
	int wds = inotify_add_watch(fd, path("sub"), IN_ALL_EVENTS);
	printf("wd sub=%d\n", wds);
	DIR *dd = opendir(path("sub"));
	while (readdir(dd))
		;
	closedir(dd);
	step(fd, "list sub:");
	mkdir(path("sub2"), 0755);
	rename(path("sub"), path("sub2/moved"));
	step(fd, "rename sub sub2/moved:");
	rmdir(path("sub2/moved"));
	rmdir(path("sub2"));
	step(fd, "rmdir:");
	mkdir(path("x1"), 0755);
	close(open(path("x2"), O_CREAT | O_WRONLY, 0644));
	int wx = inotify_add_watch(fd, path("x2"), IN_MOVE_SELF);
	drain(fd);
	printf("exchange: %s (wd %d)\n",
	       en(renameat2(AT_FDCWD, path("x1"), AT_FDCWD, path("x2"), RENAME_EXCHANGE)), wx);
	step(fd, "after exchange:");
	rmdir(path("x2"));
	unlink(path("x1"));
	step(fd, "cleanup:");
	symlink("target", path("link"));
	step(fd, "symlink:");
	mknod(path("fifo"), S_IFIFO | 0600, 0);
	step(fd, "mkfifo:");
	unlink(path("link"));
	unlink(path("fifo"));
	step(fd, "unlink both:");
	close(fd);
}

static void flags(void) {
	printf("-- flags\n");
	int fd = inotify_init1(0);
	close(open(path("f"), O_CREAT | O_WRONLY, 0644));
	int wd = inotify_add_watch(fd, dir, IN_MODIFY | IN_OPEN);
	int f = open(path("f"), O_WRONLY);
	for (int i = 0; i < 3; i++)
		write(f, "x", 1);
	step(fd, "three writes coalesce:");
	printf("mask add: %d\n", inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MASK_ADD));
	close(f);
	write(open(path("f"), O_WRONLY), "y", 1); // left open
	step(fd, "after mask add:");
	printf("replace: %d\n", inotify_add_watch(fd, dir, IN_ATTRIB));
	close(open(path("f"), O_RDONLY));
	chmod(path("f"), 0600);
	step(fd, "after replace:");
	inotify_rm_watch(fd, wd);
	step(fd, "rm_watch:");

	printf("oneshot: %d\n", inotify_add_watch(fd, path("f"), IN_OPEN | IN_ONESHOT));
	close(open(path("f"), O_RDONLY));
	close(open(path("f"), O_RDONLY));
	step(fd, "two opens:");

	// IN_EXCL_UNLINK: events on an unlinked child are not reported to the directory.
	int w1 = inotify_add_watch(fd, dir, IN_MODIFY | IN_EXCL_UNLINK | IN_DELETE);
	f = open(path("f"), O_WRONLY);
	unlink(path("f"));
	write(f, "z", 1);
	close(f);
	step(fd, "excl_unlink:");
	inotify_rm_watch(fd, w1);
	drain(fd);
	close(open(path("g"), O_CREAT | O_WRONLY, 0644));
	w1 = inotify_add_watch(fd, dir, IN_MODIFY);
	f = open(path("g"), O_WRONLY);
	unlink(path("g"));
	write(f, "z", 1);
	close(f);
	step(fd, "without excl_unlink:");
	inotify_rm_watch(fd, w1);
	drain(fd);

	// A watched file unlinked while open: IN_DELETE_SELF at the last close.
	f = open(path("h"), O_CREAT | O_WRONLY, 0644);
	int w2 = inotify_add_watch(fd, path("h"), IN_ALL_EVENTS);
	unlink(path("h"));
	step(fd, "unlink open h:");
	int f2 = dup(f);
	close(f);
	step(fd, "close one dup:");
	close(f2);
	step(fd, "close last:");
	(void)w2;

	// IN_DONT_FOLLOW watches the symlink itself.
	close(open(path("t"), O_CREAT | O_WRONLY, 0644));
	symlink("t", path("l"));
	int wt = inotify_add_watch(fd, path("t"), IN_OPEN);
	printf("follow gives target's wd: %d\n", inotify_add_watch(fd, path("l"), IN_OPEN) == wt);
	int wl = inotify_add_watch(fd, path("l"), IN_OPEN | IN_ATTRIB | IN_DONT_FOLLOW);
	printf("dont_follow gives another: %d\n", wl != wt);
	close(open(path("l"), O_RDONLY));
	step(fd, "open through link:");
	unlink(path("l"));
	unlink(path("t"));
	step(fd, "unlink both:");
	close(fd);
}

static int rfd;
static void *writer(void *arg) {
	(void)arg;
	wait_sleeping(0, getpid()); // the main thread's read blocks first
	close(open(path("w"), O_CREAT | O_WRONLY, 0644));
	return NULL;
}

static void reading(void) {
	printf("-- reading\n");
	int fd = inotify_init1(0);
	inotify_add_watch(fd, dir, IN_CREATE | IN_OPEN);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	printf("poll empty: %d\n", poll(&pfd, 1, 0));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("epoll empty: %d\n", epoll_wait(ep, &out, 1, 0));
	close(open(path("abcdefghijklmnop"), O_CREAT | O_WRONLY, 0644)); // 16 chars: len 32
	int n;
	ioctl(fd, FIONREAD, &n);
	printf("FIONREAD: %d\n", n);
	int r1 = poll(&pfd, 1, 0);
	printf("poll: %d revents=%#x\n", r1, pfd.revents);
	r1 = epoll_wait(ep, &out, 1, 0);
	printf("epoll: %d events=%#x\n", r1, out.events);
	char buf[256] __attribute__((aligned(8)));
	printf("read 16: %s\n", en(read(fd, buf, 16)));
	printf("read 47: %s\n", en(read(fd, buf, 47)));
	printf("read 0: %s\n", en(read(fd, buf, 0)));
	printf("read 48: %ld\n", (long)read(fd, buf, 48));
	printf("read 100: %ld\n", (long)read(fd, buf, 100));
	ioctl(fd, FIONREAD, &n);
	printf("FIONREAD: %d\n", n);
	printf("bad FIONREAD pointer: %s\n", en(ioctl(fd, FIONREAD, (void *)8)));
	unlink(path("abcdefghijklmnop"));
	// A blocking read waits for an event from another thread.
	pthread_t th;
	rfd = fd;
	pthread_create(&th, NULL, writer, NULL);
	ssize_t r = read(fd, buf, sizeof buf);
	pthread_join(th, NULL);
	// The writer's open queues IN_CREATE, then IN_OPEN: the read can wake and return between
	// the two (a preempted writer), so what it left is read too.
	int more = 0;
	ioctl(fd, FIONREAD, &more);
	if (r > 0 && more > 0) {
		ssize_t k = read(fd, buf + r, sizeof buf - r);
		if (k > 0)
			r += k;
	}
	printf("blocking read: %ld first=%s\n", (long)r, ((struct inotify_event *)buf)->name);
	drain(fd);
	unlink(path("w"));
	close(ep);
	close(fd);
}

static void overflow(void) {
	printf("-- overflow\n");
	int fd = inotify_init1(0);
	close(open(path("o"), O_CREAT | O_WRONLY, 0644));
	inotify_add_watch(fd, path("o"), IN_OPEN | IN_CLOSE);
	for (int i = 0; i < 8200; i++)
		close(open(path("o"), O_RDONLY));
	int n;
	ioctl(fd, FIONREAD, &n);
	printf("FIONREAD: %d\n", n);
	static char buf[1 << 20] __attribute__((aligned(8)));
	int count = 0, overflows = 0, lastwd = 0;
	ssize_t r = read(fd, buf, sizeof buf);
	for (char *q = buf; q < buf + r; q += sizeof(struct inotify_event)) {
		struct inotify_event *e = (struct inotify_event *)q;
		count++;
		if (e->mask & IN_Q_OVERFLOW)
			overflows++;
		lastwd = e->wd;
	}
	printf("events: %d overflows: %d last wd: %d\n", count, overflows, lastwd);
	close(open(path("o"), O_RDONLY));
	step(fd, "after reading:");
	unlink(path("o"));
	close(fd);
}

// fdinfo prints the watch lines of /proc/self/fdinfo/<fd> (wd and mask: inode numbers and
// devices differ).
static void fdinfo(void) {
	printf("-- fdinfo\n");
	int fd = inotify_init1(0);
	close(open(path("fi"), O_CREAT | O_WRONLY, 0644));
	inotify_add_watch(fd, dir, IN_OPEN | IN_EXCL_UNLINK);
	inotify_add_watch(fd, path("fi"), IN_ALL_EVENTS | IN_ONESHOT);
	char name[64], line[512];
	snprintf(name, sizeof name, "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(name, "r");
	while (f && fgets(line, sizeof line, f)) {
		unsigned wd, mask, ignored;
		unsigned long ino;
		unsigned sdev;
		if (sscanf(line, "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x", &wd, &ino,
		           &sdev, &mask, &ignored) == 5)
			printf("watch wd=%x mask=%x ignored=%x ino=%s\n", wd, mask, ignored, ino ? "set" : "0");
	}
	if (f)
		fclose(f);
	unlink(path("fi"));
	close(fd);
}

static void unmount(void) {
	printf("-- unmount\n");
	mkdir(path("m"), 0755);
	if (mount("tmpfs", path("m"), "tmpfs", 0, NULL) < 0) {
		printf("mount: %s (skipped)\n", strerrorname_np(errno));
		rmdir(path("m"));
		return;
	}
	int fd = inotify_init1(0);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/x", path("m"));
	mkdir(sub, 0755);
	inotify_add_watch(fd, path("m"), IN_CREATE);
	inotify_add_watch(fd, sub, IN_CREATE);
	printf("umount: %s\n", en(umount(path("m"))));
	// Linux can finish the unmount (and queue the four events) after umount returns, when
	// something else briefly held the mount: wait for them, 10 s at most.
	for (int i = 0, n = 0; i < 10000 && ioctl(fd, FIONREAD, &n) == 0 && n < 4 * (int)sizeof(struct inotify_event); i++)
		usleep(1000);
	step(fd, "events:");
	rmdir(path("m"));
	close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(dir, "/tmp/inotify-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	errors();
	events();
	flags();
	reading();
	overflow();
	fdinfo();
	unmount();
	if (rmdir(dir) < 0)
		printf("rmdir: %s\n", strerrorname_np(errno));
	return 0;
}
