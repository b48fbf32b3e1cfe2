package vdso

// rdtsc reads the time-stamp counter, ordered with the loads around it (tsc_amd64.s).
func rdtsc() uint64

// cpuid executes the CPUID instruction (tsc_amd64.s).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// invariantTSC reports whether the CPU says its TSC runs at a constant rate in every power
// state (CPUID 0x80000007 EDX bit 8, Linux's constant_tsc + nonstop_tsc): only then can
// TSC ticks be converted to time with one rate.
func invariantTSC() bool {
	if top, _, _, _ := cpuid(0x80000000, 0); top < 0x80000007 {
		return false
	}
	_, _, _, edx := cpuid(0x80000007, 0)
	return edx&(1<<8) != 0
}
