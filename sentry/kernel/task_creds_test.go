package kernel

import (
	"testing"

	"golang.org/x/sys/unix"
)

func tgWith(c Credentials) *ThreadGroup {
	c.Caps = DefaultCapSets(c.EffectiveUID)
	return &ThreadGroup{creds: c}
}

func TestRootSetUIDDropsEverything(t *testing.T) {
	tg := tgWith(Credentials{})
	if err := tg.SetUID(1000); err != nil {
		t.Fatal(err)
	}
	c := tg.Creds()
	if c.RealUID != 1000 || c.EffectiveUID != 1000 || c.SavedUID != 1000 {
		t.Fatalf("creds %+v, want all 1000", c)
	}
	if err := tg.SetUID(0); err != unix.EPERM {
		t.Fatalf("regaining root: %v, want EPERM", err)
	}
}

func TestSavedUIDAllowsSwitchingBack(t *testing.T) {
	tg := tgWith(Credentials{})
	if err := tg.SetRESUID(noID, 1000, noID); err != nil { // euid 1000, ruid=suid=0
		t.Fatal(err)
	}
	if err := tg.SetRESUID(noID, 2000, noID); err != unix.EPERM {
		t.Fatalf("unprivileged switch to a foreign uid: %v, want EPERM", err)
	}
	if err := tg.SetRESUID(noID, 0, noID); err != nil {
		t.Fatalf("switching back to the saved/real uid 0: %v", err)
	}
	if c := tg.Creds(); c.EffectiveUID != 0 {
		t.Fatalf("euid %d, want 0", c.EffectiveUID)
	}
}

func TestSetREUIDUpdatesSavedUID(t *testing.T) {
	tg := tgWith(Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000})
	if err := tg.SetREUID(noID, 1000); err != nil {
		t.Fatal(err)
	}
	tg = tgWith(Credentials{})
	if err := tg.SetREUID(1000, 2000); err != nil {
		t.Fatal(err)
	}
	if c := tg.Creds(); c.RealUID != 1000 || c.EffectiveUID != 2000 || c.SavedUID != 2000 {
		t.Fatalf("creds %+v, want r=1000 e=s=2000", c)
	}
	if err := tg.SetREUID(3000, noID); err != unix.EPERM {
		t.Fatalf("unprivileged real uid change to a foreign uid: %v, want EPERM", err)
	}
}

func TestSetGroupsNeedsPrivilege(t *testing.T) {
	tg := tgWith(Credentials{EffectiveUID: 1000})
	if err := tg.SetGroups([]uint32{1}); err != unix.EPERM {
		t.Fatalf("setgroups as uid 1000: %v, want EPERM", err)
	}
	tg = tgWith(Credentials{})
	if err := tg.SetGroups(make([]uint32, NGroupsMax+1)); err != unix.EINVAL {
		t.Fatalf("too many groups: %v, want EINVAL", err)
	}
	if err := tg.SetGroups([]uint32{5, 6}); err != nil || len(tg.Creds().Groups) != 2 {
		t.Fatalf("setgroups as root: %v %v", err, tg.Creds().Groups)
	}
}

func TestMayKillFollowsKillOKByCred(t *testing.T) {
	sender := tgWith(Credentials{RealUID: 1000, EffectiveUID: 1500, SavedUID: 1000})
	for _, tc := range []struct {
		name             string
		real, eff, saved uint32
		want             bool
	}{
		{"real uid is the target's real", 1000, 7, 7, true},
		{"real uid is the target's saved", 7, 7, 1000, true},
		{"effective uid is the target's real", 1500, 7, 7, true},
		{"effective uid is the target's saved", 7, 7, 1500, true},
		{"the target's effective uid does not count", 7, 1000, 7, false},
		{"another user", 2000, 2000, 2000, false},
	} {
		target := tgWith(Credentials{RealUID: tc.real, EffectiveUID: tc.eff, SavedUID: tc.saved})
		if got := sender.MayKill(target, int(unix.SIGTERM)); got != tc.want {
			t.Errorf("%s: MayKill = %v, want %v", tc.name, got, tc.want)
		}
	}
	other := tgWith(Credentials{RealUID: 2000, EffectiveUID: 2000, SavedUID: 2000})
	if !other.MayKill(other, int(unix.SIGKILL)) {
		t.Error("a process may not signal itself")
	}
	killer := tgWith(Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000})
	killer.creds.Caps.Effective = 1 << unix.CAP_KILL
	if !killer.MayKill(other, 0) {
		t.Error("CAP_KILL does not allow signalling another user")
	}
}
