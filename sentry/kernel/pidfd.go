package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// PIDFD is a process file descriptor (pidfd_open(2), clone's CLONE_PIDFD): it refers to one
// process, for pidfd_send_signal, pidfd_getfd and waitid(P_PIDFD), and polls readable
// (POLLIN) once the process has exited, and POLLHUP too once it has been reaped.
type PIDFD struct {
	FileBase
	tg *ThreadGroup
}

var _ File = (*PIDFD)(nil)

// NewPIDFD returns a pidfd for tg; nonblock sets O_NONBLOCK (PIDFD_NONBLOCK).
func NewPIDFD(tg *ThreadGroup, nonblock bool) *PIDFD {
	f := &PIDFD{tg: tg}
	flags := uint32(unix.O_RDWR)
	if nonblock {
		flags |= unix.O_NONBLOCK
	}
	f.InitFlags(flags)
	return f
}

// ThreadGroup returns the process the pidfd refers to.
func (f *PIDFD) ThreadGroup() *ThreadGroup { return f.tg }

// Readiness implements File.
func (f *PIDFD) Readiness(mask waiter.EventMask) waiter.EventMask {
	tg := f.tg
	if !tg.hasExited() {
		return 0
	}
	r := waiter.EventIn
	if tg.Reaped() {
		r |= waiter.EventHUp
	}
	return r & mask
}

// EventRegister implements File.
func (f *PIDFD) EventRegister(e *waiter.Entry) { f.tg.pidfds.EventRegister(e) }

// EventUnregister implements File.
func (f *PIDFD) EventUnregister(e *waiter.Entry) { f.tg.pidfds.EventUnregister(e) }

// Reaped reports whether tg has exited and been reaped (its pid is free).
func (tg *ThreadGroup) Reaped() bool {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	return !tg.proc.zombie && k.root.tgs[tg.tgid] != tg && isClosed(tg.exited)
}

// Alive reports whether tg has a live task (it has not exited).
func (tg *ThreadGroup) Alive() bool { return !isClosed(tg.exited) }

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// installPIDFD creates a close-on-exec pidfd for tg in t's descriptor table.
func (t *Task) installPIDFD(tg *ThreadGroup) (int32, error) {
	ref := NewFileRef(NewPIDFD(tg, false))
	defer ref.DecRef()
	return t.fds.NewFD(ref, 0, true, t.tg.Rlimit(unix.RLIMIT_NOFILE).Cur)
}

// Stat implements File.
func (f *PIDFD) Stat(*Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: unix.S_IFREG | 0600, Nlink: 1, Blksize: 4096}, nil
}

// ProcFDName names the file in /proc/<pid>/fd.
func (f *PIDFD) ProcFDName() string { return "anon_inode:[pidfd]" }
