//go:build !amd64

package vdso

// rdtsc has no portable counterpart: without one the clocks stay on the host's.
func rdtsc() uint64 { return 0 }

// invariantTSC is false off amd64: the vDSO always makes the syscall.
func invariantTSC() bool { return false }
