//go:build !amd64

package loader

// hwcap returns AT_HWCAP. The sentry only runs x86-64 programs; on another host architecture
// (building, testing) there are no x86 feature bits to report.
func hwcap() uint64 { return 0 }

// xsaveSize is the FPU image size in signal frames: the FXSAVE area's off x86.
func xsaveSize() int { return 512 }
