package loader

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// interpreter is a program interpreter (PT_INTERP), opened, validated and placed.
type interpreter struct {
	path string
	file io.ReaderAt
	img  *image
	pl   placement
}

// close closes the interpreter's file if it can be closed.
func (in *interpreter) close() {
	if c, ok := in.file.(io.Closer); ok {
		c.Close()
	}
}

// openInterp opens, parses and places the interpreter of prog (placed at progPl), as Linux's
// load_elf_binary does before it commits to the exec: the errno of opening it (ENOENT for a
// missing one) in an *Error, ELIBBAD for a file that is not a loadable x86-64 ELF.
//
// Preconditions: prog.hasInterp.
func openInterp(a Args, prog *image, progPl placement, layout mm.Layout, limit uintptr) (*interpreter, error) {
	name := prog.interp
	if a.OpenInterp == nil {
		return nil, &Error{
			Path:   a.Path,
			Reason: fmt.Sprintf("dynamically linked (PT_INTERP %s) and there is no way to open the interpreter", oneLine(name)),
			Errno:  unix.ENOEXEC,
		}
	}
	f, err := a.OpenInterp(name)
	if err != nil {
		var errno unix.Errno
		if errors.As(err, &errno) {
			return nil, &Error{Path: a.Path, Reason: fmt.Sprintf("opening the interpreter %s: %v", oneLine(name), errno), Errno: errno}
		}
		return nil, fmt.Errorf("%s: opening the interpreter %s: %w", oneLine(a.Path), oneLine(name), err)
	}
	if f == nil {
		return nil, fmt.Errorf("%s: opening the interpreter %s: OpenInterp returned no file", oneLine(a.Path), oneLine(name))
	}
	in := &interpreter{path: name, file: f}
	// bad turns a refusal of the interpreter file into ELIBBAD, as Linux reports a program
	// whose interpreter is not an ELF file it can load.
	bad := func(err error) error {
		in.close()
		var le *Error
		if errors.As(err, &le) && le.Errno == unix.ENOEXEC {
			return &Error{Path: a.Path, Reason: "bad interpreter " + le.Error(), Errno: unix.ELIBBAD}
		}
		return err
	}
	if in.img, err = parse(f, name); err != nil {
		return nil, bad(err)
	}
	// The interpreter's own PT_INTERP is ignored, as Linux ignores it.
	progLo := uintptr(prog.segs[0].vaddr&^(linux.PageSize-1)) + progPl.bias
	if in.pl, err = placeInterp(in.img, name, layout, limit, progLo, progPl.brk); err != nil {
		return nil, bad(err)
	}
	return in, nil
}
