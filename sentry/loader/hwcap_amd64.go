package loader

// cpuid executes the CPUID instruction (cpuid_amd64.s).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// hwcap returns AT_HWCAP: like Linux on x86, the EDX feature bits of CPUID leaf 1.
func hwcap() uint64 {
	_, _, _, edx := cpuid(1, 0)
	return uint64(edx)
}
