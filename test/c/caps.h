// caps.h: capability helpers shared by the privilege tests (capset.c, securebits.c):
// capget/capset of the three sets as 64-bit masks, /proc/self/status's Cap* fields, and a
// child process per case. Include after the system headers.
#ifndef STOCKADE_TEST_CAPS_H
#define STOCKADE_TEST_CAPS_H

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

typedef unsigned long long u64;

static inline long capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
	return syscall(SYS_capget, h, d);
}

static inline long capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) {
	return syscall(SYS_capset, h, d);
}

static inline void get(u64 *eff, u64 *prm, u64 *inh) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {0};
	capget_(&h, d);
	*eff = d[0].effective | (u64)d[1].effective << 32;
	*prm = d[0].permitted | (u64)d[1].permitted << 32;
	*inh = d[0].inheritable | (u64)d[1].inheritable << 32;
}

static inline long set(u64 eff, u64 prm, u64 inh) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(unsigned)eff, (unsigned)prm, (unsigned)inh},
		{(unsigned)(eff >> 32), (unsigned)(prm >> 32), (unsigned)(inh >> 32)},
	};
	return capset_(&h, d);
}

#define BIT(c) (1ULL << (c))

// status reads field (CapEff, CapPrm, CapInh, CapBnd, CapAmb) of /proc/self/status.
static inline u64 status(const char *field) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	u64 v = ~0ULL;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') sscanf(line + n + 1, "%llx", &v);
	}
	if (f) fclose(f);
	return v;
}

// show prints where the sets stand, as relations and a few capabilities.
static inline void show(const char *what) {
	u64 e, p, i;
	get(&e, &p, &i);
	u64 b = status("CapBnd"), a = status("CapAmb");
	printf("%-28s eff: chown=%d empty=%d eq-prm=%d; prm: chown=%d empty=%d eq-bnd=%d; inh=%llx amb=%llx; "
	       "status eff=%d prm=%d inh=%d\n",
	       what, !!(e & BIT(CAP_CHOWN)), e == 0, e == p, !!(p & BIT(CAP_CHOWN)), p == 0, p == b, i, a,
	       e == status("CapEff"), p == status("CapPrm"), i == status("CapInh"));
}

// drop removes caps from the effective set.
static inline long drop(u64 caps) {
	u64 e, p, i;
	get(&e, &p, &i);
	return set(e & ~caps, p, i);
}

// run runs f in a child process under the heading "== name" and waits for it.
static inline void run(const char *name, void (*f)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("== %s\n", name);
		f();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
}

#endif
