package loader

import (
	"debug/elf"
	"encoding/binary"
)

// tprog is a program header for buildELF.
type tprog struct {
	typ                              elf.ProgType
	flags                            elf.ProgFlag
	off, vaddr, filesz, memsz, align uint64
}

// buildELF returns an ELF64 x86-64 little-endian file of size bytes with the given type, entry
// and program headers (at offset 64). Bytes past the headers are a recognizable pattern.
func buildELF(typ elf.Type, entry uint64, progs []tprog, size int) []byte {
	phEnd := ehdrSize + phdrSize*len(progs)
	if size < phEnd {
		size = phEnd
	}
	b := make([]byte, size)
	for i := phEnd; i < size; i++ {
		b[i] = byte(i*7 + 1)
	}
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(typ))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], ehdrSize) // e_phoff
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(len(progs)))
	le.PutUint16(b[58:], 64) // e_shentsize
	for i, p := range progs {
		ph := b[ehdrSize+i*phdrSize:]
		le.PutUint32(ph[0:], uint32(p.typ))
		le.PutUint32(ph[4:], uint32(p.flags))
		le.PutUint64(ph[8:], p.off)
		le.PutUint64(ph[16:], p.vaddr)
		le.PutUint64(ph[24:], p.vaddr)
		le.PutUint64(ph[32:], p.filesz)
		le.PutUint64(ph[40:], p.memsz)
		le.PutUint64(ph[48:], p.align)
	}
	return b
}

// tinyExit is a complete static executable: one R+X segment holding the headers and
// "mov $60, %eax; xor %edi, %edi; syscall" (exit(0)).
func tinyExit() []byte {
	code := []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05}
	codeOff := uint64(ehdrSize + 2*phdrSize)
	size := codeOff + uint64(len(code))
	b := buildELF(elf.ET_EXEC, 0x400000+codeOff, []tprog{
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: 0x400000, filesz: size, memsz: size, align: 0x1000},
		{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W},
	}, int(size))
	copy(b[codeOff:], code)
	return b
}
