package console

import (
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Pump joins a host terminal to a sentry terminal: it plays the sentry terminal's master.
type Pump struct {
	tm      *tty.Terminal
	in, out int
	// size is the host descriptor whose window size is the terminal's.
	size int
	// file, if set, is the host terminal, owned by the pump (StartFilePump): in, out and
	// size are its descriptor, read and written through Go's poller.
	file *os.File

	stop    chan struct{}
	outDone chan struct{}
	winch   chan os.Signal
	once    sync.Once
}

// StartPump starts copying: the host descriptor in is read as typed input, the terminal's
// output is written to out, and, with watchResize, the terminal's window size follows the
// host terminal size's: it is read again on each SIGWINCH to this process (which the host
// sends when size is this process's controlling terminal, and runsc exec when it is an
// exec'd process's). The descriptors stay the caller's.
func StartPump(tm *tty.Terminal, in, out, size int, watchResize bool) *Pump {
	p := &Pump{tm: tm, in: in, out: out, size: size, stop: make(chan struct{}), outDone: make(chan struct{})}
	p.start(watchResize)
	return p
}

// StartFilePump is StartPump for a host terminal the pump owns, such as an exec'd
// process's, which is not this process's controlling terminal: fd is put in non-blocking
// mode and used through Go's poller, so that Close can end a pending read (a read blocked
// in the host kernel would keep the host terminal open); its window size is read on
// SIGWINCH, as StartPump's. Close closes it.
func StartFilePump(tm *tty.Terminal, fd int) (*Pump, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	p := &Pump{tm: tm, in: fd, out: fd, size: fd, file: os.NewFile(uintptr(fd), "console"), stop: make(chan struct{}), outDone: make(chan struct{})}
	p.start(true)
	return p, nil
}

func (p *Pump) start(watchResize bool) {
	go p.input()
	go p.output()
	if watchResize {
		p.winch = make(chan os.Signal, 1)
		signal.Notify(p.winch, unix.SIGWINCH)
		go p.resizes()
	}
}

// Done is closed once the terminal's output has ended: every slave has closed and the
// output is drained (or the pump was stopped).
func (p *Pump) Done() <-chan struct{} { return p.outDone }

// Close stops the pump and, for a StartFilePump pump, closes the host terminal.
func (p *Pump) Close() {
	p.Finish(0)
	if p.file != nil {
		p.file.Close()
	}
}

// read reads typed input from the host terminal.
func (p *Pump) read(buf []byte) (int, error) {
	if p.file != nil {
		return p.file.Read(buf)
	}
	return unix.Read(p.in, buf)
}

// CopySize sets the terminal's window size from the host terminal's, if it has one.
func (p *Pump) CopySize() {
	var rows, cols uint16
	var err error
	if p.file != nil {
		// Through the file, which cannot close (and its number be reused) meanwhile.
		rc, cerr := p.file.SyscallConn()
		if cerr != nil {
			return
		}
		if cerr := rc.Control(func(fd uintptr) { rows, cols, err = Size(int(fd)) }); cerr != nil {
			return
		}
	} else {
		rows, cols, err = Size(p.size)
	}
	if err == nil && (rows != 0 || cols != 0) {
		p.tm.SetWinsize(tty.Winsize{Row: rows, Col: cols})
	}
}

func (p *Pump) resizes() {
	for {
		select {
		case <-p.stop:
			return
		case <-p.winch:
			p.CopySize()
		}
	}
}

// input copies typed bytes to the terminal until the host side hangs up (read error or
// end of file), which hangs the terminal up, or no slave is left.
func (p *Pump) input() {
	e, ready := waiter.ChannelEntry(waiter.EventOut | waiter.EventHUp)
	q := p.tm.MasterQueue()
	q.EventRegister(e)
	defer q.EventUnregister(e)
	buf := make([]byte, 4096)
	for {
		n, err := p.read(buf)
		if err == unix.EINTR || err == unix.EAGAIN {
			if err == unix.EAGAIN {
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		if n <= 0 {
			select {
			case <-p.stop:
				// Stopped (Close): the host terminal did not hang up.
			default:
				p.tm.CloseMaster()
			}
			return
		}
		for off := 0; off < n; {
			m, err := p.tm.WriteInput(buf[off:n])
			off += m
			if !p.goOn(err, ready) {
				return // stopped, or no slave is open: the container is gone
			}
		}
	}
}

// output copies the terminal's output to the host until every slave has closed and the
// output is drained.
func (p *Pump) output() {
	defer close(p.outDone)
	e, ready := waiter.ChannelEntry(waiter.EventIn | waiter.EventHUp)
	q := p.tm.MasterQueue()
	q.EventRegister(e)
	defer q.EventUnregister(e)
	buf := make([]byte, 4096)
	for {
		n, err := p.tm.ReadOutput(buf)
		if n > 0 {
			if p.file != nil {
				p.file.Write(buf[:n]) // output the host cannot take is dropped
			} else {
				writeAll(p.out, buf[:n])
			}
		}
		if !p.goOn(err, ready) {
			return
		}
	}
}

// goOn says whether a copy goes on after a transfer to or from the terminal that ended
// with err: at once for nil; for EAGAIN, once ready says the terminal is ready, unless the
// pump stops first; never for any other error.
func (p *Pump) goOn(err error, ready <-chan struct{}) bool {
	switch err {
	case nil:
		return true
	case unix.EAGAIN:
		select {
		case <-ready:
			return true
		case <-p.stop:
		}
	}
	return false
}

// writeAll writes b to fd; output the host cannot take is dropped, so that the container
// never blocks on a host that went away.
func writeAll(fd int, b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR || err == unix.EAGAIN {
			if err == unix.EAGAIN {
				time.Sleep(time.Millisecond)
			}
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		b = b[n:]
	}
}

// Finish waits up to d for the terminal's last output to reach the host (once every slave
// has closed), then stops the pump.
func (p *Pump) Finish(d time.Duration) {
	select {
	case <-p.outDone:
	case <-time.After(d):
	}
	p.once.Do(func() {
		close(p.stop)
		if p.winch != nil {
			signal.Stop(p.winch)
		}
	})
}
