package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// exceedsAddressSpaceLimit reports whether growing t's address space by grow bytes would
// exceed RLIMIT_AS (mmap, brk and mremap then fail with ENOMEM, as on Linux). The mapped
// total is only summed when a limit is set.
func exceedsAddressSpaceLimit(t *kernel.Task, grow uintptr) bool {
	lim := t.ThreadGroup().Rlimit(unix.RLIMIT_AS).Cur
	if lim == linux.RLIM_INFINITY || grow == 0 {
		return false
	}
	grow = (grow + linux.PageSize - 1) &^ (linux.PageSize - 1)
	var total uint64
	for _, v := range t.MM().VMAs() {
		total += uint64(v.End - v.Start)
	}
	return total+uint64(grow) > lim || uint64(grow) > lim
}
