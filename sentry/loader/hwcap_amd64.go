package loader

// cpuid executes the CPUID instruction (cpuid_amd64.s).
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// hwcap returns AT_HWCAP: like Linux on x86, the EDX feature bits of CPUID leaf 1.
func hwcap() uint64 {
	_, _, _, edx := cpuid(1, 0)
	return uint64(edx)
}

// xsaveSize is the size of the XSAVE area for the features the host OS enabled (CPUID leaf
// 0xD, sub-leaf 0, EBX), or the FXSAVE area's without XSAVE: the FPU image in signal frames.
func xsaveSize() int {
	if top, _, _, _ := cpuid(0, 0); top < 0xd {
		return 512
	}
	if _, _, ecx, _ := cpuid(1, 0); ecx&(1<<27) == 0 { // OSXSAVE
		return 512
	}
	_, ebx, _, _ := cpuid(0xd, 0)
	return int(ebx)
}
