package e2e

// Differential cases for the data path: direct I/O between regular files and application
// memory (test/c/rwdirect.c).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "rw-direct", prog: "rwdirect"},
	)
}
