package e2e

// Privilege state: capget's probe, errors and sets following the uids (test/c/capget.c),
// and the no_new_privs flag (test/c/nonewprivs.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "capget", prog: "capget"},
		differentialCase{name: "no-new-privs", prog: "nonewprivs"},
	)
}
