package e2e

// capget's probe, errors and sets following the uids (test/c/capget.c).
func init() {
	differentialCases = append(differentialCases, differentialCase{name: "capget", prog: "capget"})
}
