package e2e

// Robust and PI futexes (test/c/futex_robust.c, futex_pi.c) and inotify (test/c/inotify.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "futex-robust", prog: "futex_robust"},
		differentialCase{name: "futex-pi", prog: "futex_pi"},
	)
}
