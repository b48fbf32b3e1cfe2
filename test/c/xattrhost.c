// xattrhost DIR: extended attributes of host files that the test prepared in DIR (f and d
// carry user.origin): read them, then change them, which under runsc copies the files up
// to the overlay's memory layer (the attributes must come along) or, on a writable gofer
// mount, asks the gofer. Prints what it sees after each step.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

static char buf[4096];

static void get(const char *what, const char *path, const char *name) {
	long r = getxattr(path, name, buf, sizeof buf);
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: \"%.*s\"\n", what, (int)r, buf);
}

static void list(const char *what, const char *path) {
	long r = listxattr(path, buf, sizeof buf);
	if (r < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	// Only user.* names: the host may add security labels of its own.
	printf("%s: [", what);
	int first = 1;
	for (char *p = buf; p < buf + r; p += strlen(p) + 1) {
		if (strncmp(p, "user.", 5) == 0) {
			printf("%s%s", first ? "" : " ", p);
			first = 0;
		}
	}
	printf("]\n");
}

static void res(const char *what, int r) { printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ok"); }

int main(int argc, char **argv) {
	if (argc != 2)
		return 2;
	char f[512], d[512], l[512];
	snprintf(f, sizeof f, "%s/f", argv[1]);
	snprintf(d, sizeof d, "%s/d", argv[1]);
	snprintf(l, sizeof l, "%s/l", argv[1]);
	get("file origin", f, "user.origin");
	get("dir origin", d, "user.origin");
	list("file list", f);
	get("missing", f, "user.nope");
	res("lset user on symlink", lsetxattr(l, "user.x", "x", 1, 0));
	res("create existing", setxattr(f, "user.origin", "x", 1, XATTR_CREATE));
	res("replace missing", setxattr(f, "user.nope", "x", 1, XATTR_REPLACE));
	res("remove missing", removexattr(f, "user.nope"));
	res("set file", setxattr(f, "user.new", "sandbox", 7, 0));
	get("file origin after set", f, "user.origin");
	get("file new", f, "user.new");
	list("file list after set", f);
	res("set dir", setxattr(d, "user.new", "dir", 3, 0));
	get("dir origin after set", d, "user.origin");
	list("dir list after set", d);
	res("remove origin", removexattr(f, "user.origin"));
	list("file list after remove", f);
	return 0;
}
