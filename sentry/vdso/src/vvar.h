// The parameter page ("vvar") the sentry publishes for the vDSO. The layout is shared with
// sentry/vdso/params.go (struct params); change both together. Every field is a 64-bit
// word so that the sentry can store each one atomically.
#ifndef STOCKADE_VVAR_H
#define STOCKADE_VVAR_H

#include <stdint.h>

// mode values.
#define VVAR_MODE_SYSCALL 0 // no fast path: every call makes the real syscall
#define VVAR_MODE_TSC 1     // the clocks below are computed from the TSC

struct vvar {
	// seq is odd while the sentry rewrites the page; a reader retries when it sees an odd
	// value or when seq changed while it read the other fields.
	uint64_t seq;
	uint64_t mode;
	// CLOCK_MONOTONIC at TSC value tsc_base is mono_ns + mono_frac / 2^32 ns, and it
	// advances by mult / 2^32 ns per TSC tick.
	uint64_t tsc_base;
	uint64_t mult;
	uint64_t mono_ns;
	uint64_t mono_frac;
	// CLOCK_REALTIME and CLOCK_BOOTTIME are CLOCK_MONOTONIC plus these offsets (ns).
	int64_t real_off;
	int64_t boot_off;
	// Resolutions (clock_getres) of the high-resolution and of the coarse clocks, in ns.
	uint64_t res_fine;
	uint64_t res_coarse;
	// getcpu's answers (what the sentry's getcpu(2) reports).
	uint64_t cpu;
	uint64_t node;
};

#endif
