// Package loader loads an ELF64 x86-64 executable into a fresh address space and builds the
// initial process stack that the System V x86-64 psABI prescribes (argc, argv, envp, auxv).
// execve(2) and the container's first process use it; Load is the whole API.
//
// Supported: static executables (ET_EXEC), static-PIE (ET_DYN without PT_INTERP), which are
// placed at a fixed load bias about 2/3 of the way up the address space, like Linux's
// ELF_ET_DYN_BASE (there is no address space randomization yet), and dynamically linked
// programs (PT_INTERP, ET_EXEC or PIE): the interpreter, opened through Args.OpenInterp, is
// loaded too, just below the mmap base as Linux's mmap would place it, and the program starts
// at the interpreter's entry with AT_BASE and AT_ENTRY telling it where both are. Anything
// else is refused with an *Error wrapping unix.ENOEXEC whose message names the file and the
// reason (ELIBBAD for a bad interpreter, or the errno of opening it). #! scripts are the
// caller's: ParseScript reads their first line with Linux's rules.
//
// Segments are not mapped from the file: each PT_LOAD gets fresh private anonymous memory into
// which its file bytes are copied, so the loaded image never aliases the file. Only the file's
// program headers are read; section headers are ignored, as Linux ignores them.
//
// Load has no state and takes no locks; the Memory it is given belongs to the caller.
package loader

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vdso"
)

// Memory is what the loader needs from an address space; *mm.MemoryManager implements it.
type Memory interface {
	// MMap creates a mapping; the loader only asks for Fixed private anonymous ones.
	MMap(opts mm.MMapOpts) (uintptr, error)
	// MProtect changes the permissions of mapped pages.
	MProtect(addr, length uintptr, perms platform.AccessType) error
	// CopyOut writes to application memory. The loader writes only to writable mappings.
	CopyOut(addr uintptr, src []byte) (int, error)
	// SetBrkStart sets the initial program break.
	SetBrkStart(addr uintptr)
	// Layout tells where application memory may go.
	Layout() mm.Layout
}

var _ Memory = (*mm.MemoryManager)(nil)

// StackSize is the size of the stack mapping Load creates (Linux's default RLIMIT_STACK).
const StackSize = 8 << 20

// Limits on the argument and environment strings, as Linux enforces them in execve(2).
const (
	// MaxArgStrLen is the longest single argv or envp string, including its NUL
	// (MAX_ARG_STRLEN).
	MaxArgStrLen = 32 * linux.PageSize
	// MaxArgBytes bounds the strings plus their pointers (argv, envp and the path): a quarter
	// of the stack, as Linux allows a quarter of RLIMIT_STACK.
	MaxArgBytes = StackSize / 4
)

// Args describes the program to load.
type Args struct {
	// File is the executable, already opened by the caller (*os.File implements it). Load
	// reads only the ELF header, the program headers and the PT_LOAD contents.
	File io.ReaderAt
	// Path is the name the program was executed as: the AT_EXECFN string, and the file name
	// in error messages.
	Path string
	// Argv and Envv are the argument and environment strings. An empty Argv is replaced by
	// one empty string, as Linux does, so that argv[0] always exists.
	Argv, Envv []string
	// UID, EUID, GID and EGID are reported in the auxiliary vector.
	UID, EUID, GID, EGID uint32
	// Random supplies the 16 AT_RANDOM bytes; nil means crypto/rand.
	Random io.Reader
	// OpenInterp opens the program interpreter named by PT_INTERP, as execve(2) opens it: in
	// the caller's filesystem, a regular file with execute permission. Its errors are returned
	// by Load (in an *Error when they are a unix.Errno: ENOENT for a missing interpreter, as
	// Linux). If the file implements io.Closer, Load closes it before returning. nil: programs
	// with PT_INTERP are refused with ENOEXEC.
	OpenInterp func(path string) (io.ReaderAt, error)
	// VDSO, when set, is mapped into the new image (below the interpreter, in the mmap
	// area) and its address passed as AT_SYSINFO_EHDR. nil: no vDSO, no AT_SYSINFO_EHDR.
	VDSO *vdso.VDSO
}

// AuxEntry is one auxiliary vector entry.
type AuxEntry struct {
	Key, Value uint64
}

// Result describes the loaded program.
type Result struct {
	// Entry is where the first thread starts (rip), load bias included: the interpreter's
	// entry point for a dynamically linked program, the program's otherwise.
	Entry uintptr
	// ProgramEntry is the program's own entry point (AT_ENTRY), load bias included.
	ProgramEntry uintptr
	// Interp is the PT_INTERP path and InterpBase the interpreter's load bias (AT_BASE); ""
	// and 0 for a program without an interpreter.
	Interp     string
	InterpBase uintptr
	// Stack is the initial stack pointer (rsp): it points at argc and is 16-byte aligned.
	Stack uintptr
	// Bias is what was added to every p_vaddr: 0 for ET_EXEC.
	Bias uintptr
	// Phdr, PhNum: where the program headers are in memory (AT_PHDR; 0 if not loaded) and
	// how many there are.
	Phdr  uintptr
	PhNum int
	// BrkStart is the initial program break: the page-rounded end of the highest segment.
	BrkStart uintptr
	// VDSOBase is the vDSO image's address (AT_SYSINFO_EHDR), 0 without one.
	VDSOBase uintptr
	// StackStart and StackEnd bound the stack mapping [StackStart, StackEnd).
	StackStart, StackEnd uintptr
	// ExecStack reports that PT_GNU_STACK asked for an executable stack.
	ExecStack bool
	// ArgStart, ArgEnd, EnvStart and EnvEnd bound the argv and envp strings on the stack (for
	// /proc/pid/cmdline and environ).
	ArgStart, ArgEnd, EnvStart, EnvEnd uintptr
	// Auxv is the auxiliary vector as written, without the AT_NULL terminator (for
	// /proc/pid/auxv).
	Auxv []AuxEntry
}

// Error is a refusal to load: the file is not something Load can run (Errno unix.ENOEXEC),
// its interpreter is not (unix.ELIBBAD) or could not be opened (the errno of
// Args.OpenInterp: ENOENT, EACCES...), or the arguments are too long (unix.E2BIG).
// errors.Is(err, unix.ENOEXEC) works on it.
type Error struct {
	Path   string
	Reason string
	Errno  unix.Errno
}

// Error returns "path: reason" on one line.
func (e *Error) Error() string { return oneLine(e.Path) + ": " + e.Reason }

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

// oneLine quotes s if printing it as is could break the line or hide characters.
func oneLine(s string) string {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Load loads the executable a.File into m and builds the initial stack. m must be a fresh
// address space: Load maps segments with MAP_FIXED semantics over whatever is there.
//
// Errors: *Error wrapping unix.ENOEXEC for a file it cannot run, unix.ELIBBAD for an
// interpreter it cannot run, the errno of opening the interpreter, or unix.E2BIG for argument
// strings beyond Linux's limits — all found before m is touched; otherwise the errors of
// reading the file or of m, wrapped with context. After a failure m may hold partial mappings:
// the caller discards it (execve has no way back once it has replaced the address space).
func Load(m Memory, a Args) (Result, error) {
	if a.File == nil {
		return Result{}, errors.New("loader: Args.File is nil")
	}
	argv := a.Argv
	if len(argv) == 0 {
		argv = []string{""}
	}
	if reason := checkArgLimits(a.Path, argv, a.Envv); reason != "" {
		return Result{}, &Error{Path: a.Path, Reason: reason, Errno: unix.E2BIG}
	}

	img, err := parse(a.File, a.Path)
	if err != nil {
		return Result{}, err
	}
	sl, err := computeStackLayout(m.Layout())
	if err != nil {
		return Result{}, err
	}
	pl, err := place(img, a.Path, m.Layout(), sl.start)
	if err != nil {
		return Result{}, err
	}
	var interp *interpreter
	if img.hasInterp {
		if interp, err = openInterp(a, img, pl, m.Layout(), sl.start); err != nil {
			return Result{}, err
		}
		defer interp.close()
	}

	var random [16]byte
	src := a.Random
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, random[:]); err != nil {
		return Result{}, fmt.Errorf("reading AT_RANDOM bytes: %w", err)
	}

	if err := mapSegments(m, a.File, a.Path, img, pl.bias); err != nil {
		return Result{}, err
	}
	m.SetBrkStart(pl.brk)

	res := Result{
		Entry:        uintptr(img.entry) + pl.bias,
		ProgramEntry: uintptr(img.entry) + pl.bias,
		Bias:         pl.bias,
		Phdr:         pl.phdr,
		PhNum:        img.phnum,
		BrkStart:     pl.brk,
		ExecStack:    img.execStack,
	}
	if interp != nil {
		if err := mapSegments(m, interp.file, interp.path, interp.img, interp.pl.bias); err != nil {
			return Result{}, err
		}
		res.Entry = uintptr(interp.img.entry) + interp.pl.bias
		res.Interp, res.InterpBase = interp.path, interp.pl.bias
	}
	perms := platform.ReadWrite
	if img.execStack {
		perms = platform.AnyAccess
	}
	if _, err := m.MMap(mm.MMapOpts{
		Addr: sl.start, Length: sl.end - sl.start, Perms: perms, Fixed: true, Name: "[stack]",
	}); err != nil {
		return Result{}, fmt.Errorf("mapping the stack at %#x: %w", sl.start, err)
	}
	res.StackStart, res.StackEnd = sl.start, sl.end

	var auxv []AuxEntry
	if a.VDSO != nil {
		if res.VDSOBase, err = a.VDSO.Map(m); err != nil {
			return Result{}, err
		}
		auxv = append(auxv, AuxEntry{linux.AT_SYSINFO_EHDR, uint64(res.VDSOBase)})
	}
	auxv = append(auxv, []AuxEntry{
		{linux.AT_MINSIGSTKSZ, minSigStkSz},
		{linux.AT_HWCAP, hwcap()},
		{linux.AT_PAGESZ, linux.PageSize},
		{linux.AT_CLKTCK, linux.CLOCKS_PER_SEC},
		{linux.AT_PHDR, uint64(res.Phdr)},
		{linux.AT_PHENT, phdrSize},
		{linux.AT_PHNUM, uint64(img.phnum)},
		{linux.AT_BASE, uint64(res.InterpBase)},
		{linux.AT_FLAGS, 0},
		{linux.AT_ENTRY, uint64(res.ProgramEntry)},
		{linux.AT_UID, uint64(a.UID)},
		{linux.AT_EUID, uint64(a.EUID)},
		{linux.AT_GID, uint64(a.GID)},
		{linux.AT_EGID, uint64(a.EGID)},
		{linux.AT_SECURE, 0},
		{linux.AT_RANDOM, 0}, // address filled in by buildStack
		{linux.AT_HWCAP2, 0},
		{linux.AT_EXECFN, 0},   // address filled in by buildStack
		{linux.AT_PLATFORM, 0}, // address filled in by buildStack
	}...)
	st, err := buildStack(sl.top, argv, a.Envv, a.Path, random, auxv)
	if err != nil {
		return Result{}, &Error{Path: a.Path, Reason: err.Error(), Errno: unix.E2BIG}
	}
	if st.sp < sl.start {
		return Result{}, &Error{Path: a.Path, Reason: "argument list too long for the stack", Errno: unix.E2BIG}
	}
	if n, err := m.CopyOut(st.sp, st.block); err != nil || n != len(st.block) {
		if err == nil {
			err = io.ErrShortWrite
		}
		return Result{}, fmt.Errorf("writing the initial stack at %#x: %w", st.sp, err)
	}
	res.Stack = st.sp
	res.ArgStart, res.ArgEnd = st.argStart, st.argEnd
	res.EnvStart, res.EnvEnd = st.envStart, st.envEnd
	res.Auxv = st.auxv
	return res, nil
}

// minSigStkSz is AT_MINSIGSTKSZ: the largest signal frame the sentry builds (it holds the
// host's whole XSAVE area), so the smallest signal stack a handler can run on.
var minSigStkSz = max(2048, uint64(arch.SignalFrameSize(xsaveSize())))

// checkArgLimits applies execve's E2BIG limits and returns why they are exceeded, or "".
func checkArgLimits(path string, argv, envv []string) string {
	total := uint64(len(path) + 1)
	for _, list := range [][]string{argv, envv} {
		for _, s := range list {
			n := uint64(len(s) + 1)
			if n > MaxArgStrLen {
				return fmt.Sprintf("argument list too long (a string of %d bytes exceeds %d)", n, MaxArgStrLen)
			}
			total += n + 8 // the string and its pointer
		}
	}
	if total > MaxArgBytes {
		return fmt.Sprintf("argument list too long (%d bytes of argv and envp exceed %d)", total, MaxArgBytes)
	}
	return ""
}
