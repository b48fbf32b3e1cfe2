package tty

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Controlling terminals and job control (tty_jobctrl.c's rules).

// isCttyOf reports whether tm is the controlling terminal of t's session.
func (tm *Terminal) isCttyOf(t *kernel.Task) bool {
	return t != nil && t.ThreadGroup().ControllingTerminal() == kernel.ControllingTerminal(tm)
}

// checkBackground is __tty_check_change: a process of a background group of the
// terminal's session using it gets sig (SIGTTIN for reads, SIGTTOU for writes with TOSTOP
// and settings changes) sent to its whole group, and the syscall restarts once the group
// is continued. A process that blocks or ignores sig is let through, except that a read
// fails with EIO; so does any access from an orphaned group, which nothing would continue.
func (tm *Terminal) checkBackground(t *kernel.Task, sig int) error {
	if !tm.isCttyOf(t) {
		return nil
	}
	tm.mu.Lock()
	fg := tm.fg
	tm.mu.Unlock()
	pg := t.ThreadGroup().ProcessGroup()
	if fg == nil || pg == nil || pg == fg {
		return nil
	}
	if t.SignalIgnoredOrBlocked(sig) {
		if sig == int(unix.SIGTTIN) {
			return unix.EIO
		}
		return nil
	}
	if tm.k.IsOrphaned(pg) {
		return unix.EIO
	}
	tm.k.SignalProcessGroup(pg, sig)
	// The signal stops the group at the delivery point (signal_jobctl.go), and the syscall
	// is made again once the group is continued.
	return kernel.ERESTARTSYS
}

// OpenedBy is called when t opens the slave side (or /dev/tty) with the open flags: a
// session leader without a controlling terminal opening a terminal that is nobody's
// without O_NOCTTY acquires it, with its process group in the foreground.
func (tm *Terminal) OpenedBy(t *kernel.Task, flags uint32) {
	if t == nil || flags&unix.O_NOCTTY != 0 {
		return
	}
	tg := t.ThreadGroup()
	if !tg.IsSessionLeader() {
		return
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.session != nil {
		return
	}
	s := tg.Session()
	if s == nil || !tm.k.SwapSessionTerminal(s, nil, tm) {
		return
	}
	tm.session, tm.fg = s, tg.ProcessGroup()
}

// SetControllingTerminal is TIOCSCTTY: the caller, a session leader without a controlling
// terminal, acquires tm. A terminal that is another session's is taken from it only if
// steal is set and the caller is privileged; a caller that has the file open only for
// writing needs privilege too.
func (tm *Terminal) SetControllingTerminal(t *kernel.Task, steal, readable, privileged bool) error {
	tg := t.ThreadGroup()
	s := tg.Session()
	if s == nil {
		return unix.EPERM
	}
	tm.mu.Lock()
	if tg.IsSessionLeader() && tm.session == s {
		tm.mu.Unlock()
		return nil
	}
	if !tg.IsSessionLeader() || tm.k.SessionTerminal(s) != nil {
		tm.mu.Unlock()
		return unix.EPERM
	}
	if !readable && !privileged {
		tm.mu.Unlock()
		return unix.EPERM
	}
	if old := tm.session; old != nil {
		if !steal || !privileged {
			tm.mu.Unlock()
			return unix.EPERM
		}
		tm.k.SwapSessionTerminal(old, tm, nil)
	}
	if !tm.k.SwapSessionTerminal(s, nil, tm) {
		tm.mu.Unlock()
		return unix.EPERM
	}
	tm.session, tm.fg = s, tg.ProcessGroup()
	tm.mu.Unlock()
	return nil
}

// SetControllingSession makes tm the controlling terminal of session s with foreground
// group fg, as the runtime does for a container's init on its console before it runs.
func (tm *Terminal) SetControllingSession(s *kernel.Session, fg *kernel.ProcessGroup) error {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.session != nil || !tm.k.SwapSessionTerminal(s, nil, tm) {
		return unix.EPERM
	}
	tm.session, tm.fg = s, fg
	return nil
}

// releaseControllingTerminal is TIOCNOTTY: a session leader gives its terminal up, which
// sends SIGHUP and SIGCONT to the foreground group and leaves the whole session without
// it; another process only stops having it itself.
func (tm *Terminal) releaseControllingTerminal(t *kernel.Task) error {
	if !tm.isCttyOf(t) {
		return unix.ENOTTY
	}
	tg := t.ThreadGroup()
	if !tg.IsSessionLeader() {
		tg.DetachControllingTerminal()
		return nil
	}
	tm.disassociate(tg.Session())
	return nil
}

// SignalForeground sends sig to the foreground process group, if there is one (TIOCSIG).
func (tm *Terminal) SignalForeground(sig int) {
	tm.mu.Lock()
	fg := tm.fg
	tm.mu.Unlock()
	if fg != nil {
		tm.k.SignalProcessGroup(fg, sig)
	}
}

// foreground returns the foreground process group's id in ns for TIOCGPGRP (0: none, or
// not visible in ns).
func (tm *Terminal) foreground(ns *kernel.PIDNamespace) int32 {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ns.IDOfProcessGroup(tm.fg)
}

// setForeground is TIOCSPGRP: the caller's controlling terminal must be tm, and pgid a
// process group of its session.
func (tm *Terminal) setForeground(t *kernel.Task, pgid int32) error {
	if err := tm.checkBackground(t, int(unix.SIGTTOU)); err != nil {
		if err == unix.EIO {
			return unix.ENOTTY
		}
		return err
	}
	if !tm.isCttyOf(t) {
		return unix.ENOTTY
	}
	if pgid < 0 {
		return unix.EINVAL
	}
	pg := t.PIDNamespace().ProcessGroupWithID(pgid)
	if pg == nil {
		return unix.ESRCH
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.session == nil || pg.Session() != tm.session {
		return unix.EPERM
	}
	tm.fg = pg
	return nil
}

// sessionID is TIOCGSID, the session's id in ns: ENOTTY if the terminal controls no
// session.
func (tm *Terminal) sessionID(ns *kernel.PIDNamespace) (int32, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.session == nil {
		return 0, unix.ENOTTY
	}
	return ns.IDOfSession(tm.session), nil
}
