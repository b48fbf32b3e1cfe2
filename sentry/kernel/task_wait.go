package kernel

import (
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// waitid's idtype values.
const (
	PAll  = 0 // P_ALL
	PPID  = 1 // P_PID
	PPGID = 2 // P_PGID
)

// Child state change codes (si_code of SIGCHLD and waitid) beyond those in abi/linux.
const (
	cldStopped   = 5 // CLD_STOPPED
	cldContinued = 6 // CLD_CONTINUED
)

// WaitOptions select what Wait waits for: wait4(2) and waitid(2) after decoding.
type WaitOptions struct {
	// Which is PAll, PPID or PPGID, and ID the pid or process group id in the caller's pid
	// namespace (for PPGID, 0 is the caller's group).
	Which int
	ID    int32
	// Exited, Stopped and Continued are WEXITED, WSTOPPED (WUNTRACED) and WCONTINUED.
	Exited, Stopped, Continued bool
	// NoHang is WNOHANG; NoWait (WNOWAIT) leaves the child waitable.
	NoHang, NoWait bool
	// Clone (__WCLONE) waits for children whose exit signal is not SIGCHLD instead of the
	// others; All (__WALL) for both.
	Clone, All bool
}

// WaitResult is a child's state change.
type WaitResult struct {
	// PID is the child's pid in the waiter's pid namespace.
	PID int32
	UID uint32
	// Code is CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED or CLD_CONTINUED, and Status
	// the exit code or the signal (waitid's si_code and si_status).
	Code, Status int32
	// WaitStatus is the status as wait4 encodes it.
	WaitStatus uint32
	// CPU is the child's CPU time and its reaped children's (wait4's rusage).
	CPU CPUTime
}

// Wait waits for a state change of a child of the caller's process as wait4 and waitid do.
// It returns nil and no error if NoHang is set and no child has changed state, ECHILD if no
// child matches, and ERESTARTSYS (EINTR when exiting) if the task is interrupted. A child
// that has exited is reaped unless NoWait is set.
func (t *Task) Wait(o WaitOptions) (*WaitResult, error) {
	k := t.k
	for {
		k.mu.Lock()
		res, matched, inFlight := t.tg.waitOnceLocked(o)
		ch := t.tg.proc.childWait
		k.mu.Unlock()
		switch {
		case res != nil:
			return res, nil
		case !matched:
			return nil, unix.ECHILD
		case inFlight:
			// A child has exited and its SIGCHLD may already have been handled, but it
			// becomes waitable only once the signal is queued (childExited). Linux makes
			// both visible at once; here the wait, WNOHANG too, takes the moment that
			// needs, uninterruptibly (the signal itself must not make it fail with EINTR,
			// which WNOHANG never does), and looks again. Otherwise a parent that saw the
			// signal (dash's `wait`: WNOHANG, then sigsuspend until the next SIGCHLD)
			// would find nothing to reap and wait for a signal that already came.
			<-ch
			continue
		case o.NoHang:
			return nil, nil
		}
		if err := t.BlockOn(ch, time.Time{}); err != nil {
			// ERESTARTSYS: as on Linux, the wait is made again after a stop or a handler
			// with SA_RESTART.
			return nil, err
		}
	}
}

// waitOnceLocked looks for a waitable child of tg, reaping it if it has exited and NoWait
// is not set. matched reports whether any child matches o's selection at all; inFlight,
// whether one that matches has exited and is about to become waitable (its exit is being
// notified: processExited, childExited). Children are examined in pid order, so that the result does not
// depend on map order.
//
// Preconditions: Kernel.mu is held.
func (tg *ThreadGroup) waitOnceLocked(o WaitOptions) (res *WaitResult, matched, inFlight bool) {
	k := tg.k
	kids := make([]*ThreadGroup, 0, len(tg.proc.children))
	for c := range tg.proc.children {
		kids = append(kids, c)
	}
	slices.SortFunc(kids, func(a, b *ThreadGroup) int { return int(a.tgid - b.tgid) })
	for _, c := range kids {
		switch o.Which {
		case PPID:
			if c.ids.in(tg.ids.ns) != o.ID {
				continue
			}
		case PPGID:
			if o.ID == 0 {
				if c.proc.pgrp != tg.proc.pgrp {
					continue
				}
			} else if c.proc.pgrp == nil || c.proc.pgrp.ids.in(tg.ids.ns) != o.ID {
				continue
			}
		}
		if isClone := c.proc.exitSignal != int(syscall.SIGCHLD); !o.All && isClone != o.Clone {
			continue
		}
		matched = true
		r := &WaitResult{PID: c.ids.in(tg.ids.ns), UID: c.Creds().RealUID}
		switch {
		case !c.proc.waitable && c.hasExited():
			// Its last task is gone (a pidfd of it is readable) but the zombie is not
			// waitable yet: processExited and childExited are under way.
			inFlight = inFlight || o.Exited
		case c.proc.zombie && c.proc.waitable:
			if !o.Exited {
				continue
			}
			c.mu.Lock()
			st := c.exitStatus
			c.mu.Unlock()
			r.Code, r.Status = childCode(st)
			r.WaitStatus = st.WaitStatus()
			r.CPU = c.proc.cpu.Add(c.proc.childCPU)
			if !o.NoWait {
				k.reapLocked(c)
			}
			return r, true, false
		case o.Stopped && c.proc.stopSignal != 0:
			r.Code, r.Status = cldStopped, int32(c.proc.stopSignal)
			r.WaitStatus = uint32(c.proc.stopSignal)<<8 | 0x7f
			if !o.NoWait {
				c.proc.stopSignal = 0
			}
			return r, true, false
		case o.Continued && c.proc.continued:
			r.Code, r.Status = cldContinued, int32(syscall.SIGCONT)
			r.WaitStatus = 0xffff
			if !o.NoWait {
				c.proc.continued = false
			}
			return r, true, false
		}
	}
	return nil, matched, inFlight
}

// childCode returns the si_code and si_status that report an exit with st.
func childCode(st ExitStatus) (code, status int32) {
	switch {
	case st.Signo != 0 && st.CoreDumped:
		return linux.CLD_DUMPED, int32(st.Signo)
	case st.Signo != 0:
		return linux.CLD_KILLED, int32(st.Signo)
	}
	return linux.CLD_EXITED, int32(st.Code & 0xff)
}

// hasExited reports whether tg's last task has exited (tg.exited is closed).
func (tg *ThreadGroup) hasExited() bool {
	select {
	case <-tg.exited:
		return true
	default:
		return false
	}
}
