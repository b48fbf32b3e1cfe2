package vdso

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Parameter modes (src/vvar.h, VVAR_MODE_*).
const (
	modeSyscall = 0 // no fast path: the vDSO makes the real syscall
	modeTSC     = 1 // clocks are computed from the TSC
)

// params is the parameter page's layout, shared with the vDSO (src/vvar.h, struct vvar; a
// test compiles the header and compares the offsets). Every field is a 64-bit word stored
// atomically, so a reader never sees a torn word; seq makes the set consistent.
//
// Sequence protocol (one writer at a time, timekeeper.mu): the writer makes seq odd, stores
// the fields, and makes it even again. A reader loads seq (retrying while odd), the fields
// and the TSC (fenced), then seq again, and retries if it changed. Loads are not reordered
// with loads on amd64, and the fences in rdtsc keep the TSC read between the two loads of
// seq.
type params struct {
	seq      atomic.Uint64
	mode     atomic.Uint64
	tscBase  atomic.Uint64
	mult     atomic.Uint64
	monoNS   atomic.Uint64
	monoFrac atomic.Uint64
	realOff  atomic.Int64
	bootOff  atomic.Int64
	// resFine and resCoarse are clock_getres of the high-resolution and coarse clocks.
	resFine   atomic.Uint64
	resCoarse atomic.Uint64
	// cpu and node are what getcpu returns.
	cpu  atomic.Uint64
	node atomic.Uint64
}

// paramsSize is the size of struct vvar.
const paramsSize = unsafe.Sizeof(params{})

// snapshot is a consistent copy of the clock fields of a params.
type snapshot struct {
	mode                            uint64
	tscBase, mult, monoNS, monoFrac uint64
	realOff, bootOff                int64
}

// load copies the clock fields (the caller brackets it with seq).
func (p *params) load() snapshot {
	return snapshot{
		mode:     p.mode.Load(),
		tscBase:  p.tscBase.Load(),
		mult:     p.mult.Load(),
		monoNS:   p.monoNS.Load(),
		monoFrac: p.monoFrac.Load(),
		realOff:  p.realOff.Load(),
		bootOff:  p.bootOff.Load(),
	}
}

// store writes the clock fields (the caller holds seq odd).
func (p *params) store(s snapshot) {
	p.mode.Store(s.mode)
	p.tscBase.Store(s.tscBase)
	p.mult.Store(s.mult)
	p.monoNS.Store(s.monoNS)
	p.monoFrac.Store(s.monoFrac)
	p.realOff.Store(s.realOff)
	p.bootOff.Store(s.bootOff)
}

// mono returns CLOCK_MONOTONIC at TSC value tsc: whole nanoseconds and the fraction in units
// of 2^-32 ns. It is what the vDSO's read_ns computes (without the fraction, which the
// writer keeps so that a new base continues the old line exactly). A TSC below tscBase
// counts as tscBase, so the result never precedes the base.
func (s *snapshot) mono(tsc uint64) (ns, frac uint64) {
	var delta uint64
	if tsc > s.tscBase {
		delta = tsc - s.tscBase
	}
	hi, lo := bits.Mul64(delta, s.mult)
	lo, carry := bits.Add64(lo, s.monoFrac, 0)
	hi += carry
	return s.monoNS + (hi<<32 | lo>>32), lo & (1<<32 - 1)
}
