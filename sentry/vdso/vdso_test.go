package vdso

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

// TestImageSymbols checks that the image exports what glibc, musl and the Go runtime look
// up, with version LINUX_2.6, and needs no relocation.
func TestImageSymbols(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			got[s.Name] = s.Version
		}
	}
	for _, name := range []string{"clock_gettime", "gettimeofday", "time", "clock_getres", "getcpu"} {
		for _, n := range []string{name, "__vdso_" + name} {
			if v, ok := got[n]; !ok || v != "LINUX_2.6" {
				t.Errorf("symbol %s: present %v, version %q; want LINUX_2.6", n, ok, v)
			}
		}
	}
	for _, sec := range f.Sections {
		if sec.Type == elf.SHT_RELA || sec.Type == elf.SHT_REL {
			t.Errorf("image has relocation section %s", sec.Name)
		}
	}
	if f.Section(".gnu.hash") == nil || f.Section(".hash") == nil {
		t.Errorf("image lacks .hash or .gnu.hash")
	}
	if err := checkImage(image); err != nil {
		t.Error(err)
	}
}

// requireGCC skips the test unless gcc is the compiler recorded in src/gcc-version (another
// gcc may generate other code, so the image could not be compared byte for byte).
func requireGCC(t *testing.T) {
	t.Helper()
	out, err := exec.Command("gcc", "--version").Output()
	if err != nil {
		t.Skip("no gcc")
	}
	want, err := os.ReadFile("src/gcc-version")
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(out), "\n"); first != strings.TrimSpace(string(want)) {
		t.Skipf("gcc is %q, the image was built with %q", first, strings.TrimSpace(string(want)))
	}
}

// TestImageIsCurrent rebuilds the image from src/ and compares it with the committed one.
func TestImageIsCurrent(t *testing.T) {
	requireGCC(t)
	out, err := exec.Command("make", "-C", "src", "check").CombinedOutput()
	if err != nil {
		t.Fatalf("make -C sentry/vdso/src check: %v\n%s", err, out)
	}
}

// TestParamsLayout compiles src/vvar.h and compares struct vvar with params.
func TestParamsLayout(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := `#include <stddef.h>
#include <stdio.h>
#include "vvar.h"
#define F(f) printf(#f " %zu\n", offsetof(struct vvar, f));
int main(void) {
	F(seq) F(mode) F(tsc_base) F(mult) F(mono_ns) F(mono_frac) F(real_off) F(boot_off)
	F(res_fine) F(res_coarse) F(cpu) F(node)
	printf("size %zu\n", sizeof(struct vvar));
	return 0;
}
`
	if err := os.WriteFile(filepath.Join(dir, "layout.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("src")
	bin := filepath.Join(dir, "layout")
	if out, err := exec.Command("gcc", "-I", abs, "-o", bin, filepath.Join(dir, "layout.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p params
	want := strings.Join([]string{
		line("seq", unsafe.Offsetof(p.seq)), line("mode", unsafe.Offsetof(p.mode)),
		line("tsc_base", unsafe.Offsetof(p.tscBase)), line("mult", unsafe.Offsetof(p.mult)),
		line("mono_ns", unsafe.Offsetof(p.monoNS)), line("mono_frac", unsafe.Offsetof(p.monoFrac)),
		line("real_off", unsafe.Offsetof(p.realOff)), line("boot_off", unsafe.Offsetof(p.bootOff)),
		line("res_fine", unsafe.Offsetof(p.resFine)), line("res_coarse", unsafe.Offsetof(p.resCoarse)),
		line("cpu", unsafe.Offsetof(p.cpu)), line("node", unsafe.Offsetof(p.node)),
		line("size", paramsSize),
	}, "")
	if string(out) != want {
		t.Errorf("struct vvar:\n%s\nparams:\n%s", out, want)
	}
}

func line(name string, v uintptr) string { return fmt.Sprintf("%s %d\n", name, v) }

// TestLineContinuity checks that a line started from another at a TSC value continues it
// exactly there, fraction included, whatever the new rate.
func TestLineContinuity(t *testing.T) {
	old := snapshot{mode: modeTSC, tscBase: 1000, mult: 3<<31 + 12345, monoNS: 5e9, monoFrac: 1<<32 - 7}
	for _, tsc := range []uint64{1000, 1001, 123456789, 1 << 40} {
		ns, frac := old.mono(tsc)
		next := old
		next.tscBase, next.monoNS, next.monoFrac = tsc, ns, frac
		for _, mult := range []uint64{old.mult, old.mult - 1000, old.mult + 1000} {
			next.mult = mult
			if n2, f2 := next.mono(tsc); n2 != ns || f2 != frac {
				t.Errorf("tsc %d mult %d: new line starts at %d+%d, old is at %d+%d", tsc, mult, n2, f2, ns, frac)
			}
		}
		// With the same rate, the new line is the old one everywhere after.
		next.mult = old.mult
		for _, d := range []uint64{1, 3, 1 << 20, 1 << 36} {
			a, fa := old.mono(tsc + d)
			b, fb := next.mono(tsc + d)
			if a != b || fa != fb {
				t.Errorf("tsc %d+%d: old line %d+%d, new line %d+%d", tsc, d, a, fa, b, fb)
			}
		}
	}
	// A TSC behind the base reads as the base.
	if ns, _ := old.mono(10); ns != old.monoNS {
		t.Errorf("tsc before the base: %d, want %d", ns, old.monoNS)
	}
}

// TestNowMonotonicAcrossUpdates reads CLOCK_MONOTONIC and CLOCK_BOOTTIME from several
// goroutines while the line is updated, stepped and steered as fast as possible; no read
// may precede one that completed before it started.
func TestNowMonotonicAcrossUpdates(t *testing.T) {
	if !tscEnabled() {
		t.Skip("no invariant TSC")
	}
	var k timekeeper
	k.first = takeSample()
	time.Sleep(time.Millisecond)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures atomic.Int64
	for _, id := range []int32{unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_COARSE} {
		var last atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				prev := last.Load()
				v, _ := k.now(id)
				if v < prev {
					failures.Add(1)
				}
				for {
					cur := last.Load()
					if v <= cur || last.CompareAndSwap(cur, v) {
						break
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		s := takeSample()
		switch i % 3 {
		case 1:
			s.mono += 5e6 // the host 5 ms ahead: a forward step
		case 2:
			s.mono -= 5e6 // the host 5 ms behind: the line slows down
		}
		k.update(s)
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Errorf("%d reads went backwards", n)
	}
}

// TestNowTracksHost checks that the process's clocks agree with the host's within 1 ms.
func TestNowTracksHost(t *testing.T) {
	Start()
	time.Sleep(30 * time.Millisecond) // past the first updates
	for _, c := range []struct {
		id   int32
		host func() int64
	}{
		{unix.CLOCK_MONOTONIC, hostMono},
		{unix.CLOCK_REALTIME, func() int64 { return time.Now().UnixNano() }},
		{unix.CLOCK_BOOTTIME, func() int64 { return hostClock(unix.CLOCK_BOOTTIME) }},
	} {
		v, ok := Now(c.id)
		h := c.host()
		if d := h - v; !ok || d > int64(time.Millisecond) || d < -int64(time.Millisecond) {
			t.Errorf("clock %d: sandbox %d, host %d (ok %v)", c.id, v, h, ok)
		}
	}
	if _, ok := Now(unix.CLOCK_PROCESS_CPUTIME_ID); ok {
		t.Errorf("Now answered for a CPU clock")
	}
	if _, ok := Now(-1); ok {
		t.Errorf("Now answered for clock -1")
	}
}

// TestPagesMirrorParameters checks that a kernel's parameter page holds the timekeeper's
// parameters, and that closing its memory file stops the writes.
func TestPagesMirrorParameters(t *testing.T) {
	mf, err := memfile.New("vdso-test", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(mf)
	if err != nil {
		t.Fatal(err)
	}
	page := (*params)(unsafe.Pointer(&mf.Slice(v.off, vvarSize)[0]))
	if img := mf.Slice(v.off+vvarSize, uint64(len(image))); !bytes.Equal(img, image) {
		t.Errorf("image copy differs")
	}
	tk.mu.Lock()
	own, mine := tk.own.load(), page.load()
	seqOwn, seqPage := tk.own.seq.Load(), page.seq.Load()
	tk.mu.Unlock()
	if own != mine || seqOwn != seqPage {
		t.Errorf("page %+v (seq %d), timekeeper %+v (seq %d)", mine, seqPage, own, seqOwn)
	}
	if tscEnabled() && mine.mode != modeTSC {
		t.Errorf("page mode %d with an invariant TSC", mine.mode)
	}
	mf.Close()
	tk.mu.Lock()
	defer tk.mu.Unlock()
	for _, p := range tk.pages {
		if p == page {
			t.Errorf("page still written after its memory file closed")
		}
	}
}
