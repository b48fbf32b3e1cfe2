package vfs

import (
	"io"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

func init() {
	kernel.OpenInterpreter = openInterpreter
}

// openInterpreter implements kernel.OpenInterpreter: a program interpreter is opened as the
// executable itself is (Linux's open_exec), so a missing one is ENOENT and one without
// execute permission EACCES.
func openInterpreter(t *kernel.Task, path string) (io.ReaderAt, func(), error) {
	fd, err := OpenExecutable(t, path)
	if err != nil {
		return nil, nil, err
	}
	return fd, fd.Release, nil
}
