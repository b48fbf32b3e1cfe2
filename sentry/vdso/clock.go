package vdso

import (
	"math"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The sandbox's clocks.
//
// CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and their _COARSE variants are computed
// from the TSC with the parameters of one timekeeper per sentry process, which the vDSO
// (through every kernel's parameter page) and the sentry (Now, through its own copy) read
// with the same formula. So time read through the vDSO and through a trapped syscall is
// the same function of the TSC, and monotonic clocks never go backwards however a program
// mixes the two.
//
// Calibration: the timekeeper samples the host's CLOCK_MONOTONIC (through the Go runtime's
// monotonic clock, which reads it through the host's vDSO: a sample is a few tens of ns
// wide) against the TSC. Start measures the TSC rate over startupCalibration and publishes
// the first line at once, so that a program never starts on the slow path; without an
// invariant TSC, or with STOCKADE_VDSO_TSC=0, the mode stays modeSyscall: the vDSO makes
// the syscall and Now reads the host clocks. After firstUpdates, and then every
// updateInterval, it publishes a new line through the current point: the rate is the TSC
// frequency measured since the first sample, steered
// by the line's error against the host clock so that the error is worked off over
// steerHorizon (at most maxSlew); an error of more than stepThreshold behind the host is
// stepped forward at once. A new line starts where the old one is at a TSC value read
// after seq became odd, with the old line's sub-nanosecond fraction: a reader that used
// the old line read a TSC no later than that point, so its value is no greater than the
// new line's start, and every later read is at least that. Switching from the host clock
// to the TSC line starts the line at a host reading taken after seq became odd, which is
// at least any host reading a reader validated before (Now reads the host clock inside
// the same seq bracket).
//
// REALTIME and BOOTTIME are MONOTONIC plus offsets sampled from the host; an offset is
// changed only when the host's moves by more than stepThreshold (the host's clock was set,
// or it was suspended), so sampling noise never makes CLOCK_REALTIME jitter; BOOTTIME's
// only grows.
//
// Other clocks (MONOTONIC_RAW, TAI, CPU clocks) are not handled here: the vDSO makes the
// syscall for them and the sentry answers as before.

const (
	// startupCalibration is how long Start measures the TSC rate before the first line
	// (an error of about 100 ppm, worked off by the first updates).
	startupCalibration = 200 * time.Microsecond
	updateInterval     = time.Second
	steerHorizon       = 2 * time.Second
	maxSlew            = 500e-6 // the largest rate correction, as NTP's
	stepThreshold      = int64(time.Millisecond)
	// sampleTries is how many (TSC, host clock) pairs a sample takes; the one read in the
	// shortest TSC interval wins.
	sampleTries = 5
)

// timekeeper owns the clock parameters: its own copy, which Now reads, and the parameter
// pages of every kernel's vDSO.
type timekeeper struct {
	// own is the sentry's copy of the parameters. Written with mu held.
	own params

	// mu serializes writers and guards pages. It is never held while blocking.
	mu sync.Mutex
	// pages are the parameter pages in memory files, written exactly as own.
	pages []*params

	// once runs calibrate.
	once sync.Once
	// first is the first calibration sample, the base of the frequency measurement. It is
	// written before the first update and read only by update, which calibrate and then
	// the run goroutine call, never two at a time.
	first sample
}

// firstUpdates are the delays of the first updates after Start: the rate measured over a
// longer time replaces the first, rough one quickly. Then updates come every
// updateInterval.
var firstUpdates = []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 200 * time.Millisecond}

// monoEpoch and monoAtEpoch let hostMono read the host's CLOCK_MONOTONIC through the Go
// runtime's monotonic clock (the same clock, read through the host's vDSO).
var (
	monoEpoch   = time.Now()
	monoAtEpoch = hostClock(unix.CLOCK_MONOTONIC)
)

// hostMono returns the host's CLOCK_MONOTONIC in nanoseconds.
func hostMono() int64 { return monoAtEpoch + int64(time.Since(monoEpoch)) }

// tk is the process's timekeeper: the TSC and the host clocks are per process, and one
// calibration serves every kernel.
var tk timekeeper

// sample is the TSC and the host's CLOCK_MONOTONIC read at the same moment.
type sample struct {
	tsc  uint64
	mono int64
}

// start publishes the first parameters and starts the calibration goroutine, once.
func (k *timekeeper) start() { k.once.Do(k.calibrate) }

// calibrate publishes the resolutions and, with a usable TSC, the first line measured over
// startupCalibration, then updates the line forever in a goroutine.
func (k *timekeeper) calibrate() {
	k.mu.Lock()
	var res unix.Timespec
	if unix.ClockGetres(unix.CLOCK_MONOTONIC, &res) == nil {
		k.own.resFine.Store(uint64(res.Nano()))
	}
	if unix.ClockGetres(unix.CLOCK_MONOTONIC_COARSE, &res) == nil {
		k.own.resCoarse.Store(uint64(res.Nano()))
	}
	for _, p := range k.pages {
		copyParams(p, &k.own)
	}
	k.mu.Unlock()
	if !tscEnabled() {
		return
	}
	k.first = takeSample()
	for hostMono()-k.first.mono < int64(startupCalibration) {
		// Spin: the measurement is short, and sleeping would make it much longer.
	}
	k.update(takeSample())
	go k.run()
}

// tscEnabled reports whether the clocks may use the TSC: an invariant TSC, and no
// STOCKADE_VDSO_TSC=0 in the environment (which tests use to exercise the fallback).
func tscEnabled() bool {
	return invariantTSC() && os.Getenv("STOCKADE_VDSO_TSC") != "0"
}

// run updates the parameters forever (the timekeeper lives as long as the process).
func (k *timekeeper) run() {
	for _, d := range firstUpdates {
		time.Sleep(d)
		k.update(takeSample())
	}
	for {
		k.update(takeSample())
		time.Sleep(updateInterval)
	}
}

// takeSample reads the TSC around the host clock a few times and keeps the tightest pair.
func takeSample() sample {
	best, width := sample{}, uint64(math.MaxUint64)
	for range sampleTries {
		before := rdtsc()
		mono := hostMono()
		after := rdtsc()
		if after >= before && after-before < width {
			width = after - before
			best = sample{tsc: before + (after-before)/2, mono: mono}
		}
	}
	return best
}

// hostClock reads a host clock in nanoseconds (0 if the host refuses, which it does not for
// the clocks asked here).
func hostClock(id int32) int64 {
	var ts unix.Timespec
	if unix.ClockGettime(id, &ts) != nil {
		return 0
	}
	return ts.Nano()
}

// hostOffsets returns the host's CLOCK_REALTIME and CLOCK_BOOTTIME minus CLOCK_MONOTONIC.
func hostOffsets() (real, boot int64) {
	m1 := hostMono()
	r := hostClock(unix.CLOCK_REALTIME)
	b := hostClock(unix.CLOCK_BOOTTIME)
	m2 := hostMono()
	mid := m1 + (m2-m1)/2
	return r - mid, max(b-mid, 0)
}

// update publishes a new line from sample s (see the comment at the top of the file).
func (k *timekeeper) update(s sample) {
	if s.tsc <= k.first.tsc || s.mono <= k.first.mono {
		return // a TSC or clock that went backwards: keep the current line
	}
	rate := rateMult(s.tsc-k.first.tsc, uint64(s.mono-k.first.mono))
	realOff, bootOff := hostOffsets()

	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.own.load()
	next := cur
	if cur.mode != modeTSC {
		k.beginWriteLocked()
		next = snapshot{
			mode:    modeTSC,
			monoNS:  uint64(hostMono()),
			tscBase: rdtsc(),
			mult:    rate,
			realOff: realOff,
			bootOff: bootOff,
		}
		k.endWriteLocked(next)
		return
	}

	ns, _ := cur.mono(s.tsc)
	errNS := int64(ns) - s.mono // > 0: the line is ahead of the host
	next.mult = steer(rate, errNS)
	if d := realOff - cur.realOff; d > stepThreshold || d < -stepThreshold {
		next.realOff = realOff
		// The host's clock was set, so the sandbox's is: tell timerfds at return, once the
		// new line is stored (still under k.mu: this defer runs before the unlock's).
		defer notifyRealtimeSet()
	}
	if bootOff > cur.bootOff+stepThreshold {
		next.bootOff = bootOff
	}
	k.beginWriteLocked()
	next.tscBase = rdtsc()
	next.monoNS, next.monoFrac = cur.mono(next.tscBase)
	if errNS < -stepThreshold {
		next.monoNS += uint64(-errNS)
	}
	k.endWriteLocked(next)
}

// rateMult returns the TSC rate as ns per tick in 32.32 fixed point.
func rateMult(ticks, ns uint64) uint64 {
	// (ns << 32) / ticks without overflow: ns < 2^63 and the rate is far below 2^32 ns per
	// tick, so the 128-bit quotient fits.
	hi, lo := ns>>32, ns<<32
	if hi >= ticks {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi, lo, ticks)
	return q
}

// steer corrects rate so that an error of errNS (line minus host) is worked off over
// steerHorizon, by at most maxSlew.
func steer(rate uint64, errNS int64) uint64 {
	adj := float64(errNS) / float64(steerHorizon)
	adj = max(-maxSlew, min(maxSlew, adj))
	return uint64(float64(rate) * (1 - adj))
}

// beginWriteLocked makes seq odd in every copy.
//
// Preconditions: k.mu is held.
func (k *timekeeper) beginWriteLocked() {
	k.own.seq.Add(1)
	for _, p := range k.pages {
		p.seq.Add(1)
	}
}

// endWriteLocked stores s in every copy and makes seq even again.
//
// Preconditions: k.mu is held; beginWriteLocked was called.
func (k *timekeeper) endWriteLocked(s snapshot) {
	k.own.store(s)
	for _, p := range k.pages {
		p.store(s)
	}
	k.own.seq.Add(1)
	for _, p := range k.pages {
		p.seq.Add(1)
	}
}

// copyParams copies every field of src to dst (a page not yet visible to any reader, or
// under k.mu with seq even in both).
func copyParams(dst, src *params) {
	dst.store(src.load())
	dst.resFine.Store(src.resFine.Load())
	dst.resCoarse.Store(src.resCoarse.Load())
	dst.cpu.Store(src.cpu.Load())
	dst.node.Store(src.node.Load())
	dst.seq.Store(src.seq.Load())
}

// addPage makes p a copy of the parameters, kept current from now on.
func (k *timekeeper) addPage(p *params) {
	k.mu.Lock()
	defer k.mu.Unlock()
	copyParams(p, &k.own)
	k.pages = append(k.pages, p)
}

// removePage stops writing p (its memory file is closing).
func (k *timekeeper) removePage(p *params) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, q := range k.pages {
		if q == p {
			k.pages = append(k.pages[:i], k.pages[i+1:]...)
			return
		}
	}
}

// Clock kinds the parameters answer for.
const (
	kindNone = iota
	kindMono
	kindReal
	kindBoot
)

// clockKind maps a clock id to what the parameters know of it (vdso.c's clock_kind).
func clockKind(id int32) int {
	switch id {
	case unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_COARSE:
		return kindMono
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_COARSE:
		return kindReal
	case unix.CLOCK_BOOTTIME:
		return kindBoot
	}
	return kindNone
}

// Now returns clock id's value in nanoseconds as the vDSO computes it, for CLOCK_REALTIME,
// CLOCK_MONOTONIC, CLOCK_BOOTTIME and the _COARSE variants; ok is false for any other clock
// (the caller reads it itself). The sentry's clock syscalls, timers and sleeps use it so
// that they agree with the vDSO. It does not allocate.
func Now(id int32) (ns int64, ok bool) { return tk.now(id) }

// now implements Now on k's parameters.
func (k *timekeeper) now(id int32) (ns int64, ok bool) {
	kind := clockKind(id)
	if kind == kindNone {
		return 0, false
	}
	p := &k.own
	for {
		seq := p.seq.Load()
		if seq&1 != 0 {
			runtime.Gosched()
			continue
		}
		s := p.load()
		if s.mode != modeTSC {
			// Read the host clock inside the bracket: the switch to the TSC line starts
			// at a host reading taken after seq changed (see above).
			v := fallbackNow(id)
			if p.seq.Load() != seq {
				continue
			}
			return v, true
		}
		tsc := rdtsc()
		if p.seq.Load() != seq {
			continue
		}
		mono, _ := s.mono(tsc)
		switch kind {
		case kindReal:
			return int64(mono) + s.realOff, true
		case kindBoot:
			return int64(mono) + s.bootOff, true
		}
		return int64(mono), true
	}
}

// fallbackNow reads the host clock for id while there is no TSC line: the precise one for a
// coarse id, since the TSC line is precise too and the two must agree in order, and
// CLOCK_MONOTONIC as hostMono reads it, as the line's start does.
func fallbackNow(id int32) int64 {
	switch id {
	case unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_COARSE:
		return hostMono()
	case unix.CLOCK_REALTIME_COARSE:
		return hostClock(unix.CLOCK_REALTIME)
	}
	return hostClock(id)
}

// FastPath reports whether the clocks are currently computed from the TSC (false before the
// first calibration and on hosts without an invariant TSC).
func FastPath() bool { return tk.own.mode.Load() == modeTSC }

// Start starts calibration (New calls it; Now works before, on the host clocks).
func Start() { tk.start() }
