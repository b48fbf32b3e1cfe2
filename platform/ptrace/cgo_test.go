//go:build cgo

package ptrace

// Linking cgo makes glibc register an rseq area on every thread, which the master stub
// inherits through its raw clone: the tests in this package then cover unregistering it
// (without that, the master faults forever once its memory is unmapped).
import _ "runtime/cgo"
