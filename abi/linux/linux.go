// Package linux holds the Linux ABI: constants, numbers and struct layouts that the sentry
// presents to applications. It is a leaf package: it imports nothing of Stockade's, so every
// layer (platform, kernel, filesystems, CLI) can share one definition of the ABI.
//
// Where golang.org/x/sys/unix already defines a constant with the right value, code uses that;
// this package adds what unix lacks (auxv keys, sentry-visible limits) and the tables the
// syscall layer is built from.
package linux

// Auxiliary vector keys (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h).
const (
	AT_NULL          = 0
	AT_IGNORE        = 1
	AT_EXECFD        = 2
	AT_PHDR          = 3
	AT_PHENT         = 4
	AT_PHNUM         = 5
	AT_PAGESZ        = 6
	AT_BASE          = 7
	AT_FLAGS         = 8
	AT_ENTRY         = 9
	AT_NOTELF        = 10
	AT_UID           = 11
	AT_EUID          = 12
	AT_GID           = 13
	AT_EGID          = 14
	AT_PLATFORM      = 15
	AT_HWCAP         = 16
	AT_CLKTCK        = 17
	AT_SECURE        = 23
	AT_BASE_PLATFORM = 24
	AT_RANDOM        = 25
	AT_HWCAP2        = 26
	AT_EXECFN        = 31
	AT_SYSINFO_EHDR  = 33
	AT_MINSIGSTKSZ   = 51
)

// PageSize is the page size of the x86-64 ABI the sentry presents.
const PageSize = 4096

// O_LARGEFILE is the open flag Linux forces on every open(2) on 64-bit, which F_GETFL and
// /proc/<pid>/fdinfo report (golang.org/x/sys/unix defines it as 0 on amd64).
const O_LARGEFILE = 0o100000

// PageRoundDown rounds addr down to a page boundary.
func PageRoundDown(addr uintptr) uintptr { return addr &^ (PageSize - 1) }

// PageRoundUp rounds addr up to a page boundary. ok is false on overflow.
func PageRoundUp(addr uintptr) (rounded uintptr, ok bool) {
	rounded = (addr + PageSize - 1) &^ (PageSize - 1)
	return rounded, rounded >= addr
}

// Clock ticks per second reported in AT_CLKTCK and used by times(2).
const CLOCKS_PER_SEC = 100

// NumSignals is the number of signals (1..64) Linux supports.
const NumSignals = 64

// SigAction is struct sigaction as the rt_sigaction syscall (not libc) sees it on x86-64.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     uint64
}

// SigAltStack is stack_t.
type SigAltStack struct {
	Addr  uint64
	Flags int32
	_     int32
	Size  uint64
}

// Rlimit is struct rlimit64.
type Rlimit struct {
	Cur uint64
	Max uint64
}

// RLIM_INFINITY is the unlimited rlimit value.
const RLIM_INFINITY = ^uint64(0)

// Number of rlimit resources (RLIMIT_CPU .. RLIMIT_RTTIME).
const RLIM_NLIMITS = 16

// ioctl requests handled by the generic layer (asm-generic/ioctls.h).
const (
	FIONBIO  = 0x5421
	FIONCLEX = 0x5450
	FIOCLEX  = 0x5451
)

// arch_prctl codes (asm/prctl.h).
const (
	ARCH_SET_GS = 0x1001
	ARCH_SET_FS = 0x1002
	ARCH_GET_FS = 0x1003
	ARCH_GET_GS = 0x1004
)

// Securebits (include/uapi/linux/securebits.h) of Linux 6.1: each bit has a _LOCKED bit
// above it that freezes it.
const (
	SECBIT_NOROOT                      = 1 << 0
	SECBIT_NOROOT_LOCKED               = 1 << 1
	SECBIT_NO_SETUID_FIXUP             = 1 << 2
	SECBIT_NO_SETUID_FIXUP_LOCKED      = 1 << 3
	SECBIT_KEEP_CAPS                   = 1 << 4
	SECBIT_KEEP_CAPS_LOCKED            = 1 << 5
	SECBIT_NO_CAP_AMBIENT_RAISE        = 1 << 6
	SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7
	SECURE_ALL_BITS                    = SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE
	SECURE_ALL_LOCKS                   = SECURE_ALL_BITS << 1
)
