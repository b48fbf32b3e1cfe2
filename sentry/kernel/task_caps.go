package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// Capability sets (capabilities(7)), without file capabilities (the sandbox has none, so an
// execve never gains capabilities from the file), and the securebits of Linux 6.1 that
// change the rules for uid 0: SECBIT_NOROOT (execve gives root no capabilities),
// SECBIT_NO_SETUID_FIXUP (uid changes leave the sets alone), SECBIT_KEEP_CAPS (leaving uid 0
// keeps the permitted set) and SECBIT_NO_CAP_AMBIENT_RAISE, each frozen by its _LOCKED bit.
// The sets and bits live in Credentials and change under ThreadGroup.credsMu like the ids.

// LastCap is CAP_LAST_CAP of Linux 6.1 (CAP_CHECKPOINT_RESTORE).
const LastCap = 40

// AllCapabilities is every capability Linux 6.1 knows: uid 0's sets by default.
const AllCapabilities = uint64(1)<<(LastCap+1) - 1

// CapSets are a process's five capability sets, as bit masks of CAP_* numbers.
type CapSets struct {
	Effective, Permitted, Inheritable, Bounding, Ambient uint64
}

// DefaultCapSets are the sets of a process started with uid and no configured sets: uid 0
// holds every capability, any other uid none; the bounding set is full either way.
func DefaultCapSets(uid uint32) CapSets {
	s := CapSets{Bounding: AllCapabilities}
	if uid == 0 {
		s.Effective, s.Permitted = AllCapabilities, AllCapabilities
	}
	return s
}

// capsOrDefault returns the configured sets s, normalized, or uid's default sets.
func capsOrDefault(s *CapSets, uid uint32) CapSets {
	if s == nil {
		return DefaultCapSets(uid)
	}
	return s.Normalize()
}

// Normalize restricts s to Linux's invariants: only known capabilities, the effective set
// within the permitted one, the ambient set within both permitted and inheritable.
func (s CapSets) Normalize() CapSets {
	s.Effective &= AllCapabilities
	s.Permitted &= AllCapabilities
	s.Inheritable &= AllCapabilities
	s.Bounding &= AllCapabilities
	s.Effective &= s.Permitted
	s.Ambient &= s.Permitted & s.Inheritable
	return s
}

// HasCap reports whether c holds capability cp in its effective set.
func (c Credentials) HasCap(cp int) bool {
	return cp >= 0 && cp <= LastCap && c.Caps.Effective&(1<<uint(cp)) != 0
}

// Capabilities returns c's effective, permitted and inheritable sets.
func (c *Credentials) Capabilities() (effective, permitted, inheritable uint64) {
	return c.Caps.Effective, c.Caps.Permitted, c.Caps.Inheritable
}

// secure reports whether securebit bit is set in c.
func (c *Credentials) secure(bit uint32) bool { return c.Securebits&bit != 0 }

// fixupUIDCaps applies capabilities(7)'s rules for a uid change from old to c, unless
// SECBIT_NO_SETUID_FIXUP: leaving uid 0 for all of real, effective and saved clears the
// permitted and effective sets (unless SECBIT_KEEP_CAPS) and the ambient set; an effective
// uid leaving 0 clears the effective set, one becoming 0 gets the permitted set as
// effective.
func (c *Credentials) fixupUIDCaps(old *Credentials) {
	if c.secure(linux.SECBIT_NO_SETUID_FIXUP) {
		return
	}
	wasRoot := old.RealUID == 0 || old.EffectiveUID == 0 || old.SavedUID == 0
	if wasRoot && c.RealUID != 0 && c.EffectiveUID != 0 && c.SavedUID != 0 {
		if !c.secure(linux.SECBIT_KEEP_CAPS) {
			c.Caps.Permitted, c.Caps.Effective = 0, 0
		}
		c.Caps.Ambient = 0
	}
	if old.EffectiveUID == 0 && c.EffectiveUID != 0 {
		c.Caps.Effective = 0
	}
	if old.EffectiveUID != 0 && c.EffectiveUID == 0 {
		c.Caps.Effective = c.Caps.Permitted
	}
}

// execCreds recomputes the credentials for an execve of a file without capabilities or
// set-id bits (cap_bprm_creds_from_file): root (real or effective uid 0, unless
// SECBIT_NOROOT) gets the bounding and inheritable sets as permitted, anyone else nothing;
// with no_new_privs the permitted set cannot grow beyond the old one; the ambient set is
// added; the effective set is the permitted one for an effective root, else the ambient
// set. SECBIT_KEEP_CAPS is cleared (its lock stays); the saved ids become the effective
// ones.
func (c *Credentials) execCreds(noNewPrivs bool) {
	s := &c.Caps
	root := (c.RealUID == 0 || c.EffectiveUID == 0) && !c.secure(linux.SECBIT_NOROOT)
	var permitted uint64
	if root {
		permitted = s.Bounding | s.Inheritable
	}
	if noNewPrivs && permitted&^s.Permitted != 0 {
		permitted &= s.Permitted
	}
	s.Permitted = permitted | s.Ambient
	if root && c.EffectiveUID == 0 {
		s.Effective = s.Permitted
	} else {
		s.Effective = s.Ambient
	}
	c.Securebits &^= linux.SECBIT_KEEP_CAPS
	c.SavedUID, c.SavedGID = c.EffectiveUID, c.EffectiveGID
}

// StartCaps are the sets of a process the runtime starts with uid and the configured sets
// s (nil: uid's defaults) once it runs its executable. As runc's init does, the sets are
// applied as given and the executable's execve then recomputes them (execCreds): a non-root
// process keeps only its ambient set as permitted and effective; root's permitted set is
// its bounding and inheritable sets (within the configured permitted set under
// no_new_privs).
func StartCaps(s *CapSets, uid uint32, noNewPrivs bool) CapSets {
	c := Credentials{RealUID: uid, EffectiveUID: uid, SavedUID: uid, Caps: capsOrDefault(s, uid)}
	c.execCreds(noNewPrivs)
	return c.Caps
}

// startCreds are the credentials of a process the runtime starts (init, or one spawned by
// exec or for a joined container): uid and gid as real, effective and saved ids, a copy of
// groups, and the capability sets of StartCaps.
func startCreds(uid, gid uint32, groups []uint32, caps *CapSets, noNewPrivs bool) Credentials {
	return Credentials{
		RealUID: uid, EffectiveUID: uid, SavedUID: uid,
		RealGID: gid, EffectiveGID: gid, SavedGID: gid,
		Groups: append([]uint32(nil), groups...),
		Caps:   StartCaps(caps, uid, noNewPrivs),
	}
}

// SetCaps implements capset(2)'s rules: the new permitted set must be within the old one,
// the new effective set within the new permitted one, and the new inheritable set within
// the old inheritable plus permitted sets (without CAP_SETPCAP) and always within the old
// inheritable plus bounding sets. The ambient set loses what is no longer in both
// permitted and inheritable. EPERM otherwise.
func (tg *ThreadGroup) SetCaps(effective, permitted, inheritable uint64) error {
	return tg.updateCreds(func(c *Credentials) error {
		s := &c.Caps
		if !c.HasCap(unix.CAP_SETPCAP) && inheritable&^(s.Inheritable|s.Permitted) != 0 {
			return unix.EPERM
		}
		if inheritable&^(s.Inheritable|s.Bounding) != 0 {
			return unix.EPERM
		}
		if permitted&^s.Permitted != 0 || effective&^permitted != 0 {
			return unix.EPERM
		}
		s.Effective, s.Permitted, s.Inheritable = effective, permitted, inheritable
		s.Ambient &= permitted & inheritable
		return nil
	})
}

// DropBoundingCap implements PR_CAPBSET_DROP: CAP_SETPCAP is required (EPERM), cp must be a
// known capability (EINVAL).
func (tg *ThreadGroup) DropBoundingCap(cp int) error {
	return tg.updateCreds(func(c *Credentials) error {
		if cp < 0 || cp > LastCap {
			return unix.EINVAL
		}
		if !c.HasCap(unix.CAP_SETPCAP) {
			return unix.EPERM
		}
		c.Caps.Bounding &^= 1 << uint(cp)
		return nil
	})
}

// SetAmbientCap implements PR_CAP_AMBIENT_RAISE and _LOWER: a capability can be raised only
// while it is both permitted and inheritable and SECBIT_NO_CAP_AMBIENT_RAISE is clear
// (EPERM); cp must be known (EINVAL).
func (tg *ThreadGroup) SetAmbientCap(cp int, raise bool) error {
	return tg.updateCreds(func(c *Credentials) error {
		if cp < 0 || cp > LastCap {
			return unix.EINVAL
		}
		bit := uint64(1) << uint(cp)
		if !raise {
			c.Caps.Ambient &^= bit
			return nil
		}
		if c.Caps.Permitted&bit == 0 || c.Caps.Inheritable&bit == 0 || c.secure(linux.SECBIT_NO_CAP_AMBIENT_RAISE) {
			return unix.EPERM
		}
		c.Caps.Ambient |= bit
		return nil
	})
}

// ClearAmbientCaps implements PR_CAP_AMBIENT_CLEAR_ALL.
func (tg *ThreadGroup) ClearAmbientCaps() {
	tg.updateCreds(func(c *Credentials) error {
		c.Caps.Ambient = 0
		return nil
	})
}

// SetKeepCaps implements PR_SET_KEEPCAPS: EPERM once SECBIT_KEEP_CAPS_LOCKED is set.
func (tg *ThreadGroup) SetKeepCaps(keep bool) error {
	return tg.updateCreds(func(c *Credentials) error {
		if c.secure(linux.SECBIT_KEEP_CAPS_LOCKED) {
			return unix.EPERM
		}
		if keep {
			c.Securebits |= linux.SECBIT_KEEP_CAPS
		} else {
			c.Securebits &^= linux.SECBIT_KEEP_CAPS
		}
		return nil
	})
}

// SetSecurebits implements PR_SET_SECUREBITS: EPERM without CAP_SETPCAP, for a bit Linux
// 6.1 does not know, for a change to a locked bit, and for clearing a lock.
func (tg *ThreadGroup) SetSecurebits(bits uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		locks := c.Securebits & linux.SECURE_ALL_LOCKS
		if (locks>>1)&(c.Securebits^bits) != 0 || locks&^bits != 0 ||
			bits&^(linux.SECURE_ALL_BITS|linux.SECURE_ALL_LOCKS) != 0 || !c.HasCap(unix.CAP_SETPCAP) {
			return unix.EPERM
		}
		c.Securebits = bits
		return nil
	})
}
