package kernel

import "io"

// OpenInterpreter opens the program interpreter (PT_INTERP) of an executable that t is
// loading, as execve(2) opens it: resolved in t's filesystem context, a regular file with
// execute permission on an exec-allowed mount. Errors are errnos (ENOENT for a missing
// interpreter). release is called once the loader is done with the file.
//
// Package vfs, which imports this one, sets it from its init (registration instead of an
// import cycle). nil: dynamically linked programs are refused with ENOEXEC.
var OpenInterpreter func(t *Task, path string) (f io.ReaderAt, release func(), err error)

// interpOpener returns the loader's Args.OpenInterp for t, or nil if there is none.
func (t *Task) interpOpener() func(string) (io.ReaderAt, error) {
	open := OpenInterpreter
	if open == nil {
		return nil
	}
	return func(path string) (io.ReaderAt, error) {
		f, release, err := open(t, path)
		if err != nil {
			return nil, err
		}
		return releasingFile{f, release}, nil
	}
}

// releasingFile is an interpreter file that the loader closes when it is done.
type releasingFile struct {
	io.ReaderAt
	release func()
}

// Close implements io.Closer.
func (f releasingFile) Close() error {
	if f.release != nil {
		f.release()
	}
	return nil
}
