package kernel

import "golang.org/x/sys/unix"

// Credential changes (set*uid, set*gid, setgroups), with Linux's permission rules.
//
// Capabilities follow the effective uid: a process whose effective uid is 0 holds every
// capability, any other holds none. That is what Linux's capability fix-ups produce for
// the set*id calls (dropping euid 0 clears the effective set; all three uids non-zero
// clears the permitted set, so euid 0 can only come back while the real or saved uid is
// 0), without SECBIT_* or file capabilities, which the sandbox does not support.

// noID is the "leave unchanged" value of set*id arguments (-1).
const noID = ^uint32(0)

// NGroupsMax is NGROUPS_MAX.
const NGroupsMax = 65536

// privileged reports whether c holds CAP_SETUID/CAP_SETGID.
func (c *Credentials) privileged() bool { return c.EffectiveUID == 0 }

// updateCreds applies f to a copy of the credentials under the lock.
func (tg *ThreadGroup) updateCreds(f func(c *Credentials) error) error {
	tg.credsMu.Lock()
	defer tg.credsMu.Unlock()
	c := tg.creds
	if err := f(&c); err != nil {
		return err
	}
	tg.creds = c
	return nil
}

func oneOf(v uint32, set ...uint32) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// ids selects the uid or the gid triple of credentials: the set*uid and set*gid calls
// follow the same rules, and the privilege check is CAP_SETUID or CAP_SETGID (both held
// exactly when the effective uid is 0).
type ids func(c *Credentials) (real, effective, saved *uint32)

func uids(c *Credentials) (*uint32, *uint32, *uint32) {
	return &c.RealUID, &c.EffectiveUID, &c.SavedUID
}

func gids(c *Credentials) (*uint32, *uint32, *uint32) {
	return &c.RealGID, &c.EffectiveGID, &c.SavedGID
}

// setID implements setuid(2)/setgid(2): privileged, all three; otherwise only the effective
// id, to the real or saved one.
func (tg *ThreadGroup) setID(sel ids, id uint32) error {
	if id == noID {
		return unix.EINVAL
	}
	return tg.updateCreds(func(c *Credentials) error {
		r, e, s := sel(c)
		switch {
		case c.privileged():
			*r, *e, *s = id, id, id
		case oneOf(id, *r, *s):
			*e = id
		default:
			return unix.EPERM
		}
		return nil
	})
}

// setRES implements setresuid(2)/setresgid(2); noID leaves a value unchanged. Unprivileged,
// each new value must be one of the current three.
func (tg *ThreadGroup) setRES(sel ids, nr, ne, ns uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		r, e, s := sel(c)
		if !c.privileged() {
			for _, v := range []uint32{nr, ne, ns} {
				if v != noID && !oneOf(v, *r, *e, *s) {
					return unix.EPERM
				}
			}
		}
		for _, p := range []struct {
			dst *uint32
			v   uint32
		}{{r, nr}, {e, ne}, {s, ns}} {
			if p.v != noID {
				*p.dst = p.v
			}
		}
		return nil
	})
}

// setRE implements setreuid(2)/setregid(2): unprivileged, the real id may become the real or
// effective one, and the effective id the real, effective or saved one. The saved id becomes
// the new effective id when the real id is set, or the effective id is set to a value other
// than the old real id.
func (tg *ThreadGroup) setRE(sel ids, nr, ne uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		r, e, s := sel(c)
		if !c.privileged() {
			if nr != noID && !oneOf(nr, *r, *e) {
				return unix.EPERM
			}
			if ne != noID && !oneOf(ne, *r, *e, *s) {
				return unix.EPERM
			}
		}
		oldReal := *r
		if nr != noID {
			*r = nr
		}
		if ne != noID {
			*e = ne
		}
		if nr != noID || (ne != noID && ne != oldReal) {
			*s = *e
		}
		return nil
	})
}

// SetUID implements setuid(2).
func (tg *ThreadGroup) SetUID(uid uint32) error { return tg.setID(uids, uid) }

// SetGID implements setgid(2).
func (tg *ThreadGroup) SetGID(gid uint32) error { return tg.setID(gids, gid) }

// SetRESUID implements setresuid(2).
func (tg *ThreadGroup) SetRESUID(r, e, s uint32) error { return tg.setRES(uids, r, e, s) }

// SetRESGID implements setresgid(2).
func (tg *ThreadGroup) SetRESGID(r, e, s uint32) error { return tg.setRES(gids, r, e, s) }

// SetREUID implements setreuid(2).
func (tg *ThreadGroup) SetREUID(r, e uint32) error { return tg.setRE(uids, r, e) }

// SetREGID implements setregid(2).
func (tg *ThreadGroup) SetREGID(r, e uint32) error { return tg.setRE(gids, r, e) }

// SetGroups implements setgroups(2).
func (tg *ThreadGroup) SetGroups(groups []uint32) error {
	if len(groups) > NGroupsMax {
		return unix.EINVAL
	}
	return tg.updateCreds(func(c *Credentials) error {
		if !c.privileged() {
			return unix.EPERM
		}
		c.Groups = append([]uint32(nil), groups...)
		return nil
	})
}

// AllCapabilities is every capability Linux 6.1 knows (CAP_LAST_CAP is 40), the set of
// uid 0.
const AllCapabilities = uint64(1)<<41 - 1

// Capabilities returns c's effective, permitted and inheritable sets under the sandbox's
// model (see the top of this file): effective is every capability while the effective uid
// is 0; permitted while any of the three uids is 0 (setresuid can still regain euid 0);
// inheritable is always empty (no file capabilities to pass them to).
func (c *Credentials) Capabilities() (effective, permitted, inheritable uint64) {
	if c.EffectiveUID == 0 {
		effective = AllCapabilities
	}
	if c.RealUID == 0 || c.EffectiveUID == 0 || c.SavedUID == 0 {
		permitted = AllCapabilities
	}
	return effective, permitted, 0
}
