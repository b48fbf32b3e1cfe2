package loader

import (
	"fmt"
	"io"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// pageRange is a page-aligned address range with permissions.
type pageRange struct {
	start, end uint64
	perms      platform.AccessType
}

// mapSegments maps the image's segments at bias and fills them from r.
//
// Segments whose pages touch the same page form a group that is mapped once, read-write, as
// the union of their pages; every segment's file bytes are copied in (the rest is fresh zero
// memory, which is the bss); then each page gets the union of the permissions of the segments
// on it. Because file bytes are copied only within [p_vaddr, p_vaddr+p_filesz) and segments do
// not overlap, a page shared by two segments keeps both segments' bytes and zeroes elsewhere.
//
// Preconditions: img was validated by parse and placed by place with this bias.
func mapSegments(m Memory, r io.ReaderAt, path string, img *image, bias uintptr) error {
	// Page ranges of the segments, in address order (segs are sorted and disjoint, so these
	// are sorted and overlap only on a shared boundary page).
	ranges := make([]pageRange, len(img.segs))
	for i, s := range img.segs {
		start := (s.vaddr + uint64(bias)) &^ (linux.PageSize - 1)
		end, _ := linux.PageRoundUp(uintptr(s.vaddr + uint64(bias) + s.memsz)) // place checked the range
		ranges[i] = pageRange{start: start, end: uint64(end), perms: s.perms}
	}

	var buf []byte
	for gs := 0; gs < len(ranges); {
		ge := gs + 1
		end := ranges[gs].end
		for ge < len(ranges) && ranges[ge].start < end {
			end = max(end, ranges[ge].end)
			ge++
		}
		start := ranges[gs].start
		if _, err := m.MMap(mm.MMapOpts{
			Addr:   uintptr(start),
			Length: uintptr(end - start),
			Perms:  platform.ReadWrite,
			Fixed:  true,
			Name:   path,
		}); err != nil {
			return fmt.Errorf("mapping segment %d at %#x: %w", img.segs[gs].index, start, err)
		}
		for _, s := range img.segs[gs:ge] {
			if s.filesz == 0 {
				continue
			}
			if buf == nil {
				buf = make([]byte, min(copyChunk, maxFilesz(img.segs)))
			}
			if err := copySegment(m, r, path, s, bias, buf); err != nil {
				return err
			}
		}
		for _, pr := range protections(ranges[gs:ge]) {
			if pr.perms == platform.ReadWrite {
				continue // as mapped
			}
			if err := m.MProtect(uintptr(pr.start), uintptr(pr.end-pr.start), pr.perms); err != nil {
				return fmt.Errorf("protecting %#x-%#x as %v: %w", pr.start, pr.end, pr.perms, err)
			}
		}
		gs = ge
	}
	return nil
}

func maxFilesz(segs []segment) uint64 {
	var n uint64
	for _, s := range segs {
		n = max(n, s.filesz)
	}
	return n
}

// copySegment copies s's file bytes to its address, len(buf) bytes at a time.
func copySegment(m Memory, r io.ReaderAt, path string, s segment, bias uintptr, buf []byte) error {
	for done := uint64(0); done < s.filesz; {
		chunk := buf[:min(uint64(len(buf)), s.filesz-done)]
		n, err := readFull(r, chunk, int64(s.offset+done))
		if err != nil {
			return fmt.Errorf("%s: reading segment %d: %w", oneLine(path), s.index, err)
		}
		if n < len(chunk) {
			return &Error{Path: path, Reason: fmt.Sprintf("segment %d extends past the end of the file", s.index), Errno: unix.ENOEXEC}
		}
		addr := uintptr(s.vaddr+done) + bias
		if n, err := m.CopyOut(addr, chunk); err != nil || n != len(chunk) {
			if err == nil {
				err = io.ErrShortWrite
			}
			return fmt.Errorf("copying segment %d to %#x: %w", s.index, addr, err)
		}
		done += uint64(len(chunk))
	}
	return nil
}

// protections splits the union of ranges (sorted by start) into maximal runs of pages with the
// same permissions, each page getting the union of the permissions of the ranges covering it.
// Gaps between ranges are not included.
func protections(ranges []pageRange) []pageRange {
	var bounds []uint64
	for _, r := range ranges {
		bounds = append(bounds, r.start, r.end)
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	var out []pageRange
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		if lo == hi {
			continue
		}
		var p platform.AccessType
		covered := false
		for _, r := range ranges {
			if r.start <= lo && hi <= r.end {
				covered = true
				p.Read = p.Read || r.perms.Read
				p.Write = p.Write || r.perms.Write
				p.Execute = p.Execute || r.perms.Execute
			}
		}
		if !covered {
			continue
		}
		if n := len(out); n > 0 && out[n-1].end == lo && out[n-1].perms == p {
			out[n-1].end = hi
			continue
		}
		out = append(out, pageRange{start: lo, end: hi, perms: p})
	}
	return out
}
