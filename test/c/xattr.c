// xattr exercises the extended attribute syscalls on a tmpfs mounted (as root) on a fresh
// mkdtemp directory under /tmp: get/set/list/remove on files and directories, the size-0
// queries, ERANGE for small buffers and bad names, E2BIG, EINVAL for bad flags and bare
// prefixes, XATTR_CREATE/XATTR_REPLACE, EOPNOTSUPP for unknown namespaces, EPERM/ENODATA for
// user.* on symlinks, fifos and devices, trusted.* and security.* for root and for an
// unprivileged user, sticky directories, security.capability values (EINVAL unless
// revision 2 or 3; revision 3 with root id 0 reads back as revision 2; dropped by a write,
// a truncate, a chown but not a chmod), EROFS through a read-only bind mount, EFAULT,
// ENOENT, EBADF for O_PATH, descriptors outside the filesystem (a pipe); then a few calls
// on a file in /tmp itself (the host's filesystem natively, the overlay under runsc).
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static char dir[] = "/tmp/xattrXXXXXX";
static char buf[70000];
// bad is an unmapped address, out of the compiler's sight.
static void *volatile bad = (void *)8;

static const char *at(const char *name) {
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void get(const char *what, const char *path, const char *name, size_t size) {
	long r = getxattr(path, name, buf, size);
	if (r > 0 && size > 0)
		printf("%s: %ld \"%.*s\"\n", what, r, (int)(r > 40 ? 40 : r), buf);
	else
		res(what, r);
}

static void list(const char *what, long r) {
	if (r <= 0 || strstr(what, "size 0")) {
		res(what, r);
		return;
	}
	printf("%s: %ld [", what, r);
	for (char *p = buf; p < buf + r; p += strlen(p) + 1)
		printf("%s%s", p == buf ? "" : " ", p);
	printf("]\n");
}

static void unprivileged(void) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0) {
			printf("setuid failed\n");
			_exit(1);
		}
		get("unpriv get user", at("f"), "user.a", sizeof buf);
		res("unpriv set user on root's 0644", setxattr(at("f"), "user.b", "v", 1, 0));
		get("unpriv get trusted", at("f"), "trusted.t", sizeof buf);
		res("unpriv set trusted", setxattr(at("f"), "trusted.u", "v", 1, 0));
		res("unpriv remove trusted", removexattr(at("f"), "trusted.t"));
		res("unpriv set security", setxattr(at("f"), "security.s", "v", 1, 0));
		list("unpriv list (no trusted)", listxattr(at("f"), buf, sizeof buf));
		get("unpriv get user on 0600", at("private"), "user.a", sizeof buf);
		res("unpriv set user in own file", setxattr(at("sticky/mine"), "user.m", "v", 1, 0));
		res("unpriv set user on root's sticky dir", setxattr(at("sticky"), "user.m", "v", 1, 0));
		res("unpriv set user on own sticky dir", setxattr(at("sticky/mysticky"), "user.m", "v", 1, 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(void) {
	if (!mkdtemp(dir))
		return 1;
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0) {
		printf("mount tmpfs: %s\n", strerrorname_np(errno));
		return 1;
	}
	int fd = open(at("f"), O_RDWR | O_CREAT, 0644);
	mkdir(at("d"), 0755);
	symlink("f", at("link"));
	mkfifo(at("fifo"), 0644);
	close(open(at("private"), O_CREAT | O_RDWR, 0600));

	res("set", setxattr(at("f"), "user.a", "hello", 5, 0));
	get("get size 0", at("f"), "user.a", 0);
	get("get small", at("f"), "user.a", 3);
	get("get", at("f"), "user.a", sizeof buf);
	get("get missing", at("f"), "user.missing", sizeof buf);
	res("create existing", setxattr(at("f"), "user.a", "x", 1, XATTR_CREATE));
	res("replace missing", setxattr(at("f"), "user.b", "x", 1, XATTR_REPLACE));
	res("replace existing", setxattr(at("f"), "user.a", "world", 5, XATTR_REPLACE));
	res("create new", setxattr(at("f"), "user.b", "", 0, XATTR_CREATE));
	get("get empty value", at("f"), "user.b", sizeof buf);
	res("bad flags", setxattr(at("f"), "user.c", "x", 1, 4));
	res("both flags, existing", setxattr(at("f"), "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	res("both flags, missing", setxattr(at("f"), "user.z", "x", 1, XATTR_CREATE | XATTR_REPLACE));
	memset(buf, 'v', 65537);
	res("set 64 KiB + 1", setxattr(at("f"), "user.big", buf, 65537, 0));
	res("set 64 KiB", setxattr(at("f"), "user.big", buf, 65536, 0));
	get("get 64 KiB size", at("f"), "user.big", 0);
	res("remove big", removexattr(at("f"), "user.big"));
	char name[300] = "user.";
	memset(name + 5, 'n', 250);
	name[255] = 0;
	res("name 255", setxattr(at("f"), name, "x", 1, 0));
	get("get name 255", at("f"), name, sizeof buf);
	res("remove name 255", removexattr(at("f"), name));
	name[255] = 'n';
	name[256] = 0;
	res("set name 256", setxattr(at("f"), name, "x", 1, 0));
	get("get name 256", at("f"), name, sizeof buf);
	res("remove name 256", removexattr(at("f"), name));
	res("set empty name", setxattr(at("f"), "", "x", 1, 0));
	get("get empty name", at("f"), "", sizeof buf);
	res("set unknown namespace", setxattr(at("f"), "foo.bar", "x", 1, 0));
	get("get unknown namespace", at("f"), "foo.bar", sizeof buf);
	res("set bare prefix", setxattr(at("f"), "user.", "x", 1, 0));
	res("set system.*", setxattr(at("f"), "system.foo", "x", 1, 0));

	list("list size 0", listxattr(at("f"), NULL, 0));
	list("list small", listxattr(at("f"), buf, 5));
	list("list", listxattr(at("f"), buf, sizeof buf));
	res("remove", removexattr(at("f"), "user.b"));
	res("remove missing", removexattr(at("f"), "user.b"));
	list("list after remove", listxattr(at("f"), buf, sizeof buf));

	// More than XATTR_LIST_MAX (64 KiB) of names: E2BIG with a full-size buffer, ERANGE
	// with a smaller one, the size with none.
	close(open(at("many"), O_CREAT | O_RDWR, 0644));
	int nset = 0;
	for (int i = 0; i < 300; i++) {
		char nm[256];
		snprintf(nm, sizeof nm, "user.%03d", i);
		memset(nm + 8, 'n', 240);
		nm[248] = 0;
		nset += setxattr(at("many"), nm, "", 0, 0) == 0;
	}
	printf("many names set: %d\n", nset);
	res("list many size 0", listxattr(at("many"), NULL, 0));
	res("list many", listxattr(at("many"), buf, sizeof buf));
	res("list many 64 KiB", listxattr(at("many"), buf, 65536));
	res("list many small", listxattr(at("many"), buf, 1000));
	unlink(at("many"));

	// Through descriptors: f* calls do not care about the access mode.
	int ro = open(at("f"), O_RDONLY);
	res("fsetxattr on O_RDONLY", fsetxattr(ro, "user.f", "fd", 2, 0));
	long r = fgetxattr(ro, "user.f", buf, sizeof buf);
	printf("fgetxattr: %ld \"%.*s\"\n", r, r > 0 ? (int)r : 0, buf);
	list("flistxattr", flistxattr(ro, buf, sizeof buf));
	res("fremovexattr", fremovexattr(ro, "user.f"));
	int op = open(at("f"), O_PATH);
	res("fgetxattr O_PATH", fgetxattr(op, "user.a", buf, sizeof buf));
	res("fsetxattr O_PATH", fsetxattr(op, "user.a", "x", 1, 0));
	res("flistxattr O_PATH", flistxattr(op, buf, sizeof buf));
	res("fgetxattr bad fd", fgetxattr(999, "user.a", buf, sizeof buf));
	close(op);
	close(ro);
	int p[2];
	pipe(p);
	res("pipe fgetxattr user", fgetxattr(p[0], "user.a", buf, sizeof buf));
	res("pipe fsetxattr user", fsetxattr(p[0], "user.a", "x", 1, 0));
	res("pipe flistxattr", flistxattr(p[0], buf, sizeof buf));
	res("pipe fremovexattr user", fremovexattr(p[0], "user.a"));
	close(p[0]);
	close(p[1]);

	// Directories, symlinks, fifos.
	res("dir set", setxattr(at("d"), "user.d", "dir", 3, 0));
	get("dir get", at("d"), "user.d", sizeof buf);
	get("get through symlink", at("link"), "user.a", sizeof buf);
	res("lset user on symlink", lsetxattr(at("link"), "user.l", "x", 1, 0));
	res("lget user on symlink", lgetxattr(at("link"), "user.l", buf, sizeof buf));
	res("lremove user on symlink", lremovexattr(at("link"), "user.l"));
	res("lset trusted on symlink", lsetxattr(at("link"), "trusted.l", "x", 1, 0));
	list("llist symlink", llistxattr(at("link"), buf, sizeof buf));
	res("set user on fifo", setxattr(at("fifo"), "user.x", "x", 1, 0));
	res("get user on fifo", getxattr(at("fifo"), "user.x", buf, sizeof buf));
	res("set trusted on fifo", setxattr(at("fifo"), "trusted.x", "x", 1, 0));
	get("get trusted on fifo", at("fifo"), "trusted.x", sizeof buf);
	res("set user on /dev/null", setxattr("/dev/null", "user.x", "x", 1, 0));
	res("get user on /dev/null", getxattr("/dev/null", "user.x", buf, sizeof buf));

	// trusted.* and security.* as root; then an unprivileged user.
	res("root set trusted", setxattr(at("f"), "trusted.t", "tv", 2, 0));
	get("root get trusted", at("f"), "trusted.t", sizeof buf);
	res("root set security", setxattr(at("f"), "security.s", "sv", 2, 0));
	get("root get security", at("f"), "security.s", sizeof buf);
	list("root list", listxattr(at("f"), buf, sizeof buf));
	// File capabilities: only a struct vfs_cap_data of revision 2 (20 bytes) or 3 (24).
	unsigned char v2[20] = {0, 0, 0, 2}, v3[24] = {0, 0, 0, 3};
	res("set security.capability garbage", setxattr(at("private"), "security.capability", "garbage", 7, 0));
	res("set security.capability v2 with v3's size", setxattr(at("private"), "security.capability", v2, 20, 0) < 0 ? -1 : setxattr(at("private"), "security.capability", v3, 20, 0));
	res("set security.capability v3", setxattr(at("private"), "security.capability", v3, 24, 0));
	memset(buf, 0xff, 32);
	res("get security.capability", getxattr(at("private"), "security.capability", buf, sizeof buf));
	printf("its revision byte %d, flags byte %d\n", (unsigned char)buf[3], (unsigned char)buf[0]);
	res("remove security.capability", removexattr(at("private"), "security.capability"));
	// A write, a truncate and a chown drop file capabilities.
	int cf = open(at("capf"), O_CREAT | O_RDWR, 0755);
	setxattr(at("capf"), "security.capability", v2, 20, 0);
	write(cf, "x", 1);
	res("capability after a write", getxattr(at("capf"), "security.capability", buf, sizeof buf));
	setxattr(at("capf"), "security.capability", v2, 20, 0);
	ftruncate(cf, 1);
	res("capability after a truncate to the same size", getxattr(at("capf"), "security.capability", buf, sizeof buf));
	setxattr(at("capf"), "security.capability", v2, 20, 0);
	fchown(cf, 0, 0);
	res("capability after a chown", getxattr(at("capf"), "security.capability", buf, sizeof buf));
	setxattr(at("capf"), "security.capability", v2, 20, 0);
	fchmod(cf, 0700);
	res("capability after a chmod", getxattr(at("capf"), "security.capability", buf, sizeof buf));
	close(cf);
	unlink(at("capf"));
	res("private set", setxattr(at("private"), "user.a", "p", 1, 0));
	mkdir(at("sticky"), 01777);
	mkdir(at("sticky/mysticky"), 01777);
	chown(at("sticky/mysticky"), 1000, 1000);
	close(open(at("sticky/mine"), O_CREAT | O_RDWR, 0644));
	chown(at("sticky/mine"), 1000, 1000);
	unprivileged();

	// Errors of the path and the buffers.
	res("get ENOENT", getxattr(at("nope"), "user.a", buf, sizeof buf));
	res("get ENOTDIR", getxattr(at("f/x"), "user.a", buf, sizeof buf));
	res("set ENOENT", setxattr(at("nope"), "user.a", "x", 1, 0));
	res("list ENOENT", listxattr(at("nope"), buf, sizeof buf));
	res("remove ENOENT", removexattr(at("nope"), "user.a"));
	res("get EFAULT value", getxattr(at("f"), "user.a", bad, 64));
	res("set EFAULT value", setxattr(at("f"), "user.a", bad, 4, 0));
	res("get EFAULT name", getxattr(at("f"), bad, buf, 64));
	res("list EFAULT", listxattr(at("f"), bad, 64));

	// A read-only bind mount.
	mkdir(at("ro"), 0755);
	if (mount(dir, at("ro"), NULL, MS_BIND, NULL) == 0 &&
	    mount(NULL, at("ro"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0) {
		res("set on ro mount", setxattr(at("ro/f"), "user.r", "x", 1, 0));
		res("remove on ro mount", removexattr(at("ro/f"), "user.a"));
		get("get on ro mount", at("ro/f"), "user.a", sizeof buf);
		umount(at("ro"));
	} else {
		printf("ro bind: %s\n", strerrorname_np(errno));
	}
	close(fd);
	umount(dir);

	// A file in /tmp itself: the host's filesystem, or the overlay.
	char hf[64];
	snprintf(hf, sizeof hf, "%s/host", dir);
	close(open(hf, O_CREAT | O_RDWR, 0644));
	res("host set", setxattr(hf, "user.h", "hv", 2, 0));
	get("host get", hf, "user.h", sizeof buf);
	res("host create existing", setxattr(hf, "user.h", "x", 1, XATTR_CREATE));
	list("host list", listxattr(hf, buf, sizeof buf));
	res("host remove", removexattr(hf, "user.h"));
	res("host remove missing", removexattr(hf, "user.h"));
	unlink(hf);
	rmdir(dir);
	return 0;
}
