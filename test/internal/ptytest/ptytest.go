// Package ptytest has the terminal helpers that the end-to-end and OCI tests share: a host
// pseudo-terminal pair, the caller's end of --console-socket (a Receiver, as containerd's
// and runc's recvtty are), and a Screen that collects what a program writes to its
// terminal and waits for text in it.
package ptytest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Open opens a host pseudo-terminal pair, neither of them the caller's controlling terminal.
func Open(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no host ptys: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// Type writes in to the terminal's master m, as if typed on the terminal ("\r" ends a
// line, "\x03" is ^C).
func Type(t *testing.T, m *os.File, in string) {
	t.Helper()
	if _, err := m.WriteString(in); err != nil {
		t.Fatal(err)
	}
}

// StartOnTerminal starts cmd in a session of its own with slave, a terminal's slave, as
// its stdio and controlling terminal, and closes slave here (so that the master sees the
// end once cmd's side is gone). It returns a function that waits, 30s at most, for cmd to
// exit and returns its exit code (-1 for a signal); cmd is killed if it still runs when
// the test ends.
func StartOnTerminal(t *testing.T, cmd *exec.Cmd, slave *os.File) (wait func() int) {
	t.Helper()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	return func() int {
		t.Helper()
		select {
		case <-done:
			return cmd.ProcessState.ExitCode()
		case <-time.After(30 * time.Second):
			t.Fatalf("%v did not exit", cmd.Args)
		}
		return -1
	}
}

// Receiver is the caller's end of --console-socket: it accepts one connection and takes
// the pty master from its SCM_RIGHTS message.
type Receiver struct {
	// Path is the socket's path, for --console-socket.
	Path string
	l    *net.UnixListener
	got  chan *os.File
	err  chan error
}

// NewReceiver listens on a socket in a temporary directory of t's.
func NewReceiver(t *testing.T) *Receiver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{Path: path, l: l, got: make(chan *os.File, 1), err: make(chan error, 1)}
	t.Cleanup(func() { l.Close() })
	go r.accept()
	return r
}

func (r *Receiver) accept() {
	c, err := r.l.AcceptUnix()
	if err != nil {
		r.err <- err
		return
	}
	defer c.Close()
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(name, oob)
	if err != nil {
		r.err <- err
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		r.err <- err
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		r.err <- err
		return
	}
	// Non-blocking, so that the File uses Go's poller and Close ends a pending Read (a
	// read blocked in the kernel would keep the master open).
	unix.SetNonblock(fds[0], true)
	r.got <- os.NewFile(uintptr(fds[0]), string(name[:n]))
}

// Master waits for the console and returns its master, named by the pty path the runtime
// sent; it is closed when t ends.
func (r *Receiver) Master(t *testing.T) *os.File {
	t.Helper()
	select {
	case f := <-r.got:
		t.Cleanup(func() { f.Close() })
		return f
	case err := <-r.err:
		t.Fatalf("receiving the console: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no console received")
	}
	return nil
}

// Screen collects what a program writes to its terminal.
type Screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Read copies f into the screen until f fails (run it in a goroutine).
func (s *Screen) Read(f *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		if n > 0 {
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Expect waits until the output since the last Expect contains want, and returns that
// output up to and including want.
func (s *Screen) Expect(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		out := s.buf.String()
		if i := strings.Index(out, want); i >= 0 {
			s.buf.Next(i + len(want))
			s.mu.Unlock()
			return out[:i+len(want)]
		}
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("terminal: %q never appeared; the screen has %q", want, s.buf.String())
	return ""
}

// CheckInterrupt checks job control on an interactive shell at its prompt on master m:
// ^C typed while a sleep runs in the foreground interrupts the sleep, not the shell,
// which then runs the next command.
func (s *Screen) CheckInterrupt(t *testing.T, m *os.File) {
	t.Helper()
	s.Expect(t, "$ ")
	Type(t, m, "sleep 100\r")
	time.Sleep(300 * time.Millisecond)
	Type(t, m, "\x03")
	s.Expect(t, "^C")
	Type(t, m, "echo after-$((1+2))\r")
	s.Expect(t, "after-3")
}
