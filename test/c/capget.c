// capget: the capability-version probe, errors (bad version, negative or unknown pid, bad
// pointers), and how the sets follow the uids: a temporary drop of euid 0 clears the
// effective set only, a permanent drop clears the permitted set too. Run as root; only
// capabilities every root on the test machines holds (CAP_CHOWN, CAP_SETUID) are printed,
// and the sets are compared with /proc/self/status rather than printed.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
	return syscall(SYS_capget, h, d);
}

static const char *res(long r) { return r == 0 ? "ok" : strerror(errno); }

// status reads field (CapEff, CapPrm, CapInh) of /proc/self/status.
static unsigned long long status(const char *field) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			sscanf(line + n + 1, "%llx", &v);
		}
	}
	if (f) fclose(f);
	return v;
}

static void show(const char *what) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	long r = capget_(&h, d);
	unsigned long long eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	unsigned long long prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
	unsigned long long inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
	printf("%-22s capget %s: eff chown=%d setuid=%d empty=%d; prm chown=%d setuid=%d empty=%d; "
	       "status match eff=%d prm=%d inh=%d\n",
	       what, res(r), !!(eff & 1 << CAP_CHOWN), !!(eff & 1 << CAP_SETUID), eff == 0,
	       !!(prm & 1 << CAP_CHOWN), !!(prm & 1 << CAP_SETUID), prm == 0,
	       eff == status("CapEff"), prm == status("CapPrm"), inh == status("CapInh"));
}

int main(void) {
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 1;
	}
	// The probe: version 0 with NULL data is answered with the preferred version and 0.
	struct __user_cap_header_struct h = {0, 0};
	long r = capget_(&h, NULL);
	printf("probe: %s version=%#x\n", res(r), h.version);
	struct __user_cap_data_struct d[2];
	h.version = 0x12345678;
	r = capget_(&h, d);
	printf("bad version with data: %s version=%#x\n", res(r), h.version);
	h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, 0};
	printf("good version, NULL data: %s\n", res(capget_(&h, NULL)));
	h.pid = -1;
	printf("pid -1: %s\n", res(capget_(&h, d)));
	h.pid = 4000000;
	printf("unknown pid: %s\n", res(capget_(&h, d)));
	h.pid = getpid();
	r = capget_(&h, d);
	printf("own pid: %s chown=%d\n", res(r), !!(d[0].effective & 1 << CAP_CHOWN));
	h.pid = 0;
	printf("bad data pointer: %s\n", res(capget_(&h, (void *)8)));
	printf("bad header pointer: %s\n", res(capget_((void *)8, d)));
	// Version 1: one struct, the low 32 bits.
	h = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_1, 0};
	d[1].effective = 0xdeadbeef;
	r = capget_(&h, d);
	printf("version 1: %s chown=%d second struct untouched=%d\n", res(r), !!(d[0].effective & 1 << CAP_CHOWN), d[1].effective == 0xdeadbeef);

	show("root");
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		setresuid(-1, 1000, -1);
		show("euid 1000 (temporary)");
		setresuid(-1, 0, -1);
		show("euid 0 again");
		setresuid(1000, 1000, 1000);
		show("all uids 1000");
		// The parent's sets, seen through its pid.
		struct __user_cap_header_struct ph = {_LINUX_CAPABILITY_VERSION_3, getppid()};
		struct __user_cap_data_struct pd[2];
		r = capget_(&ph, pd);
		printf("parent's sets: %s chown=%d\n", res(r), !!(pd[0].effective & 1 << CAP_CHOWN));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	return 0;
}
