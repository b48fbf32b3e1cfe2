package loader

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/mm"
)

// platformString is AT_PLATFORM.
const platformString = "x86_64"

// stackLayout is where the stack mapping goes: [start, end), with the initial stack contents
// built down from top (== end).
type stackLayout struct {
	start, end, top uintptr
}

// computeStackLayout puts the stack just below the top of the layout, one guard page under
// MaxAddr.
func computeStackLayout(l mm.Layout) (stackLayout, error) {
	top := linux.PageRoundDown(l.MaxAddr)
	if top < linux.PageSize+StackSize+linux.PageSize || top-linux.PageSize-StackSize < l.MinAddr {
		return stackLayout{}, fmt.Errorf("address space layout %#x-%#x has no room for a %d-byte stack: %w",
			l.MinAddr, l.MaxAddr, StackSize, unix.ENOMEM)
	}
	top -= linux.PageSize
	return stackLayout{start: top - StackSize, end: top, top: top}, nil
}

// initialStack is the initial stack contents: block is written at sp and ends at the top.
type initialStack struct {
	sp                                 uintptr
	block                              []byte
	argStart, argEnd, envStart, envEnd uintptr
	auxv                               []AuxEntry
}

// buildStack lays out the initial stack below top (System V x86-64 psABI, "Process
// Initialization"). From the top down:
//
//	8 zero bytes (an end marker, as Linux leaves)
//	the strings, starting 16-byte aligned: AT_RANDOM's 16 bytes, "x86_64", argv strings,
//	  envp strings, the executable's path (AT_EXECFN)
//	padding so that sp ends 16-byte aligned
//	auxv pairs, then AT_NULL, 0
//	envp pointers, NULL
//	argv pointers, NULL
//	argc                                   <- sp
//
// auxv entries for AT_RANDOM, AT_PLATFORM and AT_EXECFN get the addresses of their strings;
// the others are written as given.
func buildStack(top uintptr, argv, envv []string, execfn string, random [16]byte, auxv []AuxEntry) (initialStack, error) {
	const endMarker = 8
	strSize := uintptr(len(random) + len(platformString) + 1 + len(execfn) + 1)
	for _, s := range argv {
		strSize += uintptr(len(s) + 1)
	}
	for _, s := range envv {
		strSize += uintptr(len(s) + 1)
	}
	words := uintptr(1 + len(argv) + 1 + len(envv) + 1 + 2*(len(auxv)+1))
	need := endMarker + strSize + 15 + 8*words + 15
	if strSize > MaxArgBytes*2 || need > top {
		return initialStack{}, fmt.Errorf("argument list too long for the stack")
	}
	strStart := (top - endMarker - strSize) &^ 15
	sp := (strStart - 8*words) &^ 15

	st := initialStack{sp: sp, block: make([]byte, top-sp)}
	b := st.block
	at := func(addr uintptr) []byte { return b[addr-sp:] }

	// Strings.
	p := strStart
	put := func(s string) uintptr {
		a := p
		copy(at(p), s)
		p += uintptr(len(s) + 1) // the NUL is already zero
		return a
	}
	randomAddr := p
	copy(at(p), random[:])
	p += uintptr(len(random))
	platformAddr := put(platformString)
	argPtrs := make([]uintptr, len(argv))
	st.argStart = p
	for i, s := range argv {
		argPtrs[i] = put(s)
	}
	st.argEnd = p
	envPtrs := make([]uintptr, len(envv))
	st.envStart = p
	for i, s := range envv {
		envPtrs[i] = put(s)
	}
	st.envEnd = p
	execfnAddr := put(execfn)

	// Pointers and auxv.
	w := sp
	word := func(v uint64) {
		binary.LittleEndian.PutUint64(at(w), v)
		w += 8
	}
	word(uint64(len(argv)))
	for _, a := range argPtrs {
		word(uint64(a))
	}
	word(0)
	for _, a := range envPtrs {
		word(uint64(a))
	}
	word(0)
	st.auxv = make([]AuxEntry, len(auxv))
	for i, e := range auxv {
		switch e.Key {
		case linux.AT_RANDOM:
			e.Value = uint64(randomAddr)
		case linux.AT_PLATFORM:
			e.Value = uint64(platformAddr)
		case linux.AT_EXECFN:
			e.Value = uint64(execfnAddr)
		}
		st.auxv[i] = e
		word(e.Key)
		word(e.Value)
	}
	word(linux.AT_NULL)
	word(0)
	return st, nil
}
