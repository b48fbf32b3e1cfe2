// Package signalfd implements signalfd(2) files: reading one dequeues pending signals in
// its mask, as struct signalfd_siginfo records of 128 bytes.
//
// As on Linux, the signals must be blocked by the application (sigprocmask) for the file
// to be useful: an unblocked signal is delivered (handler or default action) at the next
// return to application code, before anyone can read it. Reads dequeue from the reading
// thread's queue and its process's; readiness (poll, epoll) is that of the thread that
// created the file, since a File's readiness is not asked on behalf of a thread.
package signalfd

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// recordSize is sizeof(struct signalfd_siginfo).
const recordSize = 128

// unblockable are SIGKILL and SIGSTOP, which a signalfd never reads.
const unblockable = 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)

// File is a signalfd.
type File struct {
	kernel.FileBase
	// owner is the task that created the file, whose pending signals make it readable.
	owner *kernel.Task
	// mask is the set of signals read (bit n-1 for signal n).
	mask atomic.Uint64
}

var _ kernel.File = (*File)(nil)

// New returns a signalfd for the signals in mask, created by t, with status flags
// (O_NONBLOCK).
func New(t *kernel.Task, mask uint64, flags uint32) *File {
	f := &File{owner: t}
	f.SetMask(mask)
	f.InitFlags(unix.O_RDWR | flags&unix.O_NONBLOCK)
	return f
}

// SetMask replaces the set of signals the file reads.
func (f *File) SetMask(mask uint64) { f.mask.Store(mask &^ unblockable) }

// Read implements kernel.File: it dequeues as many signals of the mask as fit in dst (at
// least one record), blocking until one is pending (EAGAIN if non-blocking).
func (f *File) Read(t *kernel.Task, dst []byte) (int, error) {
	if len(dst) < recordSize {
		return 0, unix.EINVAL
	}
	return t.BlockingIO(readerSignals{t, f}, waiter.EventIn, f.StatusFlags()&unix.O_NONBLOCK != 0, func() (int, bool, error) {
		n := 0
		for n+recordSize <= len(dst) {
			info := t.DequeueSignal(f.mask.Load())
			if info == nil {
				break
			}
			fill(dst[n:n+recordSize], info)
			n += recordSize
		}
		return n, n > 0, nil
	})
}

// readerSignals is what a read of f by t waits for: a signal of f's mask pending for t (the
// reader, which need not be the file's owner, whose signals poll reports).
type readerSignals struct {
	t *kernel.Task
	f *File
}

// Readiness implements waiter.Waitable.
func (r readerSignals) Readiness(mask waiter.EventMask) waiter.EventMask {
	if r.t.PendingSignals()&r.f.mask.Load() != 0 {
		return mask & waiter.EventIn
	}
	return 0
}

// EventRegister implements waiter.Waitable.
func (r readerSignals) EventRegister(e *waiter.Entry) { r.t.ThreadGroup().EventRegisterSignals(e) }

// EventUnregister implements waiter.Waitable.
func (r readerSignals) EventUnregister(e *waiter.Entry) { r.t.ThreadGroup().EventUnregisterSignals(e) }

// fill encodes info as a struct signalfd_siginfo, with the fields its si_code defines.
func fill(b []byte, info *linux.SignalInfo) {
	clear(b)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(info.Signo))
	le.PutUint32(b[4:], uint32(info.Errno))
	le.PutUint32(b[8:], uint32(info.Code))
	sig := int(info.Signo)
	code := info.Code
	switch {
	case code == linux.SI_TIMER:
		le.PutUint32(b[24:], le.Uint32(info.Fields[0:])) // ssi_tid: the timer id
		le.PutUint32(b[32:], le.Uint32(info.Fields[4:])) // ssi_overrun
		le.PutUint32(b[44:], uint32(info.Value()))       // ssi_int
		le.PutUint64(b[48:], info.Value())               // ssi_ptr
	case code < 0:
		le.PutUint32(b[12:], uint32(info.PID()))
		le.PutUint32(b[16:], info.UID())
		le.PutUint32(b[44:], uint32(info.Value()))
		le.PutUint64(b[48:], info.Value())
	case code > 0 && code != linux.SI_KERNEL && sig == int(unix.SIGCHLD):
		le.PutUint32(b[12:], uint32(info.PID()))
		le.PutUint32(b[16:], info.UID())
		le.PutUint32(b[40:], uint32(info.Status()))
	case code > 0 && code != linux.SI_KERNEL && (sig == int(unix.SIGSEGV) || sig == int(unix.SIGBUS) ||
		sig == int(unix.SIGILL) || sig == int(unix.SIGFPE) || sig == int(unix.SIGTRAP)):
		le.PutUint64(b[72:], info.Addr())
	default:
		le.PutUint32(b[12:], uint32(info.PID()))
		le.PutUint32(b[16:], info.UID())
	}
}

// Readiness implements kernel.File: readable while a signal of the mask is pending for
// the creating task or its process.
func (f *File) Readiness(mask waiter.EventMask) waiter.EventMask {
	if f.owner.PendingSignals()&f.mask.Load() != 0 {
		return mask & waiter.EventIn
	}
	return 0
}

// EventRegister implements kernel.File.
func (f *File) EventRegister(e *waiter.Entry) { f.owner.ThreadGroup().EventRegisterSignals(e) }

// EventUnregister implements kernel.File.
func (f *File) EventUnregister(e *waiter.Entry) { f.owner.ThreadGroup().EventUnregisterSignals(e) }

// Stat implements kernel.File: an anonymous inode.
func (f *File) Stat(*kernel.Task) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: 0600, Nlink: 1, Blksize: 4096}, nil
}
