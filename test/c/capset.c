// capset: capset(2)'s rules and errors, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT,
// PR_SET_KEEPCAPS, the uid-change and execve recomputations of capabilities(7), and the
// permission checks that ask a capability rather than uid 0 (CAP_DAC_OVERRIDE,
// CAP_DAC_READ_SEARCH, CAP_CHOWN, CAP_FOWNER, CAP_MKNOD, CAP_SETUID, CAP_SYS_RESOURCE).
// Run as root. Every case runs in a child of its own; only relations and capabilities
// every root on the test machines holds are printed (the host's bounding set may lack some,
// so full masks never are).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "caps.h"

// dir is the test's directory under /tmp.
static char dir[64];

static void errors(void) {
	struct __user_cap_header_struct h = {0x12345678, 0};
	struct __user_cap_data_struct d[2] = {0};
	long r = capset_(&h, d);
	printf("bad version: %s version=%#x\n", res(r), h.version);
	u64 e, p, i;
	get(&e, &p, &i);
	h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, getppid()};
	d[0] = (struct __user_cap_data_struct){(unsigned)e, (unsigned)p, (unsigned)i};
	d[1] = (struct __user_cap_data_struct){(unsigned)(e >> 32), (unsigned)(p >> 32), (unsigned)(i >> 32)};
	printf("other pid: %s\n", res(capset_(&h, d)));
	h.pid = getpid();
	printf("own pid: %s\n", res(capset_(&h, d)));
	h.pid = 0;
	printf("bad data: %s\n", res(capset_(&h, (void *)8)));
	printf("bad header: %s\n", res(capset_((void *)8, d)));
	printf("effective beyond permitted: %s\n", res(set(p, p & ~BIT(CAP_CHOWN), i)));
	printf("drop chown from permitted: %s\n", res(set(e & ~BIT(CAP_CHOWN), p & ~BIT(CAP_CHOWN), i)));
	printf("raise it again: %s\n", res(set(e & ~BIT(CAP_CHOWN), p, i)));
	show("after drop");
	printf("drop setpcap: %s\n", res(set(e & ~BIT(CAP_CHOWN) & ~BIT(CAP_SETPCAP), p & ~BIT(CAP_CHOWN), i)));
	printf("inheritable chown, not permitted, no setpcap: %s\n",
	       res(set(e & ~BIT(CAP_CHOWN) & ~BIT(CAP_SETPCAP), p & ~BIT(CAP_CHOWN), i | BIT(CAP_CHOWN))));
	printf("inheritable kill (permitted): %s\n", res(set(e & ~BIT(CAP_CHOWN) & ~BIT(CAP_SETPCAP), p & ~BIT(CAP_CHOWN), i | BIT(CAP_KILL))));
	show("after inheritable");
}

static void version1(void) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_1, 0};
	struct __user_cap_data_struct d[2] = {0};
	capget_(&h, d);
	printf("v1 capset: %s\n", res(capset_(&h, d)));
	u64 e, p, i;
	get(&e, &p, &i);
	printf("high halves empty: eff=%d prm=%d; low kept chown=%d\n", (e >> 32) == 0, (p >> 32) == 0, !!(e & BIT(CAP_CHOWN)));
}

static void bounding(void) {
	printf("read chown: %d\n", prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0));
	printf("read 64: %s\n", res(prctl(PR_CAPBSET_READ, 64, 0, 0, 0)));
	printf("drop 64: %s\n", res(prctl(PR_CAPBSET_DROP, 64, 0, 0, 0)));
	printf("drop mknod: %s\n", res(prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0)));
	printf("read mknod: %d status=%d\n", prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0), !!(status("CapBnd") & BIT(CAP_MKNOD)));
	drop(BIT(CAP_SETPCAP));
	printf("drop kill without setpcap: %s\n", res(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0)));
	u64 e, p, i;
	get(&e, &p, &i);
	printf("inheritable mknod (not in bounding): %s\n", res(set(e, p, i | BIT(CAP_MKNOD))));
}

static void ambient(void) {
	printf("is_set chown: %d\n", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	printf("raise without inheritable: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0)));
	u64 e, p, i;
	get(&e, &p, &i);
	set(e, p, i | BIT(CAP_CHOWN) | BIT(CAP_KILL));
	printf("raise chown: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0)));
	printf("raise kill: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
	printf("is_set chown: %d\n", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
	printf("bad cap: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0)));
	printf("bad arg4: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 1, 0)));
	printf("bad op: %s\n", res(prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN, 0, 0)));
	printf("clear_all with arg: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0)));
	show("two ambient");
	printf("lower kill: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0)));
	show("one ambient");
	get(&e, &p, &i);
	printf("drop inheritable chown: %s\n", res(set(e, p, i & ~BIT(CAP_CHOWN))));
	show("ambient follows inheritable");
	set(e, p, i);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0);
	printf("clear_all: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)));
	show("cleared");
}

static void setuid_plain(void) {
	printf("setuid 1000: %s\n", res(setuid(1000)));
	show("uid 1000");
	printf("setuid 0: %s\n", res(setuid(0)));
}

static void setuid_temporary(void) {
	setresuid(-1, 1000, -1);
	show("euid 1000");
	setresuid(-1, 0, -1);
	show("euid 0 again");
}

static void keepcaps(void) {
	printf("get: %d\n", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	printf("set 2: %s\n", res(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0)));
	printf("set 1: %s\n", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)));
	printf("get: %d\n", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	printf("setresuid 1000: %s\n", res(setresuid(1000, 1000, 1000)));
	show("kept");
	u64 e, p, i;
	get(&e, &p, &i);
	printf("effective from permitted: %s\n", res(set(p, p, i)));
	char path[128];
	snprintf(path, sizeof path, "%s/other", dir);
	printf("chown as uid 1000 with chown: %s\n", res(chown(path, 2000, 2000)));
}

static char *self;

static void exec_root(void) {
	// The ambient set survives a root execve.
	u64 e, p, i;
	get(&e, &p, &i);
	set(e, p, i | BIT(CAP_KILL));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0);
	drop(BIT(CAP_KILL));
	char *argv[] = {self, "show", "exec as root", NULL};
	fflush(stdout);
	execv(self, argv);
	printf("execv: %s\n", res(-1));
}

static void exec_ambient(void) {
	// Leaving uid 0 clears the ambient set even with keepcaps: raise it afterwards.
	u64 e, p, i;
	get(&e, &p, &i);
	set(e, p, i | BIT(CAP_CHOWN));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0);
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	setresuid(1000, 1000, 1000);
	show("ambient cleared by setresuid");
	get(&e, &p, &i);
	printf("raise again: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0)));
	char *argv[] = {self, "show", "exec as 1000, ambient", NULL};
	fflush(stdout);
	execv(self, argv);
	printf("execv: %s\n", res(-1));
}

static void exec_nonroot(void) {
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	setresuid(1000, 1000, 1000);
	show("before exec");
	char *argv[] = {self, "show", "exec as 1000, no ambient", NULL};
	fflush(stdout);
	execv(self, argv);
	printf("execv: %s\n", res(-1));
}

static void dac(void) {
	char path[128];
	snprintf(path, sizeof path, "%s/private", dir);
	drop(BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH));
	printf("read 0600 of uid 1000, no dac caps: %s\n", res(open(path, O_RDONLY)));
	printf("write: %s\n", res(open(path, O_WRONLY)));
	printf("access(R_OK): %s\n", res(access(path, R_OK)));
	u64 e, p, i;
	get(&e, &p, &i);
	set(e | BIT(CAP_DAC_READ_SEARCH), p, i);
	printf("read with dac_read_search: %s\n", res(open(path, O_RDONLY)));
	printf("write with dac_read_search: %s\n", res(open(path, O_WRONLY)));
	set(e | BIT(CAP_DAC_OVERRIDE), p, i);
	printf("write with dac_override: %s\n", res(open(path, O_WRONLY)));
}

static void owner(void) {
	char path[128];
	snprintf(path, sizeof path, "%s/private", dir);
	drop(BIT(CAP_CHOWN) | BIT(CAP_FOWNER) | BIT(CAP_MKNOD) | BIT(CAP_SETUID) | BIT(CAP_SYS_RESOURCE));
	printf("chown without chown: %s\n", res(chown(path, 0, 0)));
	printf("chmod of another's file without fowner: %s\n", res(chmod(path, 0644)));
	snprintf(path, sizeof path, "%s/null", dir);
	printf("mknod char without mknod: %s\n", res(mknod(path, S_IFCHR | 0600, makedev(1, 3))));
	printf("setuid 1000 without setuid: %s\n", res(setuid(1000)));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_max += 1;
	printf("raise hard limit without sys_resource: %s\n", res(setrlimit(RLIMIT_NOFILE, &rl)));
}

// killperm: signalling another user's process needs CAP_KILL, except SIGCONT in the session.
static void killperm(void) {
	int fds[2];
	pipe(fds);
	pid_t c = fork();
	if (c == 0) {
		setresuid(2000, 2000, 2000);
		write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	char b;
	read(fds[0], &b, 1);
	drop(BIT(CAP_KILL));
	printf("kill 0 without kill: %s\n", res(kill(c, 0)));
	printf("kill TERM without kill: %s\n", res(kill(c, SIGTERM)));
	printf("tgkill TERM without kill: %s\n", res(syscall(SYS_tgkill, c, c, SIGTERM)));
	printf("kill CONT, same session: %s\n", res(kill(c, SIGCONT)));
	u64 e, p, i;
	get(&e, &p, &i);
	set(e | BIT(CAP_KILL), p, i);
	printf("kill KILL with kill: %s\n", res(kill(c, SIGKILL)));
	int st;
	waitpid(c, &st, 0);
	printf("child killed: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

// exec_ids: execve sets the saved ids to the effective ones.
static void exec_ids(void) {
	setresgid(1000, 2000, 3000);
	setresuid(1000, 2000, 0);
	char *argv[] = {self, "ids", NULL};
	fflush(stdout);
	execv(self, argv);
	printf("execv: %s\n", res(-1));
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		show(argv[2]);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "ids") == 0) {
		print_ids("after exec");
		return 0;
	}
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 1;
	}
	self = argv[0];
	snprintf(dir, sizeof dir, "/tmp/capset.%d", getpid());
	mkdir(dir, 0755);
	char path[128];
	snprintf(path, sizeof path, "%s/private", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	chown(path, 1000, 1000);
	snprintf(path, sizeof path, "%s/other", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof path, "%s/private", dir);

	show("root");
	run("errors", errors);
	run("version 1", version1);
	run("bounding", bounding);
	run("ambient", ambient);
	run("setuid", setuid_plain);
	run("temporary", setuid_temporary);
	run("keepcaps", keepcaps);
	run("exec root", exec_root);
	run("exec ambient", exec_ambient);
	run("exec nonroot", exec_nonroot);
	run("exec ids", exec_ids);
	run("dac", dac);
	run("owner", owner);
	run("kill", killperm);

	unlink(path);
	snprintf(path, sizeof path, "%s/other", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}
