package e2e

// Differential cases of the VFS gaps (issue 3): record locks released by every kind of
// close, extended attributes, hard links and FIFOs through the gofer, mount(2) and
// umount2(2), and hostile paths.
func init() {
	differentialCases = append(differentialCases,
		// Record locks dropped by close of another fd, close_range, execve's
		// close-on-exec closes, exit and SIGKILL (test/c/lockclose.c).
		differentialCase{name: "lock-close", prog: "lockclose"},
	)
}
