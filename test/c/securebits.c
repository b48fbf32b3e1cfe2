// securebits: prctl PR_GET/SET_SECUREBITS and what the bits of Linux 6.1 change:
// SECBIT_KEEP_CAPS (also PR_SET_KEEPCAPS) and NO_SETUID_FIXUP for uid changes, NOROOT for
// root's execve, NO_CAP_AMBIENT_RAISE for PR_CAP_AMBIENT_RAISE; the _LOCKED bits, the
// CAP_SETPCAP requirement, unknown bits, and what fork and execve keep. Run as root; every
// case runs in a child of its own. Bits 8 and up are not tried: Linux 6.14 gave 8-11 a
// meaning, and the sandbox is a 6.1.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"

static char *self;

static long setbits(unsigned long bits) { return prctl(PR_SET_SECUREBITS, bits, 0, 0, 0); }
static long getbits(void) { return prctl(PR_GET_SECUREBITS, 0, 0, 0, 0); }

// execself runs this program again to print the sets and bits after an execve.
static void execself(const char *what) {
	char *argv[] = {self, "show", (char *)what, NULL};
	fflush(stdout);
	execv(self, argv);
	printf("execv: %s\n", res(-1));
}

static void showbits(const char *what) {
	printf("%s: securebits %#lx keepcaps %ld\n", what, getbits(), (long)prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
}

static void errors(void) {
	showbits("start");
	printf("unknown bit 12: %s\n", res(setbits(1 << 12)));
	printf("bit 32: %s\n", res(setbits(1UL << 32)));
	printf("keep caps: %s\n", res(setbits(SECBIT_KEEP_CAPS)));
	showbits("after");
	printf("clear: %s\n", res(setbits(0)));
	showbits("cleared");
	printf("PR_SET_KEEPCAPS 1: %s\n", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)));
	showbits("after PR_SET_KEEPCAPS");
	drop(BIT(CAP_SETPCAP));
	printf("without setpcap: %s\n", res(setbits(SECBIT_NOROOT)));
	printf("same bits without setpcap: %s\n", res(setbits(SECBIT_KEEP_CAPS)));
	printf("PR_SET_KEEPCAPS 0 without setpcap: %s\n", res(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)));
	showbits("end");
}

static void locks(void) {
	printf("keep caps locked: %s\n", res(setbits(SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED)));
	printf("PR_SET_KEEPCAPS 0: %s\n", res(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)));
	printf("PR_SET_KEEPCAPS 1: %s\n", res(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)));
	printf("clear the locked bit: %s\n", res(setbits(SECBIT_KEEP_CAPS_LOCKED)));
	printf("clear the lock: %s\n", res(setbits(SECBIT_KEEP_CAPS)));
	printf("add another bit: %s\n", res(setbits(SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NOROOT)));
	printf("lock without its bit: %s\n",
	       res(setbits(SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP_LOCKED)));
	printf("set the locked-off bit: %s\n", res(setbits(SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NOROOT |
							    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_SETUID_FIXUP)));
	showbits("end");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		showbits("forked child");
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	execself("exec keeps all but KEEP_CAPS");
}

static void keepcaps(void) {
	setbits(SECBIT_KEEP_CAPS);
	printf("setresuid 1000: %s\n", res(setresuid(1000, 1000, 1000)));
	show("keep caps: uid 1000");
}

// ambient_chown makes CAP_CHOWN inheritable and ambient.
static void ambient_chown(void) {
	u64 e, p, i;
	get(&e, &p, &i);
	set(e, p, i | BIT(CAP_CHOWN));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0);
}

static void nofixup(void) {
	ambient_chown();
	printf("no setuid fixup: %s\n", res(setbits(SECBIT_NO_SETUID_FIXUP)));
	printf("seteuid 1000: %s\n", res(setresuid(-1, 1000, -1)));
	show("no fixup: euid 1000");
	printf("setresuid 1000: %s\n", res(setresuid(1000, 1000, 1000)));
	show("no fixup: uid 1000");
	printf("chown as uid 1000: %s\n", res(chown("/", 0, 0)));
	execself("no fixup: exec as 1000");
}

static void noroot(void) {
	printf("noroot: %s\n", res(setbits(SECBIT_NOROOT)));
	execself("noroot: exec as root");
}

static void noroot_ambient(void) {
	ambient_chown();
	setbits(SECBIT_NOROOT);
	execself("noroot: exec as root, ambient");
}

static void ambient(void) {
	u64 e, p, i;
	get(&e, &p, &i);
	set(e, p, i | BIT(CAP_CHOWN) | BIT(CAP_KILL));
	printf("raise chown: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0)));
	printf("no ambient raise: %s\n", res(setbits(SECBIT_NO_CAP_AMBIENT_RAISE)));
	printf("raise kill: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
	printf("lower chown: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0)));
	printf("clear all: %s\n", res(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)));
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		show(argv[2]);
		showbits(argv[2]);
		return 0;
	}
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 1;
	}
	self = argv[0];
	run("errors", errors);
	run("locks", locks);
	run("keep caps", keepcaps);
	run("no setuid fixup", nofixup);
	run("noroot", noroot);
	run("noroot, ambient", noroot_ambient);
	run("no ambient raise", ambient);
	return 0;
}
