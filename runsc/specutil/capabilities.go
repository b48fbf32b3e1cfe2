package specutil

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/control"
)

// capNumbers are the CAP_* numbers of Linux 6.1, by name.
var capNumbers = map[string]uint{
	"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
	"CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
	"CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
	"CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
	"CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
	"CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
	"CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
	"CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
	"CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35,
	"CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
	"CAP_CHECKPOINT_RESTORE": 40,
}

// CapMask converts capability names (CAP_CHOWN, case-insensitive) to a bit mask. Names the
// sentry does not know are skipped, as runc skips the ones its host kernel lacks; ok is
// false if there was one.
func CapMask(names []string) (mask uint64, ok bool) {
	ok = true
	for _, n := range names {
		c, known := capNumbers[strings.ToUpper(n)]
		if !known {
			ok = false
			continue
		}
		mask |= 1 << c
	}
	return mask, ok
}

// CapSets converts process.capabilities. The sentry applies them as runc's init does
// before the process's execve, which then recomputes them (kernel.StartCaps): a non-root
// user keeps only its ambient set as permitted and effective. Absent capabilities are five
// empty sets, as runc gives (not the sentry's default by uid, which is runsc do's).
func CapSets(c *specs.LinuxCapabilities) *control.CapSets {
	if c == nil {
		return &control.CapSets{}
	}
	m := func(names []string) uint64 { v, _ := CapMask(names); return v }
	return &control.CapSets{
		Effective: m(c.Effective), Permitted: m(c.Permitted), Inheritable: m(c.Inheritable),
		Bounding: m(c.Bounding), Ambient: m(c.Ambient),
	}
}

// CapNames returns the capability names CapMask knows, in the order of their numbers.
func CapNames() []string {
	names := make([]string, len(capNumbers))
	for n, i := range capNumbers {
		names[i] = n
	}
	return names
}
