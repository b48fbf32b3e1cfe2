// Package syscalls implements the Linux syscall table of the sentry: one file per family
// (sys_mm.go, sys_thread.go, sys_signal.go...), one function per syscall named after it.
// The table in table.go lists every implemented syscall with its support level and is
// registered with the kernel at init; the kernel never imports this package (runsc
// blank-imports it).
package syscalls

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// copyOutStruct copies the bytes of *v (a fixed-layout ABI struct) to addr.
func copyOutStruct[T any](t *kernel.Task, addr uintptr, v *T) error {
	b := unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
	if _, err := t.CopyOut(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

// copyInStruct fills *v from addr.
func copyInStruct[T any](t *kernel.Task, addr uintptr, v *T) error {
	b := unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
	if _, err := t.CopyIn(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

// fdLimit is RLIMIT_NOFILE's soft limit for the task.
func fdLimit(t *kernel.Task) uint64 {
	return t.ThreadGroup().Rlimit(unix.RLIMIT_NOFILE).Cur
}
