// Package control is the protocol between the runsc CLI and a sandbox process (`runsc boot`).
//
// The sandbox listens on a unix socket in the container's state directory (mode 0600 in a
// 0700 directory; the server also checks the peer's uid). Each connection carries one request
// and one response, each a JSON object on one line:
//
//	{"cmd":"start"}                      start the container's init
//	{"cmd":"signal","signal":15}         signal init (all:true: every process; pid:N: process N)
//	{"cmd":"wait"}                       block until init exits; the response has "exit"
//	{"cmd":"exec","exec":{...}}          start a process (ExecSpec); its stdin, stdout and
//	                                     stderr come with the request (SCM_RIGHTS); the
//	                                     response has its sandbox "pid"
//	{"cmd":"waitpid","pid":N}            block until exec'd process N exits; "exit"
//	{"cmd":"ps"}                         the live processes: "processes"
//	{"cmd":"pause"} / {"cmd":"resume"}   freeze / thaw every task of the sandbox
//	{"cmd":"stats"}                      "stats": CPU, memory and process figures
//	{"cmd":"update","memoryLimit":N}     set the sandbox's memory limit (0: none)
//	{"cmd":"create","container":ID,      a container joins the sandbox (a pod's): "config"
//	 "config":{...}}                     is its boot.ContainerConfig; the sentry's end of
//	                                     its gofer's socketpair, then its stdin, stdout and
//	                                     stderr (or its pty slave), come with the request
//	{"cmd":"delete","container":ID}      kill a joined container's processes and release
//	                                     its mount namespace and gofer
//
// Every request may name a container ("container"): one that joined the sandbox, or,
// when empty or the sandbox's own id, the sandbox's own container, whose init is the
// sandbox's. start, signal, wait, exec, ps and stats act on that container only; pause,
// resume and update act on the whole sandbox and are refused for a joined container.
//
// A response is {} on success, {"error":"..."} on failure, plus the fields named above.
package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Commands.
const (
	CmdStart   = "start"
	CmdSignal  = "signal"
	CmdWait    = "wait"
	CmdExec    = "exec"
	CmdWaitPID = "waitpid"
	CmdPs      = "ps"
	CmdPause   = "pause"
	CmdResume  = "resume"
	CmdStats   = "stats"
	CmdUpdate  = "update"
	CmdCreate  = "create"
	CmdDelete  = "delete"
)

// Request is one control request.
type Request struct {
	Cmd string `json:"cmd"`
	// Container is the container the request is about ("": the sandbox's own).
	Container string `json:"container,omitempty"`
	// Config is the joining container's boot.ContainerConfig (create).
	Config json.RawMessage `json:"config,omitempty"`
	Signal int             `json:"signal,omitempty"`
	All    bool            `json:"all,omitempty"`
	// Pid names an exec'd process (waitpid, signal); 0 for signal means init.
	Pid int32 `json:"pid,omitempty"`
	// Exec describes the process to start (exec).
	Exec *ExecSpec `json:"exec,omitempty"`
	// MemoryLimit is the new memory limit in bytes (update); nil leaves it.
	MemoryLimit *uint64 `json:"memoryLimit,omitempty"`
	// PidsLimit is the new pids limit (update; 0 or less: none); nil leaves it.
	PidsLimit *int64 `json:"pidsLimit,omitempty"`
}

// ExecSpec describes a process `runsc exec` starts in a running container.
type ExecSpec struct {
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	// Cwd is the working directory ("": the container's).
	Cwd            string   `json:"cwd,omitempty"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGIDs []uint32 `json:"additionalGids,omitempty"`
	// Caps are the process's capability sets (nil: by uid, every capability for 0).
	Caps *CapSets `json:"caps,omitempty"`
	// NoNewPrivs starts the process with no_new_privs set.
	NoNewPrivs bool `json:"noNewPrivs,omitempty"`
	// Stdio is how many descriptors (stdin, stdout, stderr, in that order) came with the
	// request; missing ones are closed in the process.
	Stdio int `json:"stdio"`
	// Terminal says the first descriptor is the slave of a host pty made for the process
	// (`exec --tty`): the process gets a terminal of the sandbox's joined to it.
	Terminal bool `json:"terminal,omitempty"`
}

// Response is the answer to a Request.
type Response struct {
	Error     string    `json:"error,omitempty"`
	Exit      *Exit     `json:"exit,omitempty"`
	Pid       int32     `json:"pid,omitempty"`
	Processes []Process `json:"processes,omitempty"`
	Stats     *Stats    `json:"stats,omitempty"`
}

// Process is one process of the sandbox, for `runsc ps`. Pids are the sandbox's own.
type Process struct {
	PID  int32  `json:"pid"`
	PPID int32  `json:"ppid"`
	UID  uint32 `json:"uid"`
	// Started is when the process started; CPUNanos its CPU time (user + system).
	Started  time.Time `json:"started"`
	CPUNanos int64     `json:"cpuNanos"`
	Name     string    `json:"name"`
	Cmd      string    `json:"cmd"`
	Threads  int       `json:"threads"`
	// HostPID is the host process that runs its code (a ptrace stub), 0 if unknown.
	HostPID int32 `json:"hostPid,omitempty"`
}

// Stats are the sandbox's figures, for `runsc events`.
type Stats struct {
	CPUUserNanos   int64  `json:"cpuUserNanos"`
	CPUSystemNanos int64  `json:"cpuSystemNanos"`
	MemoryUsage    uint64 `json:"memoryUsage"`
	MemoryLimit    uint64 `json:"memoryLimit"`
	PidsLimit      int64  `json:"pidsLimit,omitempty"`
	Processes      int    `json:"processes"`
	Tasks          int    `json:"tasks"`
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
	return CallWithFiles(path, req, nil, timeout)
}

// CallWithFiles is Call, with files passed to the sandbox along with the request
// (SCM_RIGHTS); the sandbox gets its own copies.
func CallWithFiles(path string, req Request, files []*os.File, timeout time.Duration) (*Response, error) {
	conn, err := dial(path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connecting to the sandbox: %w", err)
	}
	defer conn.Close()
	if timeout > 0 {
		conn.SetDeadline(time.Now().Add(timeout))
	}
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	data = append(data, '\n')
	if len(files) == 0 {
		_, err = conn.Write(data)
	} else {
		err = sendWithFiles(conn, data, files)
	}
	if err != nil {
		return nil, fmt.Errorf("sending %s to the sandbox: %w", req.Cmd, err)
	}
	var resp Response
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
		return nil, fmt.Errorf("reading the sandbox's answer to %s: %w", req.Cmd, err)
	}
	return &resp, nil
}

// sendWithFiles writes data with files' descriptors attached to its first byte.
func sendWithFiles(conn *os.File, data []byte, files []*os.File) error {
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	oob := unix.UnixRights(fds...)
	for len(data) > 0 {
		var n int
		var serr error
		werr := rc.Write(func(fd uintptr) bool {
			n, serr = unix.SendmsgN(int(fd), data, oob, nil, 0)
			return serr != unix.EAGAIN
		})
		if werr != nil {
			return werr
		}
		if serr != nil {
			return serr
		}
		data, oob = data[n:], nil
	}
	return nil
}

// maxFiles is how many descriptors a request may carry.
const maxFiles = 8

// ReadRequest reads one request from conn, with the descriptors that came with it (at most
// maxFiles; the caller owns them).
func ReadRequest(conn *os.File) (Request, []*os.File, error) {
	var req Request
	rc, err := conn.SyscallConn()
	if err != nil {
		return req, nil, err
	}
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(maxFiles*4))
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return req, nil, err
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil {
			for _, m := range msgs {
				fds, err := unix.ParseUnixRights(&m)
				if err != nil {
					continue
				}
				for _, fd := range fds {
					files = append(files, os.NewFile(uintptr(fd), "passed"))
				}
			}
		}
	}
	// The rest of the request, if it did not come in one piece, follows on the stream.
	r := io.MultiReader(bytes.NewReader(buf[:n]), conn)
	if err := json.NewDecoder(r).Decode(&req); err != nil {
		for _, f := range files {
			f.Close()
		}
		return req, nil, err
	}
	return req, files, nil
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

// CapSets are a process's capability sets as bit masks of CAP_* numbers (from config.json's
// process.capabilities, names converted by runsc/specutil).
type CapSets struct {
	Effective   uint64 `json:"effective"`
	Permitted   uint64 `json:"permitted"`
	Inheritable uint64 `json:"inheritable"`
	Bounding    uint64 `json:"bounding"`
	Ambient     uint64 `json:"ambient"`
}
