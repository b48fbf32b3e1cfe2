package console

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Receiver is the receiving end of a console socket, for `runsc run` with a terminal and
// no --console-socket: it plays the caller's part (as runc's foreground mode does) and
// relays the console to its own standard descriptors.
type Receiver struct {
	dir  string
	fd   int
	got  chan *os.File
	errc chan error
}

// NewReceiver listens on a new socket in a private temporary directory.
func NewReceiver() (*Receiver, error) {
	dir, err := os.MkdirTemp("", "runsc-console-")
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		if err = unix.Bind(fd, &unix.SockaddrUnix{Name: filepath.Join(dir, "sock")}); err == nil {
			err = unix.Listen(fd, 1)
		}
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("console socket: %w", err)
	}
	r := &Receiver{dir: dir, fd: fd, got: make(chan *os.File, 1), errc: make(chan error, 1)}
	go r.accept()
	return r, nil
}

// Path is the socket's path, for --console-socket.
func (r *Receiver) Path() string { return filepath.Join(r.dir, "sock") }

func (r *Receiver) accept() {
	c, _, err := unix.Accept4(r.fd, unix.SOCK_CLOEXEC)
	if err != nil {
		r.errc <- err
		return
	}
	defer unix.Close(c)
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(c, name, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		r.errc <- err
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		r.errc <- fmt.Errorf("console socket: no descriptor received (%v)", err)
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		r.errc <- fmt.Errorf("console socket: want one descriptor (%v)", err)
		return
	}
	r.got <- os.NewFile(uintptr(fds[0]), string(name[:n]))
}

// Master returns the master received, waiting up to d.
func (r *Receiver) Master(d time.Duration) (*os.File, error) {
	select {
	case f := <-r.got:
		return f, nil
	case err := <-r.errc:
		return nil, err
	case <-time.After(d):
		return nil, errors.New("console socket: nothing received")
	}
}

// Close stops listening and removes the socket.
func (r *Receiver) Close() {
	unix.Shutdown(r.fd, unix.SHUT_RDWR) // ends a pending accept
	unix.Close(r.fd)
	os.RemoveAll(r.dir)
}

// Relay copies in to master and master to out until master reports the console's end,
// with in in raw mode if it is a terminal, and keeps master's window size equal to in's,
// calling resized (if not nil) after each change. The returned function waits (up to a
// second) for the last output and restores in.
func Relay(master, in, out *os.File, resized func()) (finish func()) {
	restore := func() {}
	if IsTerminal(int(in.Fd())) {
		if r, err := SetRaw(int(in.Fd())); err == nil {
			restore = r
		}
	}
	resize := func() {
		if rows, cols, err := Size(int(in.Fd())); err == nil && (rows != 0 || cols != 0) {
			if SetSize(int(master.Fd()), rows, cols) == nil && resized != nil {
				resized()
			}
		}
	}
	resize()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				resize()
			case <-stop:
				return
			}
		}
	}()
	go io.Copy(master, in)
	outDone := make(chan struct{})
	go func() {
		io.Copy(out, master) // ends with EIO once the container's terminal is gone
		close(outDone)
	}()
	return func() {
		select {
		case <-outDone:
		case <-time.After(time.Second):
		}
		signal.Stop(winch)
		close(stop)
		restore()
	}
}

// Open makes a process's host console: a new pty, sized rows x cols if given, whose
// master is sent to socket (runc's protocol) or, without a socket, relayed to in and out
// (runc's foreground mode; the relay calls resized after each resize). It returns the
// slave, for the process's stdio, and finish, which the caller runs once the process has
// ended (it waits for the relay's last output and restores in).
func Open(socket string, rows, cols uint16, in, out *os.File, resized func()) (slave *os.File, finish func(), err error) {
	master, slave, err := NewPTY()
	if err != nil {
		return nil, nil, err
	}
	if rows != 0 || cols != 0 {
		if err := SetSize(int(master.Fd()), rows, cols); err != nil {
			master.Close()
			slave.Close()
			return nil, nil, fmt.Errorf("console: setting its size: %w", err)
		}
	}
	if socket != "" {
		err := SendMaster(socket, master)
		master.Close()
		if err != nil {
			slave.Close()
			return nil, nil, err
		}
		return slave, func() {}, nil
	}
	relayDone := Relay(master, in, out, resized)
	return slave, func() {
		relayDone()
		master.Close()
	}, nil
}

// WatchSize calls resized whenever the window size of the terminal f changes, checking
// every interval, until the returned function is called: for a terminal whose resizes
// cannot come as SIGWINCH (it is not the caller's controlling terminal). stop returns once
// the watch has ended, so that f may be closed then.
func WatchSize(f *os.File, interval time.Duration, resized func()) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(interval)
		defer t.Stop()
		lastRows, lastCols, _ := Size(int(f.Fd()))
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rows, cols, err := Size(int(f.Fd()))
			if err == nil && (rows != lastRows || cols != lastCols) {
				lastRows, lastCols = rows, cols
				resized()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-ended
	}
}
