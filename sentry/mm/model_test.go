package mm

import (
	"math/rand"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// TestRandomOperationsMatchPageModel drives the memory manager with random mmap, munmap,
// mprotect, madvise, faults and copies over a small region and checks every result against a
// page-by-page model, and the internal invariants after every step.
func TestRandomOperationsMatchPageModel(t *testing.T) {
	type page struct {
		perms  platform.AccessType
		shared bool
		data   byte
	}
	permChoices := []platform.AccessType{platform.NoAccess, platform.Read, platform.ReadWrite, platform.AnyAccess}
	const region = uintptr(0x40000000)
	const pages = 64
	for seed := int64(1); seed <= 20; seed++ {
		f := newFixture(t)
		rng := rand.New(rand.NewSource(seed))
		model := map[uintptr]*page{}
		rangeOf := func() (uintptr, uintptr) {
			s := uintptr(rng.Intn(pages))
			if rng.Intn(4) == 0 {
				s += 0x1000000 / pageSize
			}
			n := uintptr(1 + rng.Intn(10))
			return region + s*pageSize, n * pageSize
		}
		for step := 0; step < 400; step++ {
			switch op := rng.Intn(10); op {
			case 0: // mmap fixed
				a, l := rangeOf()
				o := MMapOpts{Addr: a, Length: l, Perms: permChoices[rng.Intn(4)], Fixed: true, Shared: rng.Intn(3) == 0}
				if _, err := f.mm.MMap(o); err != nil {
					t.Fatalf("seed %d step %d: MMap: %v", seed, step, err)
				}
				for p := a; p < a+l; p += pageSize {
					model[p] = &page{perms: o.Perms, shared: o.Shared}
				}
			case 1: // munmap
				a, l := rangeOf()
				if err := f.mm.MUnmap(a, l); err != nil {
					t.Fatalf("seed %d step %d: MUnmap: %v", seed, step, err)
				}
				for p := a; p < a+l; p += pageSize {
					delete(model, p)
				}
			case 2: // mprotect
				a, l := rangeOf()
				perms := permChoices[rng.Intn(4)]
				err := f.mm.MProtect(a, l, perms)
				var want error
				for p := a; p < a+l; p += pageSize {
					m, ok := model[p]
					if !ok {
						want = unix.ENOMEM
						break
					}
					m.perms = perms
				}
				if err != want {
					t.Fatalf("seed %d step %d: MProtect = %v, want %v", seed, step, err, want)
				}
			case 3: // madvise DONTNEED
				a, l := rangeOf()
				err := f.mm.MAdvise(a, l, unix.MADV_DONTNEED)
				var want error
				for p := a; p < a+l; p += pageSize {
					m, ok := model[p]
					if !ok {
						want = unix.ENOMEM
						continue
					}
					if !m.shared {
						m.data = 0
					}
				}
				if err != want {
					t.Fatalf("seed %d step %d: MAdvise = %v, want %v", seed, step, err, want)
				}
			case 4: // fault
				a, _ := rangeOf()
				err := f.mm.HandleFault(a)
				m, ok := model[a]
				switch {
				case !ok && err != unix.EFAULT:
					t.Fatalf("seed %d step %d: fault on unmapped = %v", seed, step, err)
				case ok && !m.perms.Any() && err != unix.EACCES:
					t.Fatalf("seed %d step %d: fault on PROT_NONE = %v", seed, step, err)
				case ok && m.perms.Any() && err != nil && err != unix.EACCES:
					t.Fatalf("seed %d step %d: fault = %v", seed, step, err)
				}
			case 5, 6: // write then read across a few pages
				a, l := rangeOf()
				v := byte(1 + rng.Intn(255))
				buf := make([]byte, l)
				for i := range buf {
					buf[i] = v
				}
				n, _ := f.mm.CopyOut(a, buf)
				want := 0
				for p := a; p < a+l; p += pageSize {
					m, ok := model[p]
					if !ok || !m.perms.Write {
						break
					}
					m.data = v
					want += pageSize
				}
				if n != want {
					t.Fatalf("seed %d step %d: CopyOut = %d, want %d", seed, step, n, want)
				}
			case 8, 9: // mremap part of one mapping, moving it (op 8: to a fixed place)
				vs := f.mm.VMAs()
				if len(vs) == 0 {
					continue
				}
				v := vs[rng.Intn(len(vs))]
				np := (v.End - v.Start) / pageSize
				s := uintptr(rng.Intn(int(np)))
				oldAddr := v.Start + s*pageSize
				oldLen := uintptr(1+rng.Intn(int(np-s))) * pageSize
				newLen := uintptr(1+rng.Intn(8)) * pageSize
				flags := unix.MREMAP_MAYMOVE
				var to uintptr
				if op == 8 {
					flags |= unix.MREMAP_FIXED
					to, _ = rangeOf()
					to = to&^(0xffff) + 0x1000000 // elsewhere in the region's neighbourhood
					if oldAddr+oldLen > to && to+newLen > oldAddr {
						if _, err := f.mm.MRemap(oldAddr, oldLen, newLen, flags, to); err != unix.EINVAL {
							t.Fatalf("seed %d step %d: overlapping MRemap: %v", seed, step, err)
						}
						continue
					}
				}
				got, err := f.mm.MRemap(oldAddr, oldLen, newLen, flags, to)
				if err != nil {
					t.Fatalf("seed %d step %d: MRemap(%#x, %#x, %#x, %d, %#x): %v", seed, step, oldAddr, oldLen, newLen, flags, to, err)
				}
				if op == 8 && got != to {
					t.Fatalf("seed %d step %d: MRemap fixed to %#x went to %#x", seed, step, to, got)
				}
				moved := map[uintptr]*page{}
				for i := uintptr(0); i < oldLen; i += pageSize {
					moved[i] = model[oldAddr+i]
					delete(model, oldAddr+i)
				}
				proto := *moved[0]
				if op == 8 {
					for i := uintptr(0); i < newLen; i += pageSize {
						delete(model, got+i)
					}
				}
				for i := uintptr(0); i < newLen; i += pageSize {
					if m, ok := moved[i]; ok {
						model[got+i] = m
					} else {
						n := proto
						n.data = 0
						model[got+i] = &n
					}
				}
			case 7:
				a, l := rangeOf()
				buf := make([]byte, l)
				n, _ := f.mm.CopyIn(a, buf)
				want := 0
				for p := a; p < a+l; p += pageSize {
					m, ok := model[p]
					if !ok || !readable(m.perms) {
						break
					}
					if got := buf[p-a]; got != m.data {
						t.Fatalf("seed %d step %d: page %#x reads %d, want %d", seed, step, p, got, m.data)
					}
					want += pageSize
				}
				if n != want {
					t.Fatalf("seed %d step %d: CopyIn = %d, want %d", seed, step, n, want)
				}
			}
			f.check()
		}
	}
}
