package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// Sizes of the ELF64 structures (ELF spec, "ELF Header" and "Program Header").
const (
	ehdrSize = 64
	phdrSize = 56
	// maxPhdrBytes bounds the program header table, as Linux does.
	maxPhdrBytes = 64 << 10
	// copyChunk bounds the buffer used to copy segment contents.
	copyChunk = 1 << 20
)

// segment is one PT_LOAD with a non-empty memory image.
type segment struct {
	index                        int // in the program header table, for messages
	vaddr, memsz, offset, filesz uint64
	perms                        platform.AccessType
}

// image is a validated executable, before placement.
type image struct {
	typ       elf.Type
	entry     uint64
	phoff     uint64
	phnum     int
	segs      []segment // sorted by vaddr, non-overlapping
	phdrVaddr uint64    // from PT_PHDR, if hasPTPhdr
	hasPTPhdr bool
	execStack bool   // PT_GNU_STACK with PF_X
	interp    string // the PT_INTERP path, if hasInterp
	hasInterp bool
	align     uint64 // largest power-of-two p_align of the PT_LOADs, at least a page
}

// parse reads and validates the ELF and program headers of r. Every refusal is an *Error
// wrapping ENOEXEC; a failing read is returned wrapped as it is.
func parse(r io.ReaderAt, path string) (*image, error) {
	noexec := func(format string, args ...any) error {
		return &Error{Path: path, Reason: fmt.Sprintf(format, args...), Errno: unix.ENOEXEC}
	}

	var eh [ehdrSize]byte
	n, err := readFull(r, eh[:], 0)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the ELF header: %w", oneLine(path), err)
	}
	if n < len(elf.ELFMAG) || string(eh[:len(elf.ELFMAG)]) != elf.ELFMAG {
		if n >= 2 && eh[0] == '#' && eh[1] == '!' {
			return nil, noexec("scripts are not supported yet")
		}
		return nil, noexec("not an ELF file")
	}
	if n < elf.EI_NIDENT {
		return nil, noexec("truncated ELF header")
	}
	switch elf.Class(eh[elf.EI_CLASS]) {
	case elf.ELFCLASS64:
	case elf.ELFCLASS32:
		return nil, noexec("32-bit ELF is not supported")
	default:
		return nil, noexec("invalid ELF class %d", eh[elf.EI_CLASS])
	}
	switch elf.Data(eh[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
	case elf.ELFDATA2MSB:
		return nil, noexec("big-endian ELF is not supported")
	default:
		return nil, noexec("invalid ELF data encoding %d", eh[elf.EI_DATA])
	}
	if n < ehdrSize {
		return nil, noexec("truncated ELF header")
	}
	var h elf.Header64
	if err := binary.Read(bytes.NewReader(eh[:]), binary.LittleEndian, &h); err != nil {
		return nil, noexec("truncated ELF header")
	}
	if m := elf.Machine(h.Machine); m != elf.EM_X86_64 {
		return nil, noexec("not an x86-64 executable (machine %v)", m)
	}
	switch t := elf.Type(h.Type); t {
	case elf.ET_EXEC, elf.ET_DYN:
	case elf.ET_REL:
		return nil, noexec("relocatable object file, not an executable")
	case elf.ET_CORE:
		return nil, noexec("core dump, not an executable")
	default:
		return nil, noexec("unsupported ELF type %v", t)
	}
	if h.Phentsize != phdrSize {
		return nil, noexec("bad program header entry size %d (want %d)", h.Phentsize, phdrSize)
	}
	if h.Phnum == 0 {
		return nil, noexec("no program headers")
	}
	phBytes := int(h.Phnum) * phdrSize
	if phBytes > maxPhdrBytes {
		return nil, noexec("too many program headers (%d)", h.Phnum)
	}
	if h.Phoff > 1<<62 {
		return nil, noexec("truncated program headers")
	}
	ph := make([]byte, phBytes)
	if n, err := readFull(r, ph, int64(h.Phoff)); err != nil {
		return nil, fmt.Errorf("%s: reading the program headers: %w", oneLine(path), err)
	} else if n < phBytes {
		return nil, noexec("truncated program headers")
	}

	img := &image{
		typ:   elf.Type(h.Type),
		entry: h.Entry,
		phoff: h.Phoff,
		phnum: int(h.Phnum),
		align: linux.PageSize,
	}
	interp := -1
	le := binary.LittleEndian
	for i := 0; i < img.phnum; i++ {
		b := ph[i*phdrSize : (i+1)*phdrSize]
		p := elf.Prog64{
			Type:   le.Uint32(b[0:]),
			Flags:  le.Uint32(b[4:]),
			Off:    le.Uint64(b[8:]),
			Vaddr:  le.Uint64(b[16:]),
			Paddr:  le.Uint64(b[24:]),
			Filesz: le.Uint64(b[32:]),
			Memsz:  le.Uint64(b[40:]),
			Align:  le.Uint64(b[48:]),
		}
		switch elf.ProgType(p.Type) {
		case elf.PT_INTERP:
			if interp < 0 {
				interp = i
			}
		case elf.PT_GNU_STACK:
			img.execStack = elf.ProgFlag(p.Flags)&elf.PF_X != 0
		case elf.PT_PHDR:
			if !img.hasPTPhdr {
				img.phdrVaddr, img.hasPTPhdr = p.Vaddr, true
			}
		case elf.PT_LOAD:
			if p.Filesz > p.Memsz {
				return nil, noexec("segment %d: file size %#x exceeds memory size %#x", i, p.Filesz, p.Memsz)
			}
			if p.Off+p.Filesz < p.Off || p.Off+p.Filesz > 1<<62 {
				return nil, noexec("segment %d extends past the end of the file", i)
			}
			if p.Vaddr+p.Memsz < p.Vaddr {
				return nil, noexec("segment %d: address range overflows", i)
			}
			if p.Off%linux.PageSize != p.Vaddr%linux.PageSize {
				return nil, noexec("segment %d: file offset %#x and address %#x differ modulo the page size", i, p.Off, p.Vaddr)
			}
			if p.Align > img.align && p.Align&(p.Align-1) == 0 {
				img.align = p.Align
			}
			if p.Memsz == 0 {
				continue
			}
			img.segs = append(img.segs, segment{
				index:  i,
				vaddr:  p.Vaddr,
				memsz:  p.Memsz,
				offset: p.Off,
				filesz: p.Filesz,
				perms:  permsOf(elf.ProgFlag(p.Flags)),
			})
		}
	}
	if interp >= 0 {
		b := ph[interp*phdrSize:]
		off, size := le.Uint64(b[8:]), le.Uint64(b[32:])
		s, err := readInterp(r, path, off, size)
		if err != nil {
			return nil, err
		}
		img.interp, img.hasInterp = s, true
	}
	if img.typ == elf.ET_DYN && img.entry == 0 {
		return nil, noexec("shared object without entry")
	}
	if len(img.segs) == 0 {
		return nil, noexec("no loadable segments")
	}
	// Find a truncated file now rather than halfway through mapping it.
	for _, s := range img.segs {
		if s.filesz == 0 {
			continue
		}
		var last [1]byte
		if n, err := readFull(r, last[:], int64(s.offset+s.filesz-1)); err != nil {
			return nil, fmt.Errorf("%s: reading segment %d: %w", oneLine(path), s.index, err)
		} else if n != 1 {
			return nil, noexec("segment %d extends past the end of the file", s.index)
		}
	}
	sort.SliceStable(img.segs, func(i, j int) bool { return img.segs[i].vaddr < img.segs[j].vaddr })
	for i := 1; i < len(img.segs); i++ {
		prev, s := img.segs[i-1], img.segs[i]
		if s.vaddr < prev.vaddr+prev.memsz {
			return nil, noexec("segments %d and %d overlap", prev.index, s.index)
		}
	}
	return img, nil
}

// readInterp reads the PT_INTERP string at off: as Linux requires, 2 to PATH_MAX bytes ending
// in a NUL. The path is what precedes the first NUL.
func readInterp(r io.ReaderAt, path string, off, size uint64) (string, error) {
	if size < 2 || size > unix.PathMax || off > 1<<62 {
		return "", &Error{Path: path, Reason: fmt.Sprintf("bad PT_INTERP size %d", size), Errno: unix.ENOEXEC}
	}
	b := make([]byte, size)
	n, err := readFull(r, b, int64(off))
	if err != nil {
		return "", fmt.Errorf("%s: reading PT_INTERP: %w", oneLine(path), err)
	}
	if uint64(n) < size {
		return "", &Error{Path: path, Reason: "PT_INTERP extends past the end of the file", Errno: unix.ENOEXEC}
	}
	if b[size-1] != 0 {
		return "", &Error{Path: path, Reason: "PT_INTERP is not NUL-terminated", Errno: unix.ENOEXEC}
	}
	return string(b[:bytes.IndexByte(b, 0)]), nil
}

// permsOf converts p_flags to access permissions.
func permsOf(f elf.ProgFlag) platform.AccessType {
	return platform.AccessType{Read: f&elf.PF_R != 0, Write: f&elf.PF_W != 0, Execute: f&elf.PF_X != 0}
}

// readFull reads len(b) bytes at off and returns how many it got; reaching the end of the file
// early is not an error (the caller decides what a short read means).
func readFull(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	if n > len(b) || n < 0 {
		return 0, fmt.Errorf("ReadAt returned %d bytes for a %d-byte buffer", n, len(b))
	}
	if err != nil && !errors.Is(err, io.EOF) && n < len(b) {
		return n, err
	}
	return n, nil
}

// placement is where an image goes in a given layout.
type placement struct {
	bias uintptr
	phdr uintptr // AT_PHDR, or 0
	brk  uintptr
}

// place chooses the load bias and checks that every segment and the entry point fit in
// [layout.MinAddr, limit), where limit is the bottom of the stack.
func place(img *image, path string, layout mm.Layout, limit uintptr) (placement, error) {
	var pl placement
	lo := img.segs[0].vaddr
	if img.typ == elf.ET_DYN {
		// Like Linux's ELF_ET_DYN_BASE: 2/3 of the way up, out of the way of the stack and of
		// small ET_EXEC-style addresses, aligned to the segments' largest p_align.
		base := uint64(layout.MaxAddr) / 3 * 2
		align := img.align
		if align > base {
			align = linux.PageSize
		}
		base &^= align - 1
		start := lo &^ (align - 1)
		if start > base {
			return pl, outOfRange(path, img.segs[0])
		}
		pl.bias = uintptr(base - start)
	}
	return placeAt(img, path, layout, limit, pl.bias)
}

// placeInterp places an interpreter as Linux's load_elf_interp does, like an mmap without a
// hint: an ET_DYN interpreter goes just below layout.MmapBase, aligned to its largest
// p_align, where top-down mmap allocation would put it (later mmaps then go below it); an
// ET_EXEC one stays at its addresses. It must not overlap the program's pages [progLo,
// progHi).
func placeInterp(img *image, path string, layout mm.Layout, limit, progLo, progHi uintptr) (placement, error) {
	var bias uintptr
	lo := img.segs[0].vaddr &^ (linux.PageSize - 1)
	if img.typ == elf.ET_DYN {
		top := uint64(layout.MmapBase)
		align := img.align
		if align > top {
			align = linux.PageSize
		}
		start := lo &^ (align - 1)
		last := img.segs[len(img.segs)-1]
		hi := last.vaddr + last.memsz // parse checked that it does not overflow
		size := (hi - start + linux.PageSize - 1) &^ (linux.PageSize - 1)
		if size > top || start > (top-size)&^(align-1) {
			return placement{}, outOfRange(path, img.segs[0])
		}
		bias = uintptr((top-size)&^(align-1) - start)
	}
	pl, err := placeAt(img, path, layout, limit, bias)
	if err != nil {
		return pl, err
	}
	start := uintptr(lo) + bias
	if start < progHi && progLo < pl.brk {
		return pl, &Error{Path: path, Reason: fmt.Sprintf("its pages %#x-%#x overlap the program's %#x-%#x", start, pl.brk, progLo, progHi), Errno: unix.ENOEXEC}
	}
	return pl, nil
}

// placeAt checks that img's segments and entry point, moved by bias, fit in
// [layout.MinAddr, limit), and finds where its program headers and its end are.
func placeAt(img *image, path string, layout mm.Layout, limit, b uintptr) (placement, error) {
	pl := placement{bias: b}
	bias := uint64(b)
	var end uint64
	for _, s := range img.segs {
		start := s.vaddr + bias
		e := start + s.memsz
		if start < s.vaddr || e < start || e > uint64(limit) || start&^(linux.PageSize-1) < uint64(layout.MinAddr) {
			return pl, outOfRange(path, s)
		}
		if e > end {
			end = e
		}
	}
	if entry := img.entry + bias; entry < img.entry || entry >= uint64(layout.MaxAddr) || entry < uint64(layout.MinAddr) {
		return pl, &Error{Path: path, Reason: fmt.Sprintf("entry point %#x is outside the user address range", img.entry), Errno: unix.ENOEXEC}
	}
	brk, _ := linux.PageRoundUp(uintptr(end)) // end <= limit, which is page aligned
	pl.brk = brk

	phSize := uint64(img.phnum) * phdrSize
	switch {
	case img.hasPTPhdr:
		pl.phdr = uintptr(img.phdrVaddr + bias)
	default:
		for _, s := range img.segs {
			if img.phoff >= s.offset && img.phoff+phSize <= s.offset+s.filesz {
				pl.phdr = uintptr(img.phoff - s.offset + s.vaddr + bias)
				break
			}
		}
	}
	return pl, nil
}

func outOfRange(path string, s segment) error {
	return &Error{
		Path:   path,
		Reason: fmt.Sprintf("segment %d (%#x-%#x) is outside the user address range", s.index, s.vaddr, s.vaddr+s.memsz),
		Errno:  unix.ENOEXEC,
	}
}
