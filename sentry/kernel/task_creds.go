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

// SetUID implements setuid(2).
func (tg *ThreadGroup) SetUID(uid uint32) error {
	if uid == noID {
		return unix.EINVAL
	}
	return tg.updateCreds(func(c *Credentials) error {
		switch {
		case c.privileged():
			c.RealUID, c.EffectiveUID, c.SavedUID = uid, uid, uid
		case oneOf(uid, c.RealUID, c.SavedUID):
			c.EffectiveUID = uid
		default:
			return unix.EPERM
		}
		return nil
	})
}

// SetGID implements setgid(2).
func (tg *ThreadGroup) SetGID(gid uint32) error {
	if gid == noID {
		return unix.EINVAL
	}
	return tg.updateCreds(func(c *Credentials) error {
		switch {
		case c.privileged():
			c.RealGID, c.EffectiveGID, c.SavedGID = gid, gid, gid
		case oneOf(gid, c.RealGID, c.SavedGID):
			c.EffectiveGID = gid
		default:
			return unix.EPERM
		}
		return nil
	})
}

// SetRESUID implements setresuid(2); noID leaves a value unchanged.
func (tg *ThreadGroup) SetRESUID(r, e, s uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		if !c.privileged() {
			for _, v := range []uint32{r, e, s} {
				if v != noID && !oneOf(v, c.RealUID, c.EffectiveUID, c.SavedUID) {
					return unix.EPERM
				}
			}
		}
		if r != noID {
			c.RealUID = r
		}
		if e != noID {
			c.EffectiveUID = e
		}
		if s != noID {
			c.SavedUID = s
		}
		return nil
	})
}

// SetRESGID implements setresgid(2).
func (tg *ThreadGroup) SetRESGID(r, e, s uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		if !c.privileged() {
			for _, v := range []uint32{r, e, s} {
				if v != noID && !oneOf(v, c.RealGID, c.EffectiveGID, c.SavedGID) {
					return unix.EPERM
				}
			}
		}
		if r != noID {
			c.RealGID = r
		}
		if e != noID {
			c.EffectiveGID = e
		}
		if s != noID {
			c.SavedGID = s
		}
		return nil
	})
}

// SetREUID implements setreuid(2): an unprivileged caller may set the real uid to the real
// or effective uid, and the effective uid to the real, effective or saved uid. The saved uid
// becomes the new effective uid when the real uid is set, or the effective uid is set to a
// value other than the old real uid.
func (tg *ThreadGroup) SetREUID(r, e uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		if !c.privileged() {
			if r != noID && !oneOf(r, c.RealUID, c.EffectiveUID) {
				return unix.EPERM
			}
			if e != noID && !oneOf(e, c.RealUID, c.EffectiveUID, c.SavedUID) {
				return unix.EPERM
			}
		}
		oldReal := c.RealUID
		if r != noID {
			c.RealUID = r
		}
		if e != noID {
			c.EffectiveUID = e
		}
		if r != noID || (e != noID && e != oldReal) {
			c.SavedUID = c.EffectiveUID
		}
		return nil
	})
}

// SetREGID implements setregid(2), with setreuid's rules for groups.
func (tg *ThreadGroup) SetREGID(r, e uint32) error {
	return tg.updateCreds(func(c *Credentials) error {
		if !c.privileged() {
			if r != noID && !oneOf(r, c.RealGID, c.EffectiveGID) {
				return unix.EPERM
			}
			if e != noID && !oneOf(e, c.RealGID, c.EffectiveGID, c.SavedGID) {
				return unix.EPERM
			}
		}
		oldReal := c.RealGID
		if r != noID {
			c.RealGID = r
		}
		if e != noID {
			c.EffectiveGID = e
		}
		if r != noID || (e != noID && e != oldReal) {
			c.SavedGID = c.EffectiveGID
		}
		return nil
	})
}

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
