// setid: the set*id family's permission rules, run as root: temporary and permanent drops,
// switching back through the saved uid, and EPERM once root is gone for good.
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r) {
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	printf("%-28s -> %s uid=%u/%u/%u gid=%u/%u/%u\n", what, r == 0 ? "ok" : strerror(errno), ru, eu, su, rg, eg, sg);
}

int main(void) {
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 1;
	}
	gid_t g[2] = {5, 6};
	show("setgroups(5,6)", setgroups(2, g));
	printf("getgroups=%d\n", getgroups(0, NULL));
	show("setresgid(-1,100,-1)", setresgid(-1, 100, -1));
	show("setresuid(-1,1000,-1)", setresuid(-1, 1000, -1));
	show("setresuid(-1,2000,-1)", setresuid(-1, 2000, -1));
	show("setgroups as euid 1000", setgroups(2, g));
	show("seteuid(0)", seteuid(0));
	show("setreuid(1000,2000)", setreuid(1000, 2000));
	show("setreuid(-1,1000)", setreuid(-1, 1000));
	show("setuid(0)", setuid(0));
	show("setresuid(3000,-1,-1)", setresuid(3000, -1, -1));
	show("setuid(2000)", setuid(2000));
	show("setuid(1000)", setuid(1000));
	show("setuid(-1)", (long)syscall(SYS_setuid, -1));
	show("setgid(7)", setgid(7));
	return 0;
}
