package e2e

// Capability sets: capset's rules and errors, the bounding and ambient sets, keepcaps,
// the uid-change and execve recomputations, and the permission checks that ask a
// capability (test/c/capset.c); the securebits (test/c/securebits.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "capset", prog: "capset"},
		differentialCase{name: "securebits", prog: "securebits"},
	)
}
