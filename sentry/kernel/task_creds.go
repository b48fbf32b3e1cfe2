package kernel

import "golang.org/x/sys/unix"

// Credential changes (set*uid, set*gid, setgroups), with Linux's permission rules.
//
// The privilege checks are CAP_SETUID and CAP_SETGID in the effective set; a uid change
// then applies capabilities(7)'s fix-ups to the capability sets (task_caps.go).

// noID is the "leave unchanged" value of set*id arguments (-1).
const noID = ^uint32(0)

// NGroupsMax is NGROUPS_MAX.
const NGroupsMax = 65536

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
// follow the same rules; the privilege check is CAP_SETUID or CAP_SETGID.
type ids func(c *Credentials) (real, effective, saved *uint32)

func uids(c *Credentials) (*uint32, *uint32, *uint32) {
	return &c.RealUID, &c.EffectiveUID, &c.SavedUID
}

func gids(c *Credentials) (*uint32, *uint32, *uint32) {
	return &c.RealGID, &c.EffectiveGID, &c.SavedGID
}

// privileged reports whether c may set the ids sel selects to arbitrary values.
func (c *Credentials) privileged(sel ids) bool {
	r, _, _ := sel(c)
	if r == &c.RealUID {
		return c.HasCap(unix.CAP_SETUID)
	}
	return c.HasCap(unix.CAP_SETGID)
}

// updateIDs is updateCreds for the set*id calls: a uid change also applies the capability
// fix-ups.
func (tg *ThreadGroup) updateIDs(sel ids, f func(c *Credentials) error) error {
	return tg.updateCreds(func(c *Credentials) error {
		old := *c
		if err := f(c); err != nil {
			return err
		}
		r, _, _ := sel(c)
		if r == &c.RealUID {
			c.fixupUIDCaps(&old)
		}
		return nil
	})
}

// setID implements setuid(2)/setgid(2): privileged, all three; otherwise only the effective
// id, to the real or saved one.
func (tg *ThreadGroup) setID(sel ids, id uint32) error {
	if id == noID {
		return unix.EINVAL
	}
	return tg.updateIDs(sel, func(c *Credentials) error {
		r, e, s := sel(c)
		switch {
		case c.privileged(sel):
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
	return tg.updateIDs(sel, func(c *Credentials) error {
		r, e, s := sel(c)
		if !c.privileged(sel) {
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
	return tg.updateIDs(sel, func(c *Credentials) error {
		r, e, s := sel(c)
		if !c.privileged(sel) {
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
		if !c.HasCap(unix.CAP_SETGID) {
			return unix.EPERM
		}
		c.Groups = append([]uint32(nil), groups...)
		return nil
	})
}
