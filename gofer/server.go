// Package gofer is the gofer server: the trusted process that opens host files on the
// sentry's behalf. It serves the container's root filesystem and bind mounts as attach
// points over a gofer/proto connection, and donates host descriptors so that data I/O
// needs no round trip.
//
// Security rules (docs/gofer.md has the full list):
//   - Every handle is an O_PATH descriptor. Paths are resolved by the server itself, one
//     component at a time relative to a handle, with O_PATH|O_NOFOLLOW (and openat2's
//     RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS where the kernel has it).
//   - Names are single components: "", ".", "..", names with "/" or NUL are EINVAL, names
//     over 255 bytes ENAMETOOLONG. There is no ".." on the wire at all: the client walks up
//     its own tree.
//   - A symlink is never followed: it is returned as a symlink, the client resolves it
//     inside its own mount tree.
//   - Device files are never opened and never created (EPERM); FIFOs and sockets are not
//     opened either (ENXIO): the sentry implements them itself.
//   - A read-only attach point refuses every change with EROFS.
//
// Locks: connection.mu guards the handle table; node.dirMu guards a node's directory
// stream. A handler holds at most one dirMu and never takes connection.mu while holding it
// for long (only to look up handles), so the order is dirMu → connection.mu.
package gofer

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/proto"
)

// Mount is an attach point: a host directory the client may attach to by Name.
type Mount struct {
	// Name is what a client passes to attach. The container root is conventionally "/".
	Name string
	// Path is the host directory (or, for any attach point but "/", a regular file: a
	// file bind mount). It is opened once, by NewServer, unless File is set.
	Path string
	// File, if set, is Path already open (O_PATH will do), which NewServer duplicates
	// instead of walking Path: a gofer in a user namespace may not be allowed to.
	File *os.File
	// ReadOnly makes every change under the mount fail with EROFS.
	ReadOnly bool
}

// Server serves attach points to any number of connections. After NewServer returns,
// it opens no host path by name again: everything is resolved relative to descriptors it
// already holds, so the process may chroot afterwards.
type Server struct {
	mounts map[string]*mount
	// procSelfFD is /proc/self/fd, opened by NewServer. Reopening a handle through it
	// is how an O_PATH descriptor becomes a readable or writable one.
	procSelfFD int
	// MaxHandles bounds the handles one connection may hold (EMFILE beyond).
	MaxHandles int
	// MaxInflight bounds the requests one connection may have running at once.
	MaxInflight int
	// Logf, if set, receives one line per protocol error.
	Logf func(format string, args ...any)
}

type mount struct {
	name     string
	rootFD   int // O_PATH (a directory, or a regular file), owned by the server
	readOnly bool
}

// NewServer opens the roots of mounts and /proc/self/fd.
func NewServer(mounts []Mount) (*Server, error) {
	s := &Server{mounts: make(map[string]*mount), procSelfFD: -1, MaxHandles: 1 << 16, MaxInflight: 64}
	for _, m := range mounts {
		if _, dup := s.mounts[m.Name]; dup {
			s.Close()
			return nil, fmt.Errorf("gofer: attach point %q given twice", m.Name)
		}
		fd, err := openMount(m)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("gofer: opening mount %q: %w", m.Path, err)
		}
		// A mount is a directory tree or a single regular file (a file bind mount).
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || (st.Mode&unix.S_IFMT != unix.S_IFDIR && (m.Name == "/" || st.Mode&unix.S_IFMT != unix.S_IFREG)) {
			unix.Close(fd)
			s.Close()
			if err == nil {
				err = unix.ENOTDIR
			}
			return nil, fmt.Errorf("gofer: mount %q: not a directory or regular file: %w", m.Path, err)
		}
		s.mounts[m.Name] = &mount{name: m.Name, rootFD: fd, readOnly: m.ReadOnly}
	}
	fd, err := unix.Open("/proc/self/fd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("gofer: opening /proc/self/fd: %w", err)
	}
	s.procSelfFD = fd
	return s, nil
}

// openMount returns a new O_PATH (or stronger) descriptor of m.
func openMount(m Mount) (int, error) {
	if m.File != nil {
		return unix.FcntlInt(m.File.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	}
	return unix.Open(m.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
}

// Close releases the server's descriptors. Connections still being served must have ended.
func (s *Server) Close() error {
	for _, m := range s.mounts {
		unix.Close(m.rootFD)
	}
	s.mounts = nil
	if s.procSelfFD >= 0 {
		unix.Close(s.procSelfFD)
		s.procSelfFD = -1
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// node is what a handle refers to.
type node struct {
	fd    int // O_PATH, closed when refs drops to zero
	mnt   *mount
	ftype uint32 // S_IFMT bits: an inode's type never changes
	refs  atomic.Int32

	// dirMu guards dirFD, a readable descriptor opened on first getdents.
	dirMu sync.Mutex
	dirFD int
}

func (n *node) isDir() bool { return n.ftype == unix.S_IFDIR }

func (n *node) decRef() {
	if n.refs.Add(-1) == 0 {
		unix.Close(n.fd)
		if n.dirFD >= 0 {
			unix.Close(n.dirFD)
		}
	}
}

// connection is one client's session.
type connection struct {
	s    *Server
	conn *proto.Conn

	// mu guards handles and next.
	mu      sync.Mutex
	handles map[proto.Handle]*node
	next    proto.Handle
}

// Serve serves one client on fd, a SOCK_SEQPACKET Unix socket it takes ownership of, until
// the client hangs up (nil) or breaks the protocol (a *proto.ProtocolError). Every handle
// the client held is released when Serve returns.
func (s *Server) Serve(fd int) error {
	conn, err := proto.NewConn(fd)
	if err != nil {
		unix.Close(fd)
		return err
	}
	c := &connection{s: s, conn: conn, handles: make(map[proto.Handle]*node)}
	defer c.closeAll()
	defer conn.Close()
	if err := c.handshake(); err != nil {
		s.logf("gofer: %v", err)
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, max(s.MaxInflight, 1))
	for {
		h, m, _, err := conn.Recv()
		if err != nil {
			if errors.Is(err, proto.ErrEOF) || errors.Is(err, unix.ECONNRESET) {
				return nil
			}
			s.logf("gofer: %v", err)
			return err
		}
		if !h.Op.IsRequest() || h.Op == proto.OpVersion {
			err := &proto.ProtocolError{Msg: fmt.Sprintf("unexpected %v message", h.Op)}
			s.logf("gofer: %v", err)
			return err
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.serveRequest(h.Tag, m)
		}()
	}
}

func (c *connection) handshake() error {
	h, m, _, err := c.conn.Recv()
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	req, ok := m.(*proto.VersionReq)
	if !ok {
		return &proto.ProtocolError{Msg: fmt.Sprintf("handshake: got %v, want version", h.Op)}
	}
	if req.Magic != proto.Magic {
		return &proto.ProtocolError{Msg: fmt.Sprintf("handshake: bad magic %#x", req.Magic)}
	}
	if req.Version < 1 {
		c.conn.Send(h.Tag, &proto.ErrorResp{Errno: uint32(unix.EPROTONOSUPPORT)}, nil)
		return &proto.ProtocolError{Msg: fmt.Sprintf("handshake: version %d unsupported", req.Version)}
	}
	return c.conn.Send(h.Tag, &proto.VersionResp{
		Version:    min(req.Version, proto.Version),
		MaxMessage: proto.MaxMessage,
		MaxWalk:    proto.MaxWalk,
	}, nil)
}

// serveRequest runs one request and sends its response.
func (c *connection) serveRequest(tag uint32, m proto.Message) {
	var resp proto.Message
	var fds []int
	err := func() (err error) {
		// A handler bug must not take the whole gofer down with every other container
		// file: report it as EIO on this request.
		defer func() {
			if r := recover(); r != nil {
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				c.s.logf("gofer: panic serving %v: %v\n%s", m.Op(), r, buf)
				err = unix.EIO
			}
		}()
		resp, fds, err = c.dispatch(m)
		return err
	}()
	if err != nil {
		resp, fds = &proto.ErrorResp{Errno: uint32(toErrno(err))}, nil
	}
	if err := c.conn.Send(tag, resp, fds); err != nil && !errors.Is(err, unix.EPIPE) {
		c.s.logf("gofer: sending %v: %v", resp.Op(), err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func toErrno(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) && e != 0 {
		return e
	}
	return unix.EIO
}

// get returns the node of h with a reference the caller must drop with decRef.
func (c *connection) get(h proto.Handle) (*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.handles[h]
	if !ok {
		return nil, unix.EBADF
	}
	n.refs.Add(1)
	return n, nil
}

// add makes a node of fd (taking ownership) and returns its new handle.
func (c *connection) add(fd int, mnt *mount, ftype uint32) (proto.Handle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.handles) >= c.s.MaxHandles {
		unix.Close(fd)
		return 0, unix.EMFILE
	}
	n := &node{fd: fd, mnt: mnt, ftype: ftype, dirFD: -1}
	n.refs.Store(1)
	c.next++
	c.handles[c.next] = n
	return c.next, nil
}

// remove drops the table's reference to h.
func (c *connection) remove(h proto.Handle) error {
	c.mu.Lock()
	n, ok := c.handles[h]
	delete(c.handles, h)
	c.mu.Unlock()
	if !ok {
		return unix.EBADF
	}
	n.decRef()
	return nil
}

func (c *connection) closeAll() {
	c.mu.Lock()
	hs := c.handles
	c.handles = nil
	c.mu.Unlock()
	for _, n := range hs {
		n.decRef()
	}
}
