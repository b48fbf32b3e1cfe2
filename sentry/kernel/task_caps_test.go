package kernel

import (
	"testing"

	"golang.org/x/sys/unix"
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
	tg.updateCreds(func(c *Credentials) error { c.execCaps(); return nil })
	if c := tg.Creds(); c.Caps.Permitted != bitKill || c.Caps.Effective != bitKill || c.KeepCaps {
		t.Fatalf("after execve as uid 1000: %+v keep=%v", c.Caps, c.KeepCaps)
	}
	if err := tg.DropBoundingCap(unix.CAP_CHOWN); err != unix.EPERM {
		t.Fatalf("bounding drop without CAP_SETPCAP: %v, want EPERM", err)
	}
	if err := tg.DropBoundingCap(LastCap + 1); err != unix.EINVAL {
		t.Fatalf("bounding drop of an unknown capability: %v, want EINVAL", err)
	}
}
