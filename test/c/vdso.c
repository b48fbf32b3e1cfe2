// vdso checks the vDSO against the syscalls it stands in for, without printing any time:
// AT_SYSINFO_EHDR points at an ELF image exporting __vdso_clock_gettime and friends
// (LINUX_2.6); for every clock id, the vDSO's clock_gettime and clock_getres fail or
// succeed exactly as the syscalls do; reads of each clock that alternate between the vDSO
// and the syscall never go backwards; gettimeofday and time agree with
// CLOCK_REALTIME; getcpu works; a forked child has the same vDSO; and the process survives
// unmapping its vDSO (it then uses syscalls only).
//
// With the argument "loop" it only calls clock_gettime, gettimeofday and time 1000 times
// each through libc (which uses the vDSO) and prints "done": a test counts the syscalls
// that makes.
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, struct timezone *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static int failures;

static void report(const char *what, int cond) {
	printf("%s: %s\n", what, cond ? "ok" : "FAIL");
	failures += !cond;
}

static int64_t ns(const struct timespec *ts) {
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

// vdso_sym finds a symbol of version LINUX_2.6 in the vDSO image at base, through its
// DT_HASH table (as musl does), or returns NULL.
static void *vdso_sym(uintptr_t base, const char *name) {
	Elf64_Ehdr *eh = (Elf64_Ehdr *)base;
	Elf64_Phdr *ph = (Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t bias = 0;
	Elf64_Dyn *dyn = NULL;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && bias == 0)
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (Elf64_Dyn *)(base + ph[i].p_offset);
	}
	if (!dyn)
		return NULL;
	Elf64_Sym *syms = NULL;
	const char *strs = NULL;
	Elf32_Word *hash = NULL;
	Elf64_Half *versym = NULL;
	Elf64_Verdef *verdef = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: syms = (Elf64_Sym *)(bias + dyn->d_un.d_ptr); break;
		case DT_STRTAB: strs = (const char *)(bias + dyn->d_un.d_ptr); break;
		case DT_HASH: hash = (Elf32_Word *)(bias + dyn->d_un.d_ptr); break;
		case DT_VERSYM: versym = (Elf64_Half *)(bias + dyn->d_un.d_ptr); break;
		case DT_VERDEF: verdef = (Elf64_Verdef *)(bias + dyn->d_un.d_ptr); break;
		}
	}
	if (!syms || !strs || !hash || !versym || !verdef)
		return NULL;
	for (Elf32_Word i = 0; i < hash[1]; i++) {
		if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC || syms[i].st_shndx == SHN_UNDEF ||
		    strcmp(strs + syms[i].st_name, name) != 0)
			continue;
		// The symbol's version must be the definition named LINUX_2.6.
		for (Elf64_Verdef *d = verdef;; d = (Elf64_Verdef *)((char *)d + d->vd_next)) {
			Elf64_Verdaux *aux = (Elf64_Verdaux *)((char *)d + d->vd_aux);
			if (d->vd_ndx == (versym[i] & 0x7fff) && strcmp(strs + aux->vda_name, "LINUX_2.6") == 0)
				return (void *)(bias + syms[i].st_value);
			if (!d->vd_next)
				break;
		}
	}
	return NULL;
}

static void loop(void) {
	struct timespec ts;
	struct timeval tv;
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		gettimeofday(&tv, NULL);
		time(NULL);
	}
	printf("done\n");
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "loop") == 0) {
		loop();
		return 0;
	}
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	report("AT_SYSINFO_EHDR present", base != 0);
	if (!base)
		return 1;
	report("vDSO is an ELF image", memcmp((void *)base, ELFMAG, SELFMAG) == 0);
	gettime_fn vgettime = (gettime_fn)vdso_sym(base, "__vdso_clock_gettime");
	gettime_fn vgetres = (gettime_fn)vdso_sym(base, "__vdso_clock_getres");
	gettimeofday_fn vgtod = (gettimeofday_fn)vdso_sym(base, "__vdso_gettimeofday");
	time_fn vtime = (time_fn)vdso_sym(base, "__vdso_time");
	getcpu_fn vgetcpu = (getcpu_fn)vdso_sym(base, "__vdso_getcpu");
	report("__vdso_clock_gettime@LINUX_2.6", vgettime != NULL);
	report("__vdso_clock_getres@LINUX_2.6", vgetres != NULL);
	report("__vdso_gettimeofday@LINUX_2.6", vgtod != NULL);
	report("__vdso_time@LINUX_2.6", vtime != NULL);
	report("__vdso_getcpu@LINUX_2.6", vgetcpu != NULL);
	if (!vgettime || !vgetres || !vgtod || !vtime || !vgetcpu)
		return 1;

	// Every clock id: the vDSO answers exactly as the syscall does. The vDSO returns
	// -errno when it falls back to the raw syscall, as Linux's does.
	clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
			   CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
			   CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, 10, CLOCK_TAI, 12, 100, -1,
			   // clock_getcpuclockid(getpid()) and the calling thread's CPU clock id
			   (clockid_t)((~(unsigned)getpid() << 3) | 2), (clockid_t)((~0u << 3) | 6),
			   // a CPU clock of a pid that does not exist
			   (clockid_t)((~(unsigned)4000000 << 3) | 2)};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		clockid_t id = ids[i];
		struct timespec a, b;
		int rv = vgettime(id, &a);
		long rs = syscall(SYS_clock_gettime, id, &b);
		int es = rs < 0 ? errno : 0;
		// Printed by index: CPU clock ids contain the pid.
		printf("clock #%zu: gettime vdso %d syscall %ld %s", i, rv, rs, es ? strerror(es) : "");
		printf("%s\n", (rv == 0) == (rs == 0) && (rv == 0 || rv == -es) ? "" : " MISMATCH");
		failures += !((rv == 0) == (rs == 0) && (rv == 0 || rv == -es));
		rv = vgetres(id, &a);
		rs = syscall(SYS_clock_getres, id, &b);
		es = rs < 0 ? errno : 0;
		int same = (rv == 0) == (rs == 0) && (rv == 0 ? ns(&a) == ns(&b) : rv == -es);
		printf("clock #%zu: getres vdso %d syscall %ld%s\n", i, rv, rs, same ? "" : " MISMATCH");
		failures += !same;
	}

	// Reads alternating between the vDSO and the syscall never go backwards.
	clockid_t mono[] = {CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW};
	for (size_t i = 0; i < sizeof(mono) / sizeof(mono[0]); i++) {
		struct timespec now, prev = {0, 0};
		int ok = 1;
		for (int j = 0; j < 20000; j++) {
			int rc = j % 10 == 0 ? (int)syscall(SYS_clock_gettime, mono[i], &now)
					     : vgettime(mono[i], &now);
			if (rc != 0 || ns(&now) < ns(&prev) || now.tv_nsec < 0 || now.tv_nsec >= 1000000000)
				ok = 0;
			prev = now;
		}
		char what[80];
		snprintf(what, sizeof what, "clock %d monotonic across vDSO and syscall", (int)mono[i]);
		report(what, ok);
	}

	// CLOCK_REALTIME, gettimeofday and time agree (through both paths).
	struct timespec rt1, rt2;
	struct timeval tv1, tv2;
	struct timezone tz = {-1, -1};
	vgettime(CLOCK_REALTIME, &rt1);
	int r1 = vgtod(&tv1, &tz);
	long r2 = syscall(SYS_gettimeofday, &tv2, NULL);
	time_t tt = 0, t1 = vtime(&tt), t2 = syscall(SYS_time, NULL);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt2);
	report("gettimeofday vdso and syscall succeed", r1 == 0 && r2 == 0);
	report("gettimeofday within realtime reads",
	       tv1.tv_sec * 1000000 + tv1.tv_usec >= ns(&rt1) / 1000 &&
		       tv2.tv_sec * 1000000 + tv2.tv_usec <= ns(&rt2) / 1000 &&
		       tv1.tv_sec * 1000000 + tv1.tv_usec <= tv2.tv_sec * 1000000 + tv2.tv_usec);
	printf("timezone: %d %d\n", tz.tz_minuteswest, tz.tz_dsttime);
	report("time stores its result", tt == t1);
	// Linux's time() reads the timekeeper's coarse seconds, which trail CLOCK_REALTIME by up
	// to one tick: a read just after a second boundary can give the previous second.
	report("time within realtime reads", t1 >= rt1.tv_sec - 1 && t2 >= t1 && t2 <= rt2.tv_sec);
	report("gettimeofday(NULL, NULL)", vgtod(NULL, NULL) == 0);
	report("time(NULL)", vtime(NULL) >= t1);

	unsigned cpu = 999, node = 999, scpu = 999, snode = 999;
	long c1 = vgetcpu(&cpu, &node, NULL), c2 = syscall(SYS_getcpu, &scpu, &snode, NULL);
	long nproc = sysconf(_SC_NPROCESSORS_CONF);
	report("getcpu vdso and syscall succeed", c1 == 0 && c2 == 0);
	report("getcpu in range", cpu < (unsigned)nproc && scpu < (unsigned)nproc && node < 64);
	report("getcpu(NULL, NULL)", vgetcpu(NULL, NULL, NULL) == 0);

	// A forked child has the same vDSO, and its clock continues the parent's.
	struct timespec before;
	vgettime(CLOCK_MONOTONIC, &before);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec after;
		int ok = getauxval(AT_SYSINFO_EHDR) == base && vgettime(CLOCK_MONOTONIC, &after) == 0 &&
			 ns(&after) >= ns(&before);
		_exit(ok ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	report("fork keeps the vDSO", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	// Unmapping the vDSO and its parameter page (the pages around the image) leaves the
	// process running on syscalls.
	pid = fork();
	if (pid == 0) {
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];
		int found = 0;
		while (f && fgets(line, sizeof line, f)) {
			unsigned long lo, hi;
			char perms[8];
			if ((strstr(line, "[vdso]") || strstr(line, "[vvar")) &&
			    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
				// Listed as private mappings: r-xp for the image, r--p for data.
				if (strcmp(perms, strstr(line, "[vdso]") ? "r-xp" : "r--p") == 0)
					found |= strstr(line, "[vdso]") ? 1 : 2;
				if (munmap((void *)lo, hi - lo) != 0)
					_exit(2);
			}
		}
		struct timespec ts;
		_exit(found == 3 && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	report("[vdso] r-xp and [vvar] r--p in maps, unmapping them", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return failures != 0;
}
