package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
)

const testProgram = `
#include <stdio.h>
char big[1 << 20];
int data[64] = {1, 2, 3};
int main(int argc, char **argv) {
	big[argc] = 1;
	printf("%d %s %d\n", argc, argv[0], data[1]);
	return 0;
}
`

// buildC compiles testProgram with gcc and the given flags and returns the binary's path.
func buildC(t testing.TB, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "x.c")
	if err := os.WriteFile(src, []byte(testProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x")
	args := append(append([]string{}, flags...), "-o", out, src)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// fixedRandom is an AT_RANDOM source with known bytes.
type fixedRandom struct{}

func (fixedRandom) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(0xa0 + i)
	}
	return len(b), nil
}

func loadFile(t *testing.T, path string, a Args) (*fakeMemory, Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a.File = f
	if a.Path == "" {
		a.Path = path
	}
	m := newFakeMemory()
	res, err := Load(m, a)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return m, res
}

// checkSegments checks that every PT_LOAD of the file at path is in m at bias: file bytes,
// zeroed bss, and page permissions (the union over segments sharing a page).
func checkSegments(t *testing.T, m *fakeMemory, path string, bias uintptr) {
	t.Helper()
	end := checkImage(t, m, path, bias)
	if brk, _ := linux.PageRoundUp(end); m.brk != brk || m.brkSet != 1 {
		t.Errorf("brk start %#x (set %d times), want %#x once", m.brk, m.brkSet, brk)
	}
}

// checkImage checks the PT_LOADs of the file at path as checkSegments does, but not the
// break, and returns the end of the highest segment.
func checkImage(t *testing.T, m *fakeMemory, path string, bias uintptr) uintptr {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	want := map[uintptr]platform.AccessType{} // page -> perms
	var end uintptr
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		addr := uintptr(p.Vaddr) + bias
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			t.Fatal(err)
		}
		if got := m.read(addr, len(data)); !bytes.Equal(got, data) {
			t.Errorf("segment at %#x: memory differs from the file", addr)
		}
		bss := min(p.Memsz-p.Filesz, 1<<16)
		if got := m.read(addr+uintptr(p.Filesz), int(bss)); !bytes.Equal(got, make([]byte, bss)) {
			t.Errorf("segment at %#x: bss is not zero", addr)
		}
		for pg := linux.PageRoundDown(addr); pg < addr+uintptr(p.Memsz); pg += linux.PageSize {
			w := want[pg]
			pp := permsOf(p.Flags)
			want[pg] = platform.AccessType{Read: w.Read || pp.Read, Write: w.Write || pp.Write, Execute: w.Execute || pp.Execute}
		}
		end = max(end, addr+uintptr(p.Memsz))
	}
	for pg, w := range want {
		if got, ok := m.permsAt(pg); !ok || got != w {
			t.Errorf("page %#x: perms %v (mapped %v), want %v", pg, got, ok, w)
		}
	}
	return end
}

func TestLoadStatic(t *testing.T) {
	path := buildC(t, "-static", "-no-pie")
	m, res := loadFile(t, path, Args{Argv: []string{"x"}, Random: fixedRandom{}})
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Type != elf.ET_EXEC {
		t.Fatalf("gcc -static -no-pie made %v", ef.Type)
	}
	if res.Entry != uintptr(ef.Entry) || res.Bias != 0 {
		t.Errorf("entry %#x bias %#x, want %#x and 0", res.Entry, res.Bias, ef.Entry)
	}
	checkSegments(t, m, path, 0)
	checkPhdr(t, m, res, path)
	if m.brk != res.BrkStart {
		t.Errorf("Result.BrkStart %#x, SetBrkStart %#x", res.BrkStart, m.brk)
	}
	if p, _ := m.permsAt(res.Stack); p != platform.ReadWrite || res.ExecStack {
		t.Errorf("stack perms %v ExecStack %v, want rw- false", p, res.ExecStack)
	}
	if m.copyOuts > 1+len(ef.Progs) {
		t.Errorf("%d CopyOut calls; want one per segment and one for the stack", m.copyOuts)
	}
}

// checkPhdr checks that AT_PHDR points at a copy of the file's program headers.
func checkPhdr(t *testing.T, m *fakeMemory, res Result, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	phoff := binary.LittleEndian.Uint64(b[32:])
	phnum := int(binary.LittleEndian.Uint16(b[56:]))
	if res.PhNum != phnum || res.Phdr == 0 {
		t.Fatalf("Phdr %#x PhNum %d, want nonzero and %d", res.Phdr, res.PhNum, phnum)
	}
	if got := m.read(res.Phdr, phnum*phdrSize); !bytes.Equal(got, b[phoff:phoff+uint64(phnum*phdrSize)]) {
		t.Errorf("memory at AT_PHDR %#x is not the program header table", res.Phdr)
	}
}

func TestLoadStaticPIE(t *testing.T) {
	path := buildC(t, "-static-pie")
	m, res := loadFile(t, path, Args{Argv: []string{"x"}})
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if ef.Type != elf.ET_DYN {
		t.Fatalf("gcc -static-pie made %v", ef.Type)
	}
	if res.Bias == 0 || res.Bias%linux.PageSize != 0 {
		t.Fatalf("bias %#x, want a nonzero page-aligned bias", res.Bias)
	}
	if base := testLayout.MaxAddr / 3 * 2; res.Bias > base || res.Bias < base-(1<<30) {
		t.Errorf("bias %#x, want just below 2/3 of MaxAddr (%#x)", res.Bias, base)
	}
	if res.Entry != uintptr(ef.Entry)+res.Bias {
		t.Errorf("entry %#x, want %#x+%#x", res.Entry, ef.Entry, res.Bias)
	}
	checkSegments(t, m, path, res.Bias)
	checkPhdr(t, m, res, path)
	if got := auxvOf(res)[linux.AT_ENTRY]; got != uint64(res.Entry) {
		t.Errorf("AT_ENTRY %#x, want %#x", got, res.Entry)
	}
}

func auxvOf(res Result) map[uint64]uint64 {
	a := map[uint64]uint64{}
	for _, e := range res.Auxv {
		a[e.Key] = e.Value
	}
	return a
}

// cString reads a NUL-terminated string at addr.
func cString(m *fakeMemory, addr uintptr) string {
	var s []byte
	for {
		c := m.read(addr, 1)[0]
		if c == 0 {
			return string(s)
		}
		s = append(s, c)
		addr++
	}
}

func TestInitialStack(t *testing.T) {
	argv := []string{"prog", "-x", "", "arg with spaces"}
	envv := []string{"HOME=/root", "PATH=/bin:/usr/bin"}
	for _, nenv := range []int{0, 1, 2} { // vary the parity of the word count
		m := newFakeMemory()
		res, err := Load(m, Args{
			File: bytes.NewReader(tinyExit()), Path: "/bin/prog",
			Argv: argv, Envv: envv[:nenv],
			UID: 1, EUID: 2, GID: 3, EGID: 4, Random: fixedRandom{},
		})
		if err != nil {
			t.Fatal(err)
		}
		sp := res.Stack
		if sp%16 != 0 {
			t.Errorf("rsp %#x is not 16-byte aligned", sp)
		}
		if sp < res.StackStart || sp >= res.StackEnd || res.StackEnd != testLayout.MaxAddr-linux.PageSize ||
			res.StackEnd-res.StackStart != StackSize {
			t.Errorf("stack [%#x, %#x) sp %#x", res.StackStart, res.StackEnd, sp)
		}
		word := func(i int) uint64 { return binary.LittleEndian.Uint64(m.read(sp+uintptr(8*i), 8)) }
		i := 0
		if argc := word(i); argc != uint64(len(argv)) {
			t.Fatalf("argc %d", argc)
		}
		i++
		for _, want := range argv {
			if got := cString(m, uintptr(word(i))); got != want {
				t.Errorf("argv[%d] = %q, want %q", i-1, got, want)
			}
			i++
		}
		if word(i) != 0 {
			t.Fatalf("argv not NULL-terminated")
		}
		i++
		for _, want := range envv[:nenv] {
			if got := cString(m, uintptr(word(i))); got != want {
				t.Errorf("envp = %q, want %q", got, want)
			}
			i++
		}
		if word(i) != 0 {
			t.Fatalf("envp not NULL-terminated")
		}
		i++
		var keys []uint64
		aux := map[uint64]uint64{}
		for ; word(i) != linux.AT_NULL; i += 2 {
			keys = append(keys, word(i))
			aux[word(i)] = word(i + 1)
		}
		if len(keys) != len(res.Auxv) {
			t.Errorf("auxv in memory has %d entries, Result.Auxv %d", len(keys), len(res.Auxv))
		}
		for k, v := range auxvOf(res) {
			if aux[k] != v {
				t.Errorf("auxv[%d] = %#x in memory, %#x in Result", k, aux[k], v)
			}
		}
		want := map[uint64]uint64{
			linux.AT_PHDR: 0x400000 + ehdrSize, linux.AT_PHENT: phdrSize, linux.AT_PHNUM: 2,
			linux.AT_PAGESZ: 4096, linux.AT_BASE: 0, linux.AT_FLAGS: 0,
			linux.AT_ENTRY: 0x400000 + ehdrSize + 2*phdrSize,
			linux.AT_UID:   1, linux.AT_EUID: 2, linux.AT_GID: 3, linux.AT_EGID: 4,
			linux.AT_SECURE: 0, linux.AT_HWCAP2: 0, linux.AT_CLKTCK: 100, linux.AT_MINSIGSTKSZ: minSigStkSz,
		}
		for k, v := range want {
			if got, ok := aux[k]; !ok || got != v {
				t.Errorf("auxv[%d] = %#x (present %v), want %#x", k, got, ok, v)
			}
		}
		if _, ok := aux[linux.AT_SYSINFO_EHDR]; ok {
			t.Errorf("AT_SYSINFO_EHDR present without a vDSO")
		}
		if h, ok := aux[linux.AT_HWCAP]; !ok || h&(1<<25|1<<26) != 1<<25|1<<26 { // SSE, SSE2
			t.Errorf("AT_HWCAP %#x lacks SSE/SSE2", h)
		}
		if got := m.read(uintptr(aux[linux.AT_RANDOM]), 16); !bytes.Equal(got, []byte{
			0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}) {
			t.Errorf("AT_RANDOM bytes %x", got)
		}
		if got := cString(m, uintptr(aux[linux.AT_PLATFORM])); got != "x86_64" {
			t.Errorf("AT_PLATFORM %q", got)
		}
		if got := cString(m, uintptr(aux[linux.AT_EXECFN])); got != "/bin/prog" {
			t.Errorf("AT_EXECFN %q", got)
		}
		if got := string(m.read(res.ArgStart, int(res.ArgEnd-res.ArgStart))); got != strings.Join(argv, "\x00")+"\x00" {
			t.Errorf("argv area %q", got)
		}
		wantEnv := ""
		for _, e := range envv[:nenv] {
			wantEnv += e + "\x00"
		}
		if got := string(m.read(res.EnvStart, int(res.EnvEnd-res.EnvStart))); got != wantEnv {
			t.Errorf("envp area %q, want %q", got, wantEnv)
		}
		// Everything between the pointers and the top is in one CopyOut with the segments.
		if m.copyOuts != 2 {
			t.Errorf("%d CopyOut calls, want 2", m.copyOuts)
		}
	}
}

func TestEmptyArgvGetsEmptyArgv0(t *testing.T) {
	m := newFakeMemory()
	res, err := Load(m, Args{File: bytes.NewReader(tinyExit()), Path: "p"})
	if err != nil {
		t.Fatal(err)
	}
	argc := binary.LittleEndian.Uint64(m.read(res.Stack, 8))
	argv0 := binary.LittleEndian.Uint64(m.read(res.Stack+8, 8))
	if argc != 1 || argv0 == 0 || cString(m, uintptr(argv0)) != "" {
		t.Errorf("argc %d argv[0] %#x, want 1 and \"\"", argc, argv0)
	}
}

func TestArgumentLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
		envv []string
	}{
		{"one string too long", []string{"x", strings.Repeat("a", MaxArgStrLen)}, nil},
		{"too many bytes", []string{"x"}, func() []string {
			var e []string
			for i := 0; i < 20; i++ {
				e = append(e, strings.Repeat("e", MaxArgStrLen-1))
			}
			return e
		}()},
		{"too many pointers", make([]string, MaxArgBytes/9+1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMemory()
			_, err := Load(m, Args{File: bytes.NewReader(tinyExit()), Path: "p", Argv: tc.argv, Envv: tc.envv})
			if !errors.Is(err, unix.E2BIG) {
				t.Fatalf("Load: %v, want E2BIG", err)
			}
			if m.mmaps != 0 {
				t.Errorf("memory was touched before the E2BIG check")
			}
		})
	}
	// Just under the limit loads.
	m := newFakeMemory()
	if _, err := Load(m, Args{File: bytes.NewReader(tinyExit()), Path: "p",
		Argv: []string{strings.Repeat("a", MaxArgStrLen-1)}}); err != nil {
		t.Errorf("a %d-byte argument: %v", MaxArgStrLen-1, err)
	}
}

func TestSharedPageGetsUnionOfPerms(t *testing.T) {
	// Text [0x400000, 0x401800) r-x, data [0x401800, 0x401900) rw- with bss to 0x404800:
	// page 0x401000 holds both.
	b := buildELF(elf.ET_EXEC, 0x400100, []tprog{
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: 0x400000, filesz: 0x1800, memsz: 0x1800},
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: 0x1800, vaddr: 0x401800, filesz: 0x100, memsz: 0x3000},
		{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W | elf.PF_X},
	}, 0x2000)
	m := newFakeMemory()
	res, err := Load(m, Args{File: bytes.NewReader(b), Path: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		page uintptr
		want platform.AccessType
	}{
		{0x400000, platform.AccessType{Read: true, Execute: true}},
		{0x401000, platform.AnyAccess},
		{0x402000, platform.ReadWrite},
		{0x404000, platform.ReadWrite},
	} {
		if got, ok := m.permsAt(c.page); !ok || got != c.want {
			t.Errorf("page %#x: %v (mapped %v), want %v", c.page, got, ok, c.want)
		}
	}
	if _, ok := m.permsAt(0x405000); ok {
		t.Errorf("page 0x405000 mapped")
	}
	if !bytes.Equal(m.read(0x400000, 0x1900), b[:0x1900]) {
		t.Errorf("segment bytes differ from the file")
	}
	if !bytes.Equal(m.read(0x401900, 0x2f00), make([]byte, 0x2f00)) {
		t.Errorf("bss not zero")
	}
	if m.brk != 0x405000 {
		t.Errorf("brk %#x, want 0x405000", m.brk)
	}
	if p, _ := m.permsAt(res.Stack); p != platform.AnyAccess || !res.ExecStack {
		t.Errorf("PT_GNU_STACK PF_X: stack %v ExecStack %v", p, res.ExecStack)
	}
	if m.mmaps != 2 { // one for both segments, one for the stack
		t.Errorf("%d MMap calls, want 2", m.mmaps)
	}
}

func TestBadExecutables(t *testing.T) {
	real := tinyExit()
	elf32 := make([]byte, 52)
	copy(elf32, elf.ELFMAG)
	elf32[elf.EI_CLASS], elf32[elf.EI_DATA], elf32[elf.EI_VERSION] = byte(elf.ELFCLASS32), byte(elf.ELFDATA2LSB), 1
	binary.LittleEndian.PutUint16(elf32[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(elf32[18:], uint16(elf.EM_386))
	withHeader := func(off int, v uint16) []byte {
		b := tinyExit()
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	load := func(flags elf.ProgFlag, off, vaddr, filesz, memsz uint64) tprog {
		return tprog{typ: elf.PT_LOAD, flags: flags, off: off, vaddr: vaddr, filesz: filesz, memsz: memsz}
	}
	rx := elf.PF_R | elf.PF_X

	cases := []struct {
		name, want string
		file       []byte
	}{
		{"empty file", "not an ELF file", nil},
		{"text file", "not an ELF file", []byte("hello world\n")},
		{"script", "scripts are not supported yet", []byte("#!/bin/sh\necho hi\n")},
		{"32-bit", "32-bit ELF is not supported", elf32},
		{"bad class", "invalid ELF class", func() []byte { b := tinyExit(); b[elf.EI_CLASS] = 7; return b }()},
		{"big endian", "big-endian ELF is not supported",
			func() []byte { b := tinyExit(); b[elf.EI_DATA] = byte(elf.ELFDATA2MSB); return b }()},
		{"truncated ident", "truncated ELF header", real[:10]},
		{"truncated header", "truncated ELF header", real[:40]},
		{"aarch64", "not an x86-64 executable (machine EM_AARCH64)", withHeader(18, uint16(elf.EM_AARCH64))},
		{"relocatable", "relocatable object file", withHeader(16, uint16(elf.ET_REL))},
		{"core", "core dump", withHeader(16, uint16(elf.ET_CORE))},
		{"bad phentsize", "bad program header entry size 32", withHeader(54, 32)},
		{"no phdrs", "no program headers", withHeader(56, 0)},
		{"too many phdrs", "too many program headers (2000)", withHeader(56, 2000)},
		{"truncated phdrs", "truncated program headers", real[:ehdrSize+phdrSize+10]},
		{"interp", "dynamically linked (PT_INTERP /lib/ld.so) and there is no way to open the interpreter",
			func() []byte {
				b := buildELF(elf.ET_EXEC, 0x400000, []tprog{
					{typ: elf.PT_INTERP, off: 0x100, filesz: 11},
					load(rx, 0, 0x400000, 0x200, 0x200),
				}, 0x200)
				copy(b[0x100:], "/lib/ld.so\x00")
				return b
			}()},
		{"shared object", "shared object without entry",
			buildELF(elf.ET_DYN, 0, []tprog{load(rx, 0, 0, 0x200, 0x200)}, 0x200)},
		{"no PT_LOAD", "no loadable segments",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{{typ: elf.PT_GNU_STACK}}, 0x200)},
		{"filesz > memsz", "segment 0: file size 0x300 exceeds memory size 0x200",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{load(rx, 0, 0x400000, 0x300, 0x200)}, 0x300)},
		{"overlap", "segments 1 and 0 overlap",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{
				load(rx, 0x1000, 0x401000, 0x100, 0x2000),
				load(rx, 0, 0x400000, 0x100, 0x1100),
			}, 0x2000)},
		{"past EOF", "segment 0 extends past the end of the file",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{load(rx, 0, 0x400000, 0x5000, 0x5000)}, 0x200)},
		{"offset overflow", "segment 0 extends past the end of the file",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{load(rx, ^uint64(0)-0xfff, 0x400000, 0x2000, 0x2000)}, 0x200)},
		{"incongruent", "differ modulo the page size",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{load(rx, 0x10, 0x400000, 0x100, 0x100)}, 0x200)},
		{"below MinAddr", "segment 0 (0x1000-0x1200) is outside the user address range",
			buildELF(elf.ET_EXEC, 0x1000, []tprog{load(rx, 0, 0x1000, 0x200, 0x200)}, 0x200)},
		{"over the stack", "is outside the user address range",
			buildELF(elf.ET_EXEC, 0x7ffffff00000, []tprog{load(rx, 0, 0x7ffffff00000, 0x200, 0x200)}, 0x200)},
		{"address overflow", "segment 0: address range overflows",
			buildELF(elf.ET_EXEC, 0x400000, []tprog{load(rx, 0, ^uint64(0)-0xfff, 0x200, 0x2000)}, 0x200)},
		{"entry out of range", "entry point 0xffffffff00000000 is outside the user address range",
			buildELF(elf.ET_EXEC, 0xffffffff00000000, []tprog{load(rx, 0, 0x400000, 0x200, 0x200)}, 0x200)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkNoExec(t, tc.file, tc.name, tc.want)
		})
	}
}

// checkNoExec loads file and expects an ENOEXEC *Error "name: ...want...".
func checkNoExec(t *testing.T, file []byte, name, want string) {
	t.Helper()
	m := newFakeMemory()
	_, err := Load(m, Args{File: bytes.NewReader(file), Path: name, Argv: []string{name}})
	if !errors.Is(err, unix.ENOEXEC) {
		t.Fatalf("Load: %v, want ENOEXEC", err)
	}
	var le *Error
	if !errors.As(err, &le) {
		t.Fatalf("Load: %T, want *Error", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+": ") || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("message %q, want one line %q containing %q", msg, name+": ...", want)
	}
	if m.mmaps != 0 {
		t.Errorf("memory touched (%d MMap calls) for a refused file", m.mmaps)
	}
}

func TestDynamicBinaryRefusedWithoutOpenInterp(t *testing.T) {
	paths := []string{"/bin/true"}
	if _, err := exec.LookPath("gcc"); err == nil {
		paths = append(paths, buildC(t, "-pie"), buildC(t, "-no-pie"))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Logf("skipping %s: %v", p, err)
			continue
		}
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var interp string
		for _, pr := range ef.Progs {
			if pr.Type == elf.PT_INTERP {
				buf := make([]byte, pr.Filesz)
				pr.ReadAt(buf, 0)
				interp = strings.TrimRight(string(buf), "\x00")
			}
		}
		if interp == "" {
			t.Logf("%s is not dynamically linked", p)
			continue
		}
		checkNoExec(t, b, p, "dynamically linked (PT_INTERP "+interp+") and there is no way to open the interpreter")
	}
}

func TestPathWithNewlineStaysOneLine(t *testing.T) {
	_, err := Load(newFakeMemory(), Args{File: bytes.NewReader([]byte("text")), Path: "a\nb"})
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q", err)
	}
}

func TestStaticPIEHonorsAlignmentAndPTPhdr(t *testing.T) {
	const phdrs = ehdrSize + 3*phdrSize
	b := buildELF(elf.ET_DYN, 0x1000, []tprog{
		{typ: elf.PT_PHDR, flags: elf.PF_R, off: ehdrSize, vaddr: ehdrSize, filesz: 3 * phdrSize, memsz: 3 * phdrSize},
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: 0, filesz: 0x1100, memsz: 0x1100, align: 0x200000},
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: 0x1100, vaddr: 0x201100, filesz: 0x100, memsz: 0x100, align: 0x200000},
	}, 0x1200)
	m := newFakeMemory()
	res, err := Load(m, Args{File: bytes.NewReader(b), Path: "pie"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bias%0x200000 != 0 || res.Bias == 0 {
		t.Errorf("bias %#x is not a nonzero multiple of p_align 0x200000", res.Bias)
	}
	if res.Phdr != res.Bias+ehdrSize || res.Entry != res.Bias+0x1000 {
		t.Errorf("AT_PHDR %#x entry %#x with bias %#x", res.Phdr, res.Entry, res.Bias)
	}
	if !bytes.Equal(m.read(res.Phdr, phdrs-ehdrSize), b[ehdrSize:phdrs]) {
		t.Errorf("program headers not at AT_PHDR")
	}
	if got := m.read(res.Bias+0x201100, 0x100); !bytes.Equal(got, b[0x1100:0x1200]) {
		t.Errorf("second segment bytes differ")
	}
	if m.brk != res.Bias+0x202000 {
		t.Errorf("brk %#x, want %#x", m.brk, res.Bias+0x202000)
	}
}
