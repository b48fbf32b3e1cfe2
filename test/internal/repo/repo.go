// Package repo locates, for the tests and the benchmarks, the repository they run in and
// the runsc binary built there.
package repo

import (
	"errors"
	"os"
	"path/filepath"
)

// Root returns the directory holding go.mod at or above the working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Runsc returns the absolute path of the runsc binary to run: $RUNSC, or the repository's
// bin/runsc. It does not check that the file exists.
func Runsc() (string, error) {
	if p := os.Getenv("RUNSC"); p != "" {
		return filepath.Abs(p)
	}
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin", "runsc"), nil
}
