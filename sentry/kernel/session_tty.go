package kernel

// Controlling terminals: what the kernel keeps for the terminal layer (sentry/tty).
//
// A session has at most one controlling terminal; the terminal itself records its session
// and foreground process group. The kernel only stores the session's side (Session.ctty,
// guarded by Kernel.mu, and a process's opting out of it, tgProc.noCtty) and offers the process-tree queries the terminal's job-control
// rules need; the rules themselves live with the terminal. The terminal's own lock is
// taken before Kernel.mu, never after: the kernel calls into a terminal only with no
// kernel lock held (the session leader's exit, below).

// ControllingTerminal is a terminal that can be a session's controlling terminal.
type ControllingTerminal interface {
	// SessionLeaderExited is called, with no kernel lock held, when the leader of a
	// session whose controlling terminal this is exits: the terminal hangs up its
	// foreground process group and forgets the session.
	SessionLeaderExited(s *Session)
}

func init() {
	RegisterProcessExitHook(func(tg *ThreadGroup) {
		k := tg.k
		k.mu.Lock()
		var s *Session
		var tty ControllingTerminal
		if pg := tg.proc.pgrp; pg != nil && pg.session.sid == tg.tgid {
			s, tty = pg.session, pg.session.ctty
		}
		k.mu.Unlock()
		if tty != nil {
			tty.SessionLeaderExited(s)
		}
	})
}

// Session returns the process's session (nil once it has been reaped).
func (tg *ThreadGroup) Session() *Session {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if pg := tg.proc.pgrp; pg != nil {
		return pg.session
	}
	return nil
}

// ProcessGroup returns the process's group (nil once it has been reaped).
func (tg *ThreadGroup) ProcessGroup() *ProcessGroup {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.proc.pgrp
}

// IsSessionLeader reports whether the process leads its session.
func (tg *ThreadGroup) IsSessionLeader() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	pg := tg.proc.pgrp
	return pg != nil && pg.session.sid == tg.tgid
}

// Session returns the session the group belongs to.
func (pg *ProcessGroup) Session() *Session { return pg.session }

// ControllingTerminal returns the process's controlling terminal: its session's, unless it
// gave it up (DetachControllingTerminal); nil if none.
func (tg *ThreadGroup) ControllingTerminal() ControllingTerminal {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if pg := tg.proc.pgrp; pg != nil && !tg.proc.noCtty {
		return pg.session.ctty
	}
	return nil
}

// DetachControllingTerminal makes the process, and the children it forks from now on, be
// without its session's controlling terminal (TIOCNOTTY by a process that does not lead
// its session; Linux keeps the controlling terminal per process). setsid ends it.
func (tg *ThreadGroup) DetachControllingTerminal() {
	tg.k.mu.Lock()
	tg.proc.noCtty = true
	tg.k.mu.Unlock()
}

// SessionTerminal returns s's controlling terminal, or nil.
func (k *Kernel) SessionTerminal(s *Session) ControllingTerminal {
	k.mu.Lock()
	defer k.mu.Unlock()
	return s.ctty
}

// SwapSessionTerminal sets s's controlling terminal to new if it is old now, and reports
// whether it did. The terminal layer calls it with its own lock held.
func (k *Kernel) SwapSessionTerminal(s *Session, old, new ControllingTerminal) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s.ctty != old {
		return false
	}
	s.ctty = new
	return true
}

// ProcessGroupByID returns the process group pgid if it has members, else nil.
func (k *Kernel) ProcessGroupByID(pgid int32) *ProcessGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.root.pgrps[pgid]
}

// ProcessGroupAlive reports whether pg still has members.
func (k *Kernel) ProcessGroupAlive(pg *ProcessGroup) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.root.pgrps[pg.pgid] == pg
}

// SignalProcessGroup sends sig, as the kernel (SI_KERNEL), to every live process of pg:
// what a terminal does for ^C, SIGWINCH and hangups.
func (k *Kernel) SignalProcessGroup(pg *ProcessGroup, sig int) {
	k.mu.Lock()
	members := make([]*ThreadGroup, 0, len(pg.members))
	for tg := range pg.members {
		if !tg.proc.zombie {
			members = append(members, tg)
		}
	}
	k.mu.Unlock()
	for _, tg := range members {
		if l := tg.Leader(); l != nil {
			l.SendSignal(sig, true)
		}
	}
}

// IsOrphaned reports whether pg is an orphaned process group (POSIX: the parent of every
// live member is either in the group or in another session): a terminal refuses
// job-control stops to one. As in a container, the sandbox's init is an ordinary parent
// (Linux exempts only the global init).
func (k *Kernel) IsOrphaned(pg *ProcessGroup) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return pg.orphanedLocked(nil)
}
