// Package oci holds the OCI runtime tests: `runsc create/start/run/state/kill/delete/list/
// wait/spec` against bundles built in the test, whose rootfs holds a static test program
// (prog.c, built with gcc -static) and, when installed, a static busybox (/bin/busybox,
// Debian's busybox-static). rootfs_test.go runs busybox shells in a busybox rootfs (applet
// symlinks as `busybox --install -s` makes them) to check what the container sees: the
// rootfs through the gofer, the overlay and --overlay=none, bind and tmpfs mounts, cwd,
// uid/gid/groups, umask, rlimits, and that delete --force leaves no gofer.
//
// RUNSC names the runsc binary (default <repo>/bin/runsc; `make test` sets it).
package oci
