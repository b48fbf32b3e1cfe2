package pipe

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// WaitData waits until the pipe has data (true) or is at EOF (false): EAGAIN if nonblock
// and neither holds.
func (ep *Endpoint) WaitData(t *kernel.Task, nonblock bool) (bool, error) {
	p := ep.e.p
	for {
		p.mu.Lock()
		has, eof := len(p.bufs) > 0, p.writers == 0
		p.mu.Unlock()
		switch {
		case has:
			return true, nil
		case eof:
			return false, nil
		case nonblock:
			return false, unix.EAGAIN
		}
		if err := t.WaitReady(ep.e, waiter.EventIn|waiter.EventHUp); err != nil {
			return false, err
		}
	}
}

// WaitRoom waits until at least one slot is free and returns the free bytes: EPIPE (with
// SIGPIPE) without readers, EAGAIN if nonblock and the pipe is full.
func (ep *Endpoint) WaitRoom(t *kernel.Task, nonblock bool) (int, error) {
	p := ep.e.p
	for {
		p.mu.Lock()
		free, readers := p.maxSlots-len(p.bufs), p.readers
		p.mu.Unlock()
		switch {
		case readers == 0:
			if t != nil {
				t.SendSignal(int(unix.SIGPIPE), false)
			}
			return 0, unix.EPIPE
		case free > 0:
			return free * pageSize, nil
		case nonblock:
			return 0, unix.EAGAIN
		}
		if err := t.WaitReady(ep.e, waiter.EventOut|waiter.EventErr); err != nil {
			return 0, err
		}
	}
}

// Peek copies up to len(dst) bytes from the front of the pipe without consuming them.
func (ep *Endpoint) Peek(dst []byte) int {
	p := ep.e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for i := 0; i < len(p.bufs) && n < len(dst); i++ {
		n += copy(dst[n:], p.bufs[i].data)
	}
	return n
}

// Consume drops up to n bytes from the front of the pipe (after a Peek).
func (ep *Endpoint) Consume(n int) {
	p := ep.e.p
	p.mu.Lock()
	for n > 0 && len(p.bufs) > 0 {
		b := &p.bufs[0]
		c := min(n, len(b.data))
		b.data = b.data[c:]
		p.size -= c
		n -= c
		if len(b.data) == 0 {
			p.bufs[0] = buffer{}
			p.bufs = p.bufs[1:]
		}
	}
	p.mu.Unlock()
	p.queue.Notify(waiter.EventOut)
}

// Write writes src into the pipe as write(2) would, with the given blocking mode.
func (ep *Endpoint) Write(t *kernel.Task, src []byte, nonblock bool) (int, error) {
	return ep.e.doWrite(t, src, nonblock, ep.packet)
}

// Transfer moves (or, with tee, copies) up to n bytes from the pipe of src to the pipe of
// dst, slot by slot, as splice(2) and tee(2) between pipes do: it waits for data in src
// (0 at EOF) and room in dst unless nonblock. The two must be different pipes (EINVAL).
func Transfer(t *kernel.Task, src, dst *Endpoint, n int, nonblock, tee bool) (int, error) {
	sp, dp := src.e.p, dst.e.p
	if sp == dp {
		return 0, unix.EINVAL
	}
	for {
		has, err := src.WaitData(t, nonblock)
		if err != nil || !has {
			return 0, err
		}
		if _, err := dst.WaitRoom(t, nonblock); err != nil {
			return 0, err
		}
		// Lock in a fixed order (inode number) so that opposite transfers cannot deadlock.
		first, second := sp, dp
		if first.ino > second.ino {
			first, second = second, first
		}
		first.mu.Lock()
		second.mu.Lock()
		moved := 0
		i := 0
		for moved < n && i < len(sp.bufs) && len(dp.bufs) < dp.maxSlots {
			b := &sp.bufs[i]
			c := min(n-moved, len(b.data))
			page := make([]byte, c, pageSize)
			copy(page, b.data[:c])
			dp.bufs = append(dp.bufs, buffer{data: page, packet: b.packet})
			dp.size += c
			moved += c
			if tee {
				i++
				continue
			}
			b.data = b.data[c:]
			sp.size -= c
			if len(b.data) == 0 {
				sp.bufs[0] = buffer{}
				sp.bufs = sp.bufs[1:]
			}
		}
		second.mu.Unlock()
		first.mu.Unlock()
		if moved == 0 {
			// Another reader or writer got there first: wait again.
			continue
		}
		if !tee {
			sp.queue.Notify(waiter.EventOut)
		}
		dp.queue.Notify(waiter.EventIn)
		return moved, nil
	}
}
