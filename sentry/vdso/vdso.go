// Package vdso is the sandbox's virtual dynamic shared object: a small ELF shared library
// (src/vdso.c, built into vdso.so and embedded) mapped into every address space, which
// answers clock_gettime, gettimeofday, time, clock_getres and getcpu without trapping into
// the sentry, from a parameter page ("vvar", src/vvar.h) the sentry keeps current.
//
// A VDSO belongs to one kernel: its memory-file range holds the parameter page followed by
// the image, and it is the mm.Mappable through which every address space maps them: the
// page at [base-4096, base) as "[vvar]" (read-only) and the image at base as "[vdso]"
// (read and execute), both MAP_SHARED with writes denied (listed as private in
// /proc/pid/maps, as Linux's), so one copy serves every process and a fork keeps it. base is the AT_SYSINFO_EHDR the loader passes. The image finds the
// page PC-relative, so the two must stay adjacent: a program that moves one of them with
// mremap loses its fast path (and faults on its next clock read if it moved the image
// alone), as on Linux.
//
// Time (clock.go): one timekeeper per process calibrates the TSC against the host clock and
// writes the parameters into every parameter page and into the sentry's own copy, which
// Now reads, so that the sentry's clock syscalls compute exactly what the vDSO computes.
//
// Rebuilding the image: `make -C sentry/vdso/src`; TestImageIsCurrent checks the committed
// vdso.so against the sources when the local gcc is the one recorded in
// src/gcc-version.
package vdso

import (
	"bytes"
	"debug/elf"
	_ "embed"
	"fmt"
	"unsafe"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// image is the vDSO ELF image.
//
//go:embed vdso.so
var image []byte

// vvarSize is the size of the parameter page's mapping; src/vdso.lds places the page this
// far below the image.
const vvarSize = linux.PageSize

// imageSize is the image's mapping size (whole pages).
var imageSize = (uint64(len(image)) + linux.PageSize - 1) &^ (linux.PageSize - 1)

// VDSO is one kernel's vDSO: the parameter page and the image in its memory file.
type VDSO struct {
	mf *memfile.File
	// off is the memory-file offset of the parameter page; the image follows it. The
	// VDSO holds the range's reference for the memory file's lifetime.
	off uint64
	// mappings is the set of address spaces mapping the pages (mm.Mappable requires one;
	// the vDSO is never truncated, so nothing is ever invalidated through it).
	mappings mm.MappingSet
}

// New allocates the parameter page and a copy of the image in mf, registers the page with
// the timekeeper (which writes it until mf closes) and starts calibration.
func New(mf *memfile.File) (*VDSO, error) {
	if err := checkImage(image); err != nil {
		return nil, err
	}
	off, err := mf.Allocate(vvarSize + imageSize)
	if err != nil {
		return nil, fmt.Errorf("allocating the vDSO: %w", err)
	}
	copy(mf.Slice(off+vvarSize, imageSize), image)
	page := (*params)(unsafe.Pointer(&mf.Slice(off, vvarSize)[0]))
	Start()
	tk.addPage(page)
	mf.OnClose(func() { tk.removePage(page) })
	return &VDSO{mf: mf, off: off}, nil
}

// checkImage checks that the embedded image is an x86-64 ELF shared object, linked at 0,
// whose first page holds its headers (what the loaders of glibc, musl and Go expect).
func checkImage(b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("vdso.so: %w", err)
	}
	if f.Type != elf.ET_DYN || f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("vdso.so: not an x86-64 shared object")
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && (p.Off != 0 || p.Vaddr != 0 || p.Memsz > imageSize) {
			return fmt.Errorf("vdso.so: unexpected PT_LOAD at %#x", p.Vaddr)
		}
	}
	return nil
}

// Mapper is what Map needs of an address space; *mm.MemoryManager implements it.
type Mapper interface {
	MMap(opts mm.MMapOpts) (uintptr, error)
}

// Map maps the parameter page and the image into m at an address m chooses (the top-down
// mmap area) and returns the image's address, for AT_SYSINFO_EHDR.
func (v *VDSO) Map(m Mapper) (uintptr, error) {
	addr, err := m.MMap(mm.MMapOpts{
		Length: uintptr(vvarSize + imageSize), Perms: platform.Read,
		Shared: true, Mappable: v, DenyWrite: true, ListPrivate: true, Name: "[vvar]",
	})
	if err != nil {
		return 0, fmt.Errorf("mapping the vDSO: %w", err)
	}
	base := addr + vvarSize
	if _, err := m.MMap(mm.MMapOpts{
		Addr: base, Fixed: true, Length: uintptr(imageSize),
		Perms:  platform.AccessType{Read: true, Execute: true},
		Shared: true, Mappable: v, Offset: vvarSize, DenyWrite: true, ListPrivate: true,
		Name: "[vdso]",
	}); err != nil {
		return 0, fmt.Errorf("mapping the vDSO: %w", err)
	}
	return base, nil
}

// MemoryFile implements mm.Mappable.
func (v *VDSO) MemoryFile() *memfile.File { return v.mf }

// Translate implements mm.Mappable: the range is one run of memory-file pages, all present.
func (v *VDSO) Translate(off, length uint64, allocate bool) ([]mm.Translation, error) {
	size := uint64(vvarSize) + imageSize
	if off >= size {
		return nil, nil
	}
	length = min(length, size-off)
	v.mf.IncRef(v.off+off, length)
	return []mm.Translation{{Off: off, Len: length, MemOff: v.off + off}}, nil
}

// Mappings implements mm.Mappable.
func (v *VDSO) Mappings() *mm.MappingSet { return &v.mappings }

var _ mm.Mappable = (*VDSO)(nil)
