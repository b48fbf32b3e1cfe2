//go:build !amd64

package loader

// hwcap returns AT_HWCAP. The sentry only runs x86-64 programs; on another host architecture
// (building, testing) there are no x86 feature bits to report.
func hwcap() uint64 { return 0 }
