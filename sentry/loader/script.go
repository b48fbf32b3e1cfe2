package loader

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// ScriptBufSize is how much of a file execve(2) looks at to recognize it (BINPRM_BUF_SIZE):
// a "#!" line must fit in it, "#!" included.
const ScriptBufSize = 256

// Script is the interpreter line of a "#!" script.
type Script struct {
	// Interp is the interpreter's path; Arg its optional single argument, which may contain
	// spaces ("" if none: Linux's rules never yield an empty argument).
	Interp, Arg string
}

// ParseScript parses the first line of a "#!" script as Linux's binfmt_script does, given
// the file's first bytes (at least ScriptBufSize of them, or the whole file if shorter; more
// are ignored). Rules: the line is "#!", optional spaces and tabs, the interpreter path (up to
// a space, tab, NUL or the end of the line), then optionally spaces and tabs and one argument:
// everything up to the end of the line with trailing spaces and tabs removed. If the line
// does not end within ScriptBufSize bytes, the interpreter path must still end within them
// (the argument may be cut short, as Linux cuts it). Refusals are an *Error wrapping
// unix.ENOEXEC: not a script, no interpreter, or an interpreter path that does not fit.
//
// The caller runs Interp with argv [Interp, Arg (if any), the script's path, argv[1:]...].
func ParseScript(path string, head []byte) (Script, error) {
	noexec := func(reason string) (Script, error) {
		return Script{}, &Error{Path: path, Reason: reason, Errno: unix.ENOEXEC}
	}
	var buf [ScriptBufSize]byte // zero padded, as Linux's buffer for a short file
	copy(buf[:], head)
	if buf[0] != '#' || buf[1] != '!' {
		return noexec("not a #! script")
	}
	spacetab := func(c byte) bool { return c == ' ' || c == '\t' }
	// nextNonSpacetab and nextTerminator search buf[first:last+1] as Linux's helpers do,
	// returning -1 if nothing is found.
	nextNonSpacetab := func(first, last int) int {
		for ; first <= last; first++ {
			if !spacetab(buf[first]) {
				return first
			}
		}
		return -1
	}
	nextTerminator := func(first, last int) int {
		for ; first <= last; first++ {
			if spacetab(buf[first]) || buf[first] == 0 {
				return first
			}
		}
		return -1
	}
	bufEnd := len(buf) - 1
	end := bytes.IndexByte(buf[:], '\n')
	if end < 0 {
		end = nextNonSpacetab(2, bufEnd)
		if end < 0 {
			return noexec("#! line has no interpreter")
		}
		if nextTerminator(end, bufEnd) < 0 {
			return noexec("#! line too long: the interpreter path does not fit in 256 bytes")
		}
		end = bufEnd
	}
	for end > 2 && spacetab(buf[end-1]) {
		end--
	}
	name := nextNonSpacetab(2, end)
	if name < 0 || name == end {
		return noexec("#! line has no interpreter")
	}
	// The line is buf[name:end]; Linux writes a NUL at end.
	buf[end] = 0
	sc := Script{}
	sep := nextTerminator(name, end)
	if sep >= 0 && buf[sep] != 0 {
		if arg := nextNonSpacetab(sep, end); arg >= 0 {
			sc.Arg = cstring(buf[arg : end+1])
		}
	}
	if sep < 0 {
		sep = end
	}
	sc.Interp = cstring(buf[name:sep])
	return sc, nil
}

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
