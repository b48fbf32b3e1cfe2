package loader

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// hostInterp is the host's dynamic linker, the PT_INTERP of what gcc builds here.
const hostInterp = "/lib64/ld-linux-x86-64.so.2"

// interpOf returns the PT_INTERP string of the ELF file at path ("" if none).
func interpOf(t *testing.T, path string) string {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			return strings.TrimRight(string(b), "\x00")
		}
	}
	return ""
}

// fakeOpener serves interpreter paths from a map of contents (or from the host for paths
// mapped to nil), and records what it opened and closed.
type fakeOpener struct {
	files  map[string][]byte
	opened []string
	open   int // files opened and not yet closed
}

type closingReader struct {
	io.ReaderAt
	o *fakeOpener
}

func (c closingReader) Close() error { c.o.open--; return nil }

func (o *fakeOpener) Open(path string) (io.ReaderAt, error) {
	o.opened = append(o.opened, path)
	b, ok := o.files[path]
	if !ok {
		// What the VFS returns for a missing file.
		return nil, &os.PathError{Op: "open", Path: path, Err: unix.ENOENT}
	}
	if b == nil {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	o.open++
	return closingReader{bytes.NewReader(b), o}, nil
}

func requireHostInterp(t *testing.T, prog string) {
	t.Helper()
	if _, err := os.Stat(hostInterp); err != nil {
		t.Skipf("no %s: %v", hostInterp, err)
	}
	if got := interpOf(t, prog); got != hostInterp {
		t.Skipf("gcc made a program with PT_INTERP %q, not %s", got, hostInterp)
	}
}

func TestLoadDynamic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		typ   elf.Type
	}{
		{"PIE", []string{"-pie"}, elf.ET_DYN},
		{"non-PIE", []string{"-no-pie"}, elf.ET_EXEC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := buildC(t, tc.flags...)
			requireHostInterp(t, prog)
			o := &fakeOpener{files: map[string][]byte{hostInterp: nil}}
			m, res := loadFile(t, prog, Args{Argv: []string{"x"}, OpenInterp: o.Open})

			pf, err := elf.Open(prog)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			inf, err := elf.Open(hostInterp)
			if err != nil {
				t.Fatal(err)
			}
			defer inf.Close()
			if pf.Type != tc.typ || inf.Type != elf.ET_DYN {
				t.Fatalf("program %v, interpreter %v", pf.Type, inf.Type)
			}

			if len(o.opened) != 1 || o.opened[0] != hostInterp || o.open != 0 {
				t.Errorf("opened %q, %d left open; want %s once, closed", o.opened, o.open, hostInterp)
			}
			if tc.typ == elf.ET_EXEC && res.Bias != 0 || tc.typ == elf.ET_DYN && (res.Bias == 0 || res.Bias%linux.PageSize != 0) {
				t.Errorf("program bias %#x", res.Bias)
			}
			if res.InterpBase == 0 || res.InterpBase%linux.PageSize != 0 || res.Interp != hostInterp {
				t.Fatalf("interpreter %q at %#x", res.Interp, res.InterpBase)
			}
			// Just below the mmap base, as mmap(NULL, ...) of its whole image would put it.
			if end := checkImage(t, m, hostInterp, res.InterpBase); end > testLayout.MmapBase || testLayout.MmapBase-end > 1<<20 {
				t.Errorf("interpreter ends at %#x, want just below the mmap base %#x", end, testLayout.MmapBase)
			}
			checkSegments(t, m, prog, res.Bias) // the break follows the program, not the interpreter
			checkPhdr(t, m, res, prog)

			if want := uintptr(inf.Entry) + res.InterpBase; res.Entry != want {
				t.Errorf("entry %#x, want the interpreter's %#x", res.Entry, want)
			}
			if want := uintptr(pf.Entry) + res.Bias; res.ProgramEntry != want {
				t.Errorf("program entry %#x, want %#x", res.ProgramEntry, want)
			}
			aux := auxvOf(res)
			if aux[linux.AT_BASE] != uint64(res.InterpBase) {
				t.Errorf("AT_BASE %#x, want %#x", aux[linux.AT_BASE], res.InterpBase)
			}
			if aux[linux.AT_ENTRY] != uint64(res.ProgramEntry) {
				t.Errorf("AT_ENTRY %#x, want %#x", aux[linux.AT_ENTRY], res.ProgramEntry)
			}
			if aux[linux.AT_PHDR] != uint64(res.Phdr) || aux[linux.AT_PHNUM] != uint64(len(pf.Progs)) {
				t.Errorf("AT_PHDR %#x AT_PHNUM %d, want the program's %#x and %d",
					aux[linux.AT_PHDR], aux[linux.AT_PHNUM], res.Phdr, len(pf.Progs))
			}
			if p, ok := m.permsAt(res.Entry); !ok || !p.Execute {
				t.Errorf("entry %#x is not executable (%v)", res.Entry, p)
			}
		})
	}
}

func TestLoadDynamicInterpreterErrors(t *testing.T) {
	prog := buildC(t, "-pie")
	requireHostInterp(t, prog)
	ld, err := os.ReadFile(hostInterp)
	if err != nil {
		t.Fatal(err)
	}
	notELF := []byte("#!/bin/sh\nexit 0\n")
	static, err := os.ReadFile(buildC(t, "-static-pie"))
	if err != nil {
		t.Fatal(err)
	}
	badMachine := bytes.Clone(ld)
	badMachine[18] = byte(elf.EM_AARCH64)

	for _, tc := range []struct {
		name   string
		interp []byte // absent from the opener when nil
		errno  unix.Errno
		want   string
	}{
		{"missing", nil, unix.ENOENT, "opening the interpreter " + hostInterp + ": no such file or directory"},
		{"truncated header", ld[:40], unix.ELIBBAD, "bad interpreter " + hostInterp + ": truncated ELF header"},
		{"truncated program headers", ld[:ehdrSize+10], unix.ELIBBAD, "truncated program headers"},
		{"truncated segments", ld[:4096], unix.ELIBBAD, "extends past the end of the file"},
		{"not ELF", notELF, unix.ELIBBAD, "bad interpreter " + hostInterp + ": scripts are not supported"},
		{"wrong machine", badMachine, unix.ELIBBAD, "not an x86-64 executable"},
		{"static-pie interpreter loads", static, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &fakeOpener{files: map[string][]byte{}}
			if tc.interp != nil {
				o.files[hostInterp] = tc.interp
			}
			f, err := os.Open(prog)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m := newFakeMemory()
			_, err = Load(m, Args{File: f, Path: "prog", Argv: []string{"prog"}, OpenInterp: o.Open})
			if o.open != 0 {
				t.Errorf("%d interpreter files left open", o.open)
			}
			if tc.errno == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var le *Error
			if !errors.Is(err, tc.errno) || !errors.As(err, &le) {
				t.Fatalf("Load: %v (%T), want an *Error with %v", err, err, tc.errno)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "prog: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want prog: ...%s...", msg, tc.want)
			}
			if m.mmaps != 0 {
				t.Errorf("memory touched (%d MMap calls) before the interpreter was validated", m.mmaps)
			}
		})
	}
}

func TestBadPTInterp(t *testing.T) {
	rx := elf.PF_R | elf.PF_X
	withInterp := func(s string, size uint64) []byte {
		b := buildELF(elf.ET_EXEC, 0x400000, []tprog{
			{typ: elf.PT_INTERP, off: 0x100, filesz: size},
			{typ: elf.PT_LOAD, flags: rx, off: 0, vaddr: 0x400000, filesz: 0x200, memsz: 0x200},
		}, 0x200)
		copy(b[0x100:], s)
		return b
	}
	checkNoExec(t, withInterp("/", 1), "one byte", "bad PT_INTERP size 1")
	checkNoExec(t, withInterp("/lib/ld.so", 10), "no NUL", "PT_INTERP is not NUL-terminated")
	checkNoExec(t, withInterp("/lib/ld.so\x00", 0x200), "past EOF", "PT_INTERP extends past the end of the file")
	checkNoExec(t, withInterp("/lib/ld.so\x00", unix.PathMax+1), "too long", "bad PT_INTERP size 4097")

	// The path is what precedes the first NUL, and the opener gets exactly that.
	o := &fakeOpener{}
	_, err := Load(newFakeMemory(), Args{File: bytes.NewReader(withInterp("/lib/ld.so\x00junk\x00", 16)), Path: "p", OpenInterp: o.Open})
	if !errors.Is(err, unix.ENOENT) || len(o.opened) != 1 || o.opened[0] != "/lib/ld.so" {
		t.Errorf("Load: %v; opened %q", err, o.opened)
	}
}

func TestInterpreterOverlappingProgramRefused(t *testing.T) {
	rx := elf.PF_R | elf.PF_X
	prog := buildELF(elf.ET_EXEC, 0x400000, []tprog{
		{typ: elf.PT_INTERP, off: 0x100, filesz: 7},
		{typ: elf.PT_LOAD, flags: rx, off: 0, vaddr: 0x400000, filesz: 0x200, memsz: 0x200},
	}, 0x200)
	copy(prog[0x100:], "/ld.so\x00")
	interp := buildELF(elf.ET_EXEC, 0x400100, []tprog{
		{typ: elf.PT_LOAD, flags: rx, off: 0, vaddr: 0x400000, filesz: 0x200, memsz: 0x200},
	}, 0x200)
	o := &fakeOpener{files: map[string][]byte{"/ld.so": interp}}
	_, err := Load(newFakeMemory(), Args{File: bytes.NewReader(prog), Path: "p", OpenInterp: o.Open})
	if !errors.Is(err, unix.ELIBBAD) || !strings.Contains(err.Error(), "overlap the program") {
		t.Errorf("Load: %v, want ELIBBAD: ...overlap the program...", err)
	}
}

func TestParseScript(t *testing.T) {
	long := "#!/bin/sh " + strings.Repeat("a", 300) // no newline within 256 bytes
	for _, tc := range []struct {
		name, head  string
		interp, arg string
		bad         string // the refusal's reason, if refused
	}{
		{"plain", "#!/bin/sh\necho hi\n", "/bin/sh", "", ""},
		{"no newline", "#!/bin/sh", "/bin/sh", "", ""},
		{"spaces", "#!  /bin/sh  \t\n", "/bin/sh", "", ""},
		{"argument", "#!/usr/bin/env python3\n", "/usr/bin/env", "python3", ""},
		{"one argument with spaces", "#! /bin/prog -a -b  c \n", "/bin/prog", "-a -b  c", ""},
		{"tab separator", "#!/bin/prog\t-x\n", "/bin/prog", "-x", ""},
		{"NUL ends the path", "#!/bin/sh\x00 -x\n", "/bin/sh", "", ""},
		{"CR is part of the line", "#!/bin/sh\r\n", "/bin/sh\r", "", ""},
		{"argument cut at 255 bytes", long, "/bin/sh", strings.Repeat("a", 255-10), ""},
		{"interpreter too long", "#!/" + strings.Repeat("x", 300), "", "", "#! line too long"},
		{"interpreter fills the buffer", "#!" + strings.Repeat("x", 254) + " arg", "", "", "#! line too long"},
		{"empty", "#!\n", "", "", "no interpreter"},
		{"only spaces", "#!   \n", "", "", "no interpreter"},
		{"only spaces, no newline", "#!" + strings.Repeat(" ", 300), "", "", "no interpreter"},
		{"not a script", "\x7fELF", "", "", "not a #! script"},
		{"one byte", "#", "", "", "not a #! script"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := ParseScript("s", []byte(tc.head))
			if tc.bad != "" {
				if !errors.Is(err, unix.ENOEXEC) || !strings.Contains(err.Error(), tc.bad) {
					t.Errorf("ParseScript: %+v, %v; want ENOEXEC %q", sc, err, tc.bad)
				}
				return
			}
			if err != nil || sc.Interp != tc.interp || sc.Arg != tc.arg {
				t.Errorf("ParseScript: %q %q %v; want %q %q", sc.Interp, sc.Arg, err, tc.interp, tc.arg)
			}
		})
	}
}
