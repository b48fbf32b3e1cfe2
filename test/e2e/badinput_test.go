package e2e

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// elf32 returns a minimal, valid i386 ELF executable that would exit(0)
// through int $0x80: a 64-bit-only runtime must refuse it.
func elf32() []byte {
	const (
		base   = 0x08048000
		ehsize = 52
		phsize = 32
	)
	code := []byte{
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov $1, %eax (exit)
		0x31, 0xdb, // xor %ebx, %ebx
		0xcd, 0x80, // int $0x80
	}
	total := uint32(ehsize + phsize + len(code))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* LSB */, 1 /* EV_CURRENT */, 0})
	b.Write(make([]byte, 8))
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	w(uint16(2))                      // e_type: ET_EXEC
	w(uint16(3))                      // e_machine: EM_386
	w(uint32(1))                      // e_version
	w(uint32(base + ehsize + phsize)) // e_entry
	w(uint32(ehsize))                 // e_phoff
	w(uint32(0))                      // e_shoff
	w(uint32(0))                      // e_flags
	w(uint16(ehsize))                 // e_ehsize
	w(uint16(phsize))                 // e_phentsize
	w(uint16(1))                      // e_phnum
	w(uint16(0))                      // e_shentsize
	w(uint16(0))                      // e_shnum
	w(uint16(0))                      // e_shstrndx
	// Program header: PT_LOAD of the whole file, R+X.
	w(uint32(1))      // p_type
	w(uint32(0))      // p_offset
	w(uint32(base))   // p_vaddr
	w(uint32(base))   // p_paddr
	w(total)          // p_filesz
	w(total)          // p_memsz
	w(uint32(5))      // p_flags: PF_R|PF_X
	w(uint32(0x1000)) // p_align
	b.Write(code)
	return b.Bytes()
}

// TestRunscDoRejectsBadInput checks that runsc do refuses what it cannot run
// with a non-zero status and exactly one line on stderr, and does not crash.
func TestRunscDoRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text")
	if err := os.WriteFile(text, []byte("this is a text file, not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	elf := filepath.Join(dir, "elf32")
	if err := os.WriteFile(elf, elf32(), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path string }{
		{"missing-program", filepath.Join(dir, "does-not-exist")},
		{"directory", dir},
		{"text-file", text},
		{"empty-file", empty},
		{"elf32", elf},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runsc := requireRunsc(t)
			o := run(t, runscArgs(runsc, false, tc.path))
			all := o.stdout + o.stderr
			if o.status == 0 {
				t.Errorf("runsc do %s: exited 0, want a non-zero status", tc.path)
			}
			if strings.Contains(all, "panic") || strings.Contains(all, "goroutine") {
				t.Errorf("runsc do %s: crashed (%s):\n%s", tc.path, o.how, tail(all, 60))
			} else if lines := strings.Count(o.stderr, "\n"); lines != 1 || !strings.HasSuffix(o.stderr, "\n") || strings.TrimSpace(o.stderr) == "" {
				t.Errorf("runsc do %s: want exactly one line on stderr, got %d:\n%s", tc.path, lines, tail(o.stderr, 20))
			}
			if o.stdout != "" {
				t.Errorf("runsc do %s: want nothing on stdout, got:\n%s", tc.path, tail(o.stdout, 20))
			}
			if o.leftover {
				t.Errorf("runsc do %s: processes were still running in its process group after it exited", tc.path)
			}
		})
	}
}
