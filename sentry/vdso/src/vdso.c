// Stockade's vDSO: clock_gettime, gettimeofday, time, clock_getres and getcpu computed in
// the application from the parameter page the sentry keeps (vvar.h), so that reading a clock
// does not trap into the sentry. Whatever the page cannot answer (CPU-time clocks, bad
// clock ids, a host without a usable TSC) is passed to the real syscall, which the sentry
// handles as any other.
//
// Built freestanding (no libc): see Makefile and vdso.lds.
#include <stddef.h>
#include <stdint.h>

#include "vvar.h"

// Clock ids and structures of the Linux ABI (no libc headers here).
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229

struct timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};
struct timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};
struct timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

// The parameter page sits just below the vDSO's first page (vdso.lds defines the symbol;
// the sentry maps the two next to each other), so it is reached PC-relative.
extern const volatile struct vvar vvar __attribute__((visibility("hidden")));

static inline long syscall2(long nr, long a, long b) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

// rdtsc_ordered reads the TSC after every earlier load has completed and before any later
// one starts, so that the read falls between the two reads of vvar.seq (the sentry's
// monotonicity argument depends on it).
static inline uint64_t rdtsc_ordered(void) {
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

#define barrier() __asm__ volatile("" ::: "memory")

// clock_kind says what the page knows of a clock: 0 nothing, else which offset to add.
enum { KIND_NONE, KIND_MONO, KIND_REAL, KIND_BOOT };

static inline int clock_kind(long id) {
	switch (id) {
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
		return KIND_MONO;
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return KIND_REAL;
	case CLOCK_BOOTTIME:
		return KIND_BOOT;
	}
	return KIND_NONE;
}

// read_ns computes clock kind's current value in ns; 0 means the page has no fast path.
static inline int read_ns(int kind, uint64_t *out) {
	for (;;) {
		uint64_t seq = vvar.seq;
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		barrier();
		if (vvar.mode != VVAR_MODE_TSC)
			return 0;
		uint64_t base = vvar.tsc_base, mult = vvar.mult;
		uint64_t ns = vvar.mono_ns, frac = vvar.mono_frac;
		int64_t off = kind == KIND_REAL ? vvar.real_off : kind == KIND_BOOT ? vvar.boot_off : 0;
		uint64_t tsc = rdtsc_ordered();
		barrier();
		if (vvar.seq != seq)
			continue;
		// A TSC a little behind tsc_base (another CPU) counts as tsc_base: never earlier.
		uint64_t delta = tsc > base ? tsc - base : 0;
		unsigned __int128 p = (unsigned __int128)delta * mult + frac;
		*out = ns + (uint64_t)(p >> 32) + (uint64_t)off;
		return 1;
	}
}

int __vdso_clock_gettime(long id, struct timespec *ts) {
	int kind = clock_kind(id);
	uint64_t ns;
	if (kind == KIND_NONE || !read_ns(kind, &ns))
		return (int)syscall2(SYS_clock_gettime, id, (long)ts);
	ts->tv_sec = (int64_t)(ns / 1000000000);
	ts->tv_nsec = (int64_t)(ns % 1000000000);
	return 0;
}

int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz) {
	uint64_t ns;
	if (!read_ns(KIND_REAL, &ns))
		return (int)syscall2(SYS_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = (int64_t)(ns / 1000000000);
		tv->tv_usec = (int64_t)(ns % 1000000000 / 1000);
	}
	if (tz) {
		tz->tz_minuteswest = 0; // the sandbox is on UTC, as the sentry's gettimeofday says
		tz->tz_dsttime = 0;
	}
	return 0;
}

long __vdso_time(long *t) {
	uint64_t ns;
	if (!read_ns(KIND_REAL, &ns))
		return syscall2(SYS_time, (long)t, 0);
	long s = (long)(ns / 1000000000);
	if (t)
		*t = s;
	return s;
}

int __vdso_clock_getres(long id, struct timespec *res) {
	uint64_t ns;
	if (vvar.mode != VVAR_MODE_TSC || clock_kind(id) == KIND_NONE)
		return (int)syscall2(SYS_clock_getres, id, (long)res);
	ns = (id == CLOCK_REALTIME_COARSE || id == CLOCK_MONOTONIC_COARSE) ? vvar.res_coarse
									   : vvar.res_fine;
	if (res) {
		res->tv_sec = (int64_t)(ns / 1000000000);
		res->tv_nsec = (int64_t)(ns % 1000000000);
	}
	return 0;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache) {
	(void)cache;
	if (cpu)
		*cpu = (unsigned)vvar.cpu;
	if (node)
		*node = (unsigned)vvar.node;
	return 0;
}

// The names without the __vdso_ prefix, as Linux's vDSO also exports them.
int clock_gettime(long, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *, struct timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(long, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
