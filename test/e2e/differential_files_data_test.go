package e2e

// Differential cases for the data path: direct I/O between regular files and application
// memory (test/c/rwdirect.c); shared file mappings coherent with read/write across
// processes, and zapped by a shrinking ftruncate (test/c/mmapcoherent.c, on the overlay's
// in-memory upper layer; test/oci runs it on a writable gofer bind mount).
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "rw-direct", prog: "rwdirect"},
		differentialCase{name: "mmap-coherent", prog: "mmapcoherent"},
	)
}
