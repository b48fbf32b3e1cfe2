// Package e2e holds the differential end-to-end tests of the first
// milestone: each program under test/c and test/goprog is built (with gcc
// -static and CGO_ENABLED=0 go build), run on the host and under
// `$RUNSC do`, and the two runs' stdout and exit statuses are compared. A
// status is normalised to the exit code, or 128+N for a process killed by
// signal N, which is what runsc reports for a sandboxed program killed by N.
//
// A few programs cannot be differential (getpid is 1 only in the sandbox) and
// are checked against an expected output under runsc, after a native sanity
// run. `runsc do` is also fed bad executables, which it must reject with one
// line on stderr.
//
// RUNSC names the runsc binary (default <repo>/bin/runsc); if it does not
// exist the sandboxed tests fail, telling you to build it. Flags, passed as
// `go test ./test/e2e -args -FLAG` or directly after the package:
//
//	-native-only  run only the host side, skipping runsc (for writing a
//	              new test: it must pass on Linux first)
//	-platform P   pass --platform=P to runsc do (default ptrace, or
//	              $STOCKADE_PLATFORM)
//	-strace       pass --strace to runsc do (also $RUNSC_STRACE=1); its
//	              output is shown with failures
//
// This file is the package's only non-test file; the tests live in the
// _test.go files beside it.
package e2e
