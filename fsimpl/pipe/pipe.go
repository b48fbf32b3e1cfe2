// Package pipe implements pipes (pipe(2), pipe(7)) and fifos (fifo(7)): a buffer of page-sized
// slots shared by read and write ends, with Linux's PIPE_BUF atomicity, packet mode
// (O_DIRECT), blocking and non-blocking I/O, SIGPIPE, and readiness through a waiter queue.
//
// A Pipe counts its readers and writers. Anonymous pipes are kernel.Files (File); a fifo's
// Pipe lives with its inode, and each open is a vfs.FileDescriptionImpl (fifoImpl) that
// waits for its peer in WaitOpen.
//
// Locking: Pipe.mu guards the buffer, the counts and the open counters. It is a leaf: the
// waiter queue is notified after it is released.
package pipe

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

const (
	// PipeBuf is PIPE_BUF: writes of at most this many bytes are atomic.
	PipeBuf = 4096
	// pageSize is the size of one buffer slot.
	pageSize = 4096
	// DefaultSize is a new pipe's capacity.
	DefaultSize = 16 * pageSize
	// MaxSize is /proc/sys/fs/pipe-max-size: the most an unprivileged F_SETPIPE_SZ may ask.
	MaxSize = 1 << 20
)

// errWouldBlock is the core's "nothing can be done now" answer; ends turn it into EAGAIN or
// a wait.
var errWouldBlock = unix.EAGAIN

// buffer is one slot: a page whose unread bytes are data. cap(data) is the room left in the
// page after the data, so a later small write can be merged (unless it is a packet).
type buffer struct {
	data   []byte
	packet bool
}

// Pipe is the shared state of a pipe or fifo.
type Pipe struct {
	queue waiter.Queue
	ino   uint64
	ctime time.Time
	// uid and gid own an anonymous pipe's inode (its creator's).
	uid, gid uint32

	mu sync.Mutex
	// bufs are the occupied slots, oldest first. Guarded by mu.
	bufs []buffer
	// size is the number of unread bytes. Guarded by mu.
	size int
	// maxSlots is the capacity in slots (F_GETPIPE_SZ / pageSize). Guarded by mu.
	maxSlots int
	// readers and writers count the open ends. Guarded by mu.
	readers, writers int
	// rCounter and wCounter count opens for reading and writing ever made (fifo opens wait
	// for the peer's counter to move). Guarded by mu.
	rCounter, wCounter uint64
	// partner is closed (and replaced) when an end opens. Guarded by mu.
	partner chan struct{}
}

var inoCounter atomic.Uint64

// newPipe returns an empty pipe with the default capacity and no ends.
func newPipe() *Pipe {
	return &Pipe{
		ino:      inoCounter.Add(1),
		ctime:    time.Now(),
		maxSlots: DefaultSize / pageSize,
		partner:  make(chan struct{}),
	}
}

// Size is F_GETPIPE_SZ: the capacity in bytes.
func (p *Pipe) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxSlots * pageSize
}

// SetSize is F_SETPIPE_SZ: it rounds size up to a power of two number of pages (at least
// one), refuses more than MaxSize without privilege (EPERM) and fewer slots than are in use
// (EBUSY), and returns the new capacity.
func (p *Pipe) SetSize(size int64, privileged bool) (int, error) {
	if size < 0 || size > 1<<31 {
		return 0, unix.EINVAL
	}
	r := int64(pageSize)
	for r < size {
		r <<= 1
	}
	slots := int(r / pageSize)
	p.mu.Lock()
	defer p.mu.Unlock()
	if slots > p.maxSlots && r > MaxSize && !privileged {
		return 0, unix.EPERM
	}
	if slots < len(p.bufs) {
		return 0, unix.EBUSY
	}
	p.maxSlots = slots
	return int(r), nil
}

// Queued is FIONREAD: the number of unread bytes.
func (p *Pipe) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size
}

// readLocked moves data into dst: as much as there is, or one packet.
//
// Preconditions: p.mu is held; len(p.bufs) > 0.
func (p *Pipe) readLocked(dst []byte) int {
	n := 0
	for n < len(dst) && len(p.bufs) > 0 {
		b := &p.bufs[0]
		c := copy(dst[n:], b.data)
		n += c
		p.size -= c
		b.data = b.data[c:]
		packet := b.packet
		if packet {
			// The rest of a packet that does not fit is discarded (pipe(2) O_DIRECT).
			p.size -= len(b.data)
			b.data = b.data[len(b.data):]
		}
		if len(b.data) == 0 {
			p.bufs[0] = buffer{}
			p.bufs = p.bufs[1:]
		}
		if packet {
			break
		}
	}
	return n
}

// read reads into dst: errWouldBlock when the pipe is empty and has writers; 0 at EOF.
func (p *Pipe) read(dst []byte) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	if len(p.bufs) == 0 {
		w := p.writers
		p.mu.Unlock()
		if w == 0 {
			return 0, nil
		}
		return 0, errWouldBlock
	}
	n := p.readLocked(dst)
	p.mu.Unlock()
	p.queue.Notify(waiter.EventOut)
	return n, nil
}

// write writes src, starting with the first *done bytes already written by earlier calls of
// the same write(2). It returns with *done advanced and nil when everything is written,
// errWouldBlock when no more fits now, or EPIPE when there are no readers (the caller sends
// SIGPIPE). A write of at most PipeBuf bytes is all or nothing.
func (p *Pipe) write(src []byte, packet bool, done *int) error {
	p.mu.Lock()
	before := *done
	err := p.writeLocked(src, packet, done)
	p.mu.Unlock()
	if *done > before {
		p.queue.Notify(waiter.EventIn)
	}
	return err
}

func (p *Pipe) writeLocked(src []byte, packet bool, done *int) error {
	if p.readers == 0 {
		return unix.EPIPE
	}
	if *done == 0 && !packet && len(p.bufs) > 0 {
		// As Linux: the part of the write beyond a whole number of pages may go into the
		// last slot if it fits entirely there.
		if chars := len(src) % pageSize; chars != 0 {
			last := &p.bufs[len(p.bufs)-1]
			if !last.packet && len(last.data)+chars <= cap(last.data) {
				last.data = append(last.data, src[:chars]...)
				p.size += chars
				*done = chars
			}
		}
	}
	for *done < len(src) {
		if len(p.bufs) >= p.maxSlots {
			return errWouldBlock
		}
		c := min(len(src)-*done, pageSize)
		page := make([]byte, c, pageSize)
		copy(page, src[*done:*done+c])
		p.bufs = append(p.bufs, buffer{data: page, packet: packet})
		p.size += c
		*done += c
	}
	return nil
}

// readiness returns the events ready for an end that reads and/or writes; wver is the
// writer counter a fifo reader saw at open (no EPOLLHUP before a writer came).
func (p *Pipe) readiness(read, write bool, wver uint64) waiter.EventMask {
	p.mu.Lock()
	defer p.mu.Unlock()
	var r waiter.EventMask
	if read {
		if len(p.bufs) > 0 {
			r |= waiter.EventIn
		}
		if p.writers == 0 && p.wCounter != wver {
			r |= waiter.EventHUp
		}
	}
	if write {
		if len(p.bufs) < p.maxSlots {
			r |= waiter.EventOut
		}
		if p.readers == 0 {
			r |= waiter.EventErr
		}
	}
	return r
}

// open adds an end and wakes fifo opens waiting for a peer.
func (p *Pipe) open(read, write bool) {
	p.mu.Lock()
	p.openLocked(read, write)
	p.mu.Unlock()
}

// openLocked is open with p.mu held.
func (p *Pipe) openLocked(read, write bool) {
	if read {
		p.readers++
		p.rCounter++
	}
	if write {
		p.writers++
		p.wCounter++
	}
	close(p.partner)
	p.partner = make(chan struct{})
}

// release drops an end, waking the other side (EOF for readers, EPIPE for writers).
func (p *Pipe) release(read, write bool) {
	p.mu.Lock()
	var ev waiter.EventMask
	if read {
		if p.readers--; p.readers == 0 {
			ev |= waiter.EventOut | waiter.EventErr
		}
	}
	if write {
		if p.writers--; p.writers == 0 {
			ev |= waiter.EventIn | waiter.EventHUp
		}
	}
	p.mu.Unlock()
	if ev != 0 {
		p.queue.Notify(ev)
	}
}

// end is one open end of a pipe: the code shared by anonymous pipe files and fifo opens.
type end struct {
	p           *Pipe
	read, write bool
	// wver is the writer counter at open for a non-blocking fifo reader (see readiness).
	wver uint64
}

// Readiness implements waiter.Waitable (for the anonymous pipe file and fifo opens that
// embed the end, kernel.File and vfs.Waitable).
func (e *end) Readiness(mask waiter.EventMask) waiter.EventMask {
	return e.p.readiness(e.read, e.write, e.wver) & mask
}

// EventRegister implements waiter.Waitable.
func (e *end) EventRegister(w *waiter.Entry) { e.p.queue.EventRegister(w) }

// EventUnregister implements waiter.Waitable.
func (e *end) EventUnregister(w *waiter.Entry) { e.p.queue.EventUnregister(w) }

// doRead is read(2) on the end.
func (e *end) doRead(t *kernel.Task, dst []byte, nonblock bool) (int, error) {
	return t.BlockingIO(e, waiter.EventIn|waiter.EventHUp, nonblock, func() (int, bool, error) {
		n, err := e.p.read(dst)
		return n, err != errWouldBlock, err
	})
}

// doWrite is write(2) on the end. With no readers the writer gets SIGPIPE and EPIPE (or a
// short count).
func (e *end) doWrite(t *kernel.Task, src []byte, nonblock, packet bool) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	done := 0
	for {
		err := e.p.write(src, packet, &done)
		switch {
		case err == nil:
			return done, nil
		case err == unix.EPIPE:
			if t != nil {
				t.SendSignal(int(unix.SIGPIPE), false)
			}
			if done > 0 {
				return done, nil
			}
			return 0, unix.EPIPE
		}
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if err := t.WaitReady(e, waiter.EventOut|waiter.EventErr); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// stat describes the end as fstat does for a pipefs inode.
func (e *end) stat() unix.Stat_t {
	ts := unix.NsecToTimespec(e.p.ctime.UnixNano())
	st := unix.Stat_t{
		Dev:     pipefsDev,
		Ino:     e.p.ino,
		Nlink:   1,
		Mode:    unix.S_IFIFO | 0600,
		Blksize: pageSize,
		Atim:    ts,
		Mtim:    ts,
		Ctim:    ts,
	}
	st.Uid, st.Gid = e.p.uid, e.p.gid
	return st
}

// pipefsDev is the device number pipe inodes report (an anonymous device, as pipefs's).
var pipefsDev = unix.Mkdev(0, 14)

// ioctl handles FIONREAD.
func (e *end) ioctl(t *kernel.Task, cmd, arg uintptr) (uintptr, error) {
	if cmd != unix.TIOCINQ {
		return 0, unix.ENOTTY
	}
	n := int32(e.p.Queued())
	b := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
	if _, err := t.CopyOut(arg, b); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}
