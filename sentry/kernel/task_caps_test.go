package kernel

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

const (
	bitChown = uint64(1) << unix.CAP_CHOWN
	bitKill  = uint64(1) << unix.CAP_KILL
)

func TestSetCapsRules(t *testing.T) {
	tg := tgWith(Credentials{})
	all := AllCapabilities
	if err := tg.SetCaps(all, all&^bitChown, 0); err != unix.EPERM {
		t.Fatalf("effective beyond permitted: %v, want EPERM", err)
	}
	if err := tg.SetCaps(all&^bitChown, all&^bitChown, 0); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetCaps(all&^bitChown, all, 0); err != unix.EPERM {
		t.Fatalf("regaining a dropped permitted capability: %v, want EPERM", err)
	}
	noPcap := all &^ bitChown &^ (1 << unix.CAP_SETPCAP)
	if err := tg.SetCaps(noPcap, all&^bitChown, 0); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetCaps(noPcap, all&^bitChown, bitChown); err != unix.EPERM {
		t.Fatalf("inheritable beyond permitted without CAP_SETPCAP: %v, want EPERM", err)
	}
	if err := tg.SetCaps(noPcap, all&^bitChown, bitKill); err != nil {
		t.Fatalf("inheritable within permitted: %v", err)
	}
}

func TestUIDChangeAndExecCaps(t *testing.T) {
	tg := tgWith(Credentials{})
	tg.SetCaps(AllCapabilities, AllCapabilities, bitKill)
	if err := tg.SetAmbientCap(unix.CAP_KILL, true); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetAmbientCap(unix.CAP_CHOWN, true); err != unix.EPERM {
		t.Fatalf("ambient without inheritable: %v, want EPERM", err)
	}
	tg.SetKeepCaps(true)
	if err := tg.SetRESUID(1000, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	c := tg.Creds()
	if c.Caps.Permitted != AllCapabilities || c.Caps.Effective != 0 || c.Caps.Ambient != 0 {
		t.Fatalf("after setresuid with keepcaps: %+v", c.Caps)
	}
	tg.SetAmbientCap(unix.CAP_KILL, true)
	tg.updateCreds(func(c *Credentials) error { c.execCreds(false); return nil })
	if c := tg.Creds(); c.Caps.Permitted != bitKill || c.Caps.Effective != bitKill || c.Securebits != 0 {
		t.Fatalf("after execve as uid 1000: %+v securebits=%#x", c.Caps, c.Securebits)
	}
	if err := tg.DropBoundingCap(unix.CAP_CHOWN); err != unix.EPERM {
		t.Fatalf("bounding drop without CAP_SETPCAP: %v, want EPERM", err)
	}
	if err := tg.DropBoundingCap(LastCap + 1); err != unix.EINVAL {
		t.Fatalf("bounding drop of an unknown capability: %v, want EINVAL", err)
	}
}

func TestSetSecurebitsRules(t *testing.T) {
	tg := tgWith(Credentials{})
	if err := tg.SetSecurebits(1 << 8); err != unix.EPERM {
		t.Fatalf("an unknown bit: %v, want EPERM", err)
	}
	if err := tg.SetSecurebits(linux.SECBIT_KEEP_CAPS | linux.SECBIT_KEEP_CAPS_LOCKED); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetKeepCaps(false); err != unix.EPERM {
		t.Fatalf("PR_SET_KEEPCAPS with the bit locked: %v, want EPERM", err)
	}
	if err := tg.SetSecurebits(linux.SECBIT_KEEP_CAPS_LOCKED); err != unix.EPERM {
		t.Fatalf("clearing a locked bit: %v, want EPERM", err)
	}
	if err := tg.SetSecurebits(linux.SECBIT_KEEP_CAPS); err != unix.EPERM {
		t.Fatalf("clearing a lock: %v, want EPERM", err)
	}
	all := uint32(linux.SECURE_ALL_BITS | linux.SECURE_ALL_LOCKS)
	if err := tg.SetSecurebits(all); err != nil {
		t.Fatalf("setting every other bit and lock: %v", err)
	}
	if err := tg.SetSecurebits(all); err != nil {
		t.Fatalf("setting the same locked bits again: %v", err)
	}
	// execve clears KEEP_CAPS even when locked; the lock stays.
	tg.updateCreds(func(c *Credentials) error { c.execCreds(false); return nil })
	if c := tg.Creds(); c.Securebits != all&^linux.SECBIT_KEEP_CAPS {
		t.Fatalf("after execve: securebits %#x, want %#x", c.Securebits, all&^linux.SECBIT_KEEP_CAPS)
	}

	noPcap := tgWith(Credentials{})
	noPcap.SetCaps(AllCapabilities&^(1<<unix.CAP_SETPCAP), AllCapabilities, 0)
	if err := noPcap.SetSecurebits(linux.SECBIT_NOROOT); err != unix.EPERM {
		t.Fatalf("without CAP_SETPCAP: %v, want EPERM", err)
	}
}

func TestNoSetuidFixupKeepsSets(t *testing.T) {
	tg := tgWith(Credentials{})
	tg.SetCaps(AllCapabilities, AllCapabilities, bitKill)
	tg.SetAmbientCap(unix.CAP_KILL, true)
	if err := tg.SetSecurebits(linux.SECBIT_NO_SETUID_FIXUP); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetRESUID(1000, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	c := tg.Creds()
	if c.Caps.Effective != AllCapabilities || c.Caps.Permitted != AllCapabilities || c.Caps.Ambient != bitKill {
		t.Fatalf("after setresuid with NO_SETUID_FIXUP: %+v, want the sets unchanged", c.Caps)
	}
}

func TestNoRootExecAndAmbientRaise(t *testing.T) {
	tg := tgWith(Credentials{})
	tg.SetCaps(AllCapabilities, AllCapabilities, bitKill)
	if err := tg.SetSecurebits(linux.SECBIT_NOROOT | linux.SECBIT_NO_CAP_AMBIENT_RAISE); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetAmbientCap(unix.CAP_KILL, true); err != unix.EPERM {
		t.Fatalf("ambient raise with NO_CAP_AMBIENT_RAISE: %v, want EPERM", err)
	}
	if err := tg.SetAmbientCap(unix.CAP_KILL, false); err != nil {
		t.Fatalf("ambient lower with NO_CAP_AMBIENT_RAISE: %v", err)
	}
	tg.updateCreds(func(c *Credentials) error { c.execCreds(false); return nil })
	if c := tg.Creds(); c.Caps.Permitted != 0 || c.Caps.Effective != 0 || c.Caps.Inheritable != bitKill {
		t.Fatalf("root's execve with NOROOT: %+v, want no permitted or effective capability", c.Caps)
	}
}

func TestStartCapsAreAfterExecve(t *testing.T) {
	bitBind := uint64(1) << unix.CAP_NET_BIND_SERVICE
	three := bitChown | bitKill | bitBind
	for _, tc := range []struct {
		name     string
		uid      uint32
		nnp      bool
		sets     *CapSets
		prm, eff uint64
		inh, amb uint64
		bnd      uint64
	}{
		{name: "non-root, no ambient: nothing", uid: 1000,
			sets: &CapSets{Effective: three, Permitted: three, Inheritable: bitKill | bitChown, Bounding: three},
			inh:  bitKill | bitChown, bnd: three},
		{name: "non-root, ambient: the ambient set", uid: 1000,
			sets: &CapSets{Effective: three, Permitted: three, Inheritable: bitKill | bitChown, Bounding: three, Ambient: bitKill},
			prm:  bitKill, eff: bitKill, inh: bitKill | bitChown, amb: bitKill, bnd: three},
		{name: "root: the bounding set", uid: 0,
			sets: &CapSets{Effective: bitKill, Permitted: bitKill, Bounding: three},
			prm:  three, eff: three, bnd: three},
		{name: "root with no_new_privs: within permitted", uid: 0, nnp: true,
			sets: &CapSets{Effective: bitKill, Permitted: bitKill, Bounding: three},
			prm:  bitKill, eff: bitKill, bnd: three},
		{name: "root by default: everything", uid: 0, nnp: true,
			prm: AllCapabilities, eff: AllCapabilities, bnd: AllCapabilities},
		{name: "non-root by default: nothing", uid: 1000, bnd: AllCapabilities},
	} {
		got := StartCaps(tc.sets, tc.uid, tc.nnp)
		want := CapSets{Effective: tc.eff, Permitted: tc.prm, Inheritable: tc.inh, Bounding: tc.bnd, Ambient: tc.amb}
		if got != want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, want)
		}
	}
}

func TestExecveSetsSavedIDs(t *testing.T) {
	c := Credentials{RealUID: 1, EffectiveUID: 2, SavedUID: 3, RealGID: 4, EffectiveGID: 5, SavedGID: 6}
	c.execCreds(false)
	if c.SavedUID != 2 || c.SavedGID != 5 || c.RealUID != 1 || c.RealGID != 4 {
		t.Fatalf("after execve: %+v, want the saved ids to be the effective ones", c)
	}
}
