// Package oci holds the OCI runtime tests: `runsc create/start/run/state/kill/delete/list/
// wait/spec` against bundles built in the test, whose rootfs holds a static test program
// (prog.c, built with gcc -static) and, when installed, a static busybox (/bin/busybox,
// Debian's busybox-static).
//
// RUNSC names the runsc binary (default <repo>/bin/runsc; `make test` sets it).
package oci
