// Package control is the protocol between the runsc CLI and a sandbox process (`runsc boot`).
//
// The sandbox listens on a unix socket in the container's state directory (mode 0600 in a
// 0700 directory; the server also checks the peer's uid). Each connection carries one request
// and one response, each a JSON object on one line:
//
//	{"cmd":"start"}                      start the container's init
//	{"cmd":"signal","signal":15}         signal init (all:true: every process)
//	{"cmd":"wait"}                       block until init exits; the response has "exit"
//
// A response is {} on success, {"error":"..."} on failure, and {"exit":{...}} for wait.
package control

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Commands.
const (
	CmdStart  = "start"
	CmdSignal = "signal"
	CmdWait   = "wait"
)

// Request is one control request.
type Request struct {
	Cmd    string `json:"cmd"`
	Signal int    `json:"signal,omitempty"`
	All    bool   `json:"all,omitempty"`
}

// Response is the answer to a Request.
type Response struct {
	Error string `json:"error,omitempty"`
	Exit  *Exit  `json:"exit,omitempty"`
}

// Exit is how a container's init ended. It is also the content of the exit file the sandbox
// writes into the state directory before it exits.
type Exit struct {
	// Code is the exit code, when Signal is 0.
	Code int `json:"code"`
	// Signal is the signal that killed init, or 0.
	Signal int `json:"signal,omitempty"`
}

// ShellCode is the status a shell reports: the code, or 128+signal.
func (e Exit) ShellCode() int {
	if e.Signal != 0 {
		return 128 + e.Signal
	}
	return e.Code
}

// maxPath is the longest path sun_path holds, with its terminating NUL.
const maxPath = len(unix.RawSockaddrUnix{}.Path) - 1

// withShortPath calls fn with a name for path that fits in a sockaddr_un: path itself if
// it is short enough, else /proc/self/fd/N/<base> through a descriptor of its directory.
// (Test state directories under $TMPDIR easily exceed the 107 bytes.)
func withShortPath(path string, fn func(string) error) error {
	if len(path) <= maxPath {
		return fn(path)
	}
	dir, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", filepath.Dir(path), err)
	}
	defer unix.Close(dir)
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir, filepath.Base(path))
	if len(short) > maxPath {
		return fmt.Errorf("socket name %s is too long", filepath.Base(path))
	}
	return fn(short)
}

// The socket code uses golang.org/x/sys/unix, not package net: importing net makes the
// runsc binary link with cgo (dynamically, against libc) wherever a C compiler exists, and
// the ptrace platform's stubs cannot start from such a process. Sockets are non-blocking
// descriptors wrapped in *os.File, so they use the runtime poller and honour deadlines.

func newSocket() (int, error) {
	return unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// Listener is a listening control socket.
type Listener struct {
	f *os.File
}

// Listen creates the control socket at path (mode 0600).
func Listen(path string) (*Listener, error) {
	fd, err := newSocket()
	if err != nil {
		return nil, err
	}
	err = withShortPath(path, func(p string) error {
		old := unix.Umask(0o177)
		defer unix.Umask(old)
		return unix.Bind(fd, &unix.SockaddrUnix{Name: p})
	})
	if err == nil {
		err = unix.Listen(fd, 64)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return &Listener{f: os.NewFile(uintptr(fd), path)}, nil
}

// FileListener makes a Listener of a listening socket received from another process.
func FileListener(f *os.File) (*Listener, error) {
	fd := int(f.Fd())
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
		return nil, fmt.Errorf("descriptor %d is not a stream socket", fd)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, err
	}
	return &Listener{f: os.NewFile(uintptr(nfd), f.Name())}, nil
}

// File returns the listening socket, to hand to another process.
func (l *Listener) File() *os.File { return l.f }

// Accept waits for a connection. It fails once the listener is closed.
func (l *Listener) Accept() (*os.File, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return aerr != unix.EAGAIN
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, aerr
	}
	return os.NewFile(uintptr(nfd), "control connection"), nil
}

// Close closes the listener (the socket file stays: it goes with the state directory).
func (l *Listener) Close() error { return l.f.Close() }

// dial connects to the socket at path. A unix socket's connect does not wait: a full
// backlog is EAGAIN, retried here until timeout.
func dial(path string, timeout time.Duration) (*os.File, error) {
	fd, err := newSocket()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err = withShortPath(path, func(p string) error {
			return unix.Connect(fd, &unix.SockaddrUnix{Name: p})
		})
		if err != unix.EAGAIN || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Call sends req to the sandbox listening at path and returns its response. timeout bounds
// connecting and, unless zero, the whole exchange (a wait request passes zero).
func Call(path string, req Request, timeout time.Duration) (*Response, error) {
	conn, err := dial(path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connecting to the sandbox: %w", err)
	}
	defer conn.Close()
	if timeout > 0 {
		conn.SetDeadline(time.Now().Add(timeout))
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return nil, fmt.Errorf("sending %s to the sandbox: %w", req.Cmd, err)
	}
	var resp Response
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
		return nil, fmt.Errorf("reading the sandbox's answer to %s: %w", req.Cmd, err)
	}
	return &resp, nil
}

// PeerAllowed reports whether the process at the other end of conn may control the
// sandbox: root, or the sandbox's own user.
func PeerAllowed(conn *os.File) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return cred.Uid == 0 || int(cred.Uid) == os.Getuid()
}
