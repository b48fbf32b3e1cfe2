// Package client is the sentry's side of the gofer protocol (gofer/proto). A Client is safe
// for concurrent use: each call sends a request with a fresh tag and waits for the response
// with that tag, so calls from many goroutines are pipelined on one connection.
//
// Operation failures are unix.Errno values (compare with errors.Is or ==). A broken
// connection fails every pending and later call with an error wrapping ErrClosed; it is not
// an Errno.
//
// Every Handle a call returns belongs to the caller until passed to Close. Every descriptor
// a call returns belongs to the caller, close-on-exec.
//
// Locks: Client.mu guards the pending table, the tag counter and the failure; it is never
// held while sending or receiving.
//
// This package must not import anything under sentry/: it is the wall between the two.
package client

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/proto"
)

// Re-exported protocol types, so callers need not import gofer/proto for the common ones.
type (
	Handle   = proto.Handle
	Stat     = proto.Stat
	Inode    = proto.Inode
	Dirent   = proto.Dirent
	StatFS   = proto.StatFS
	Timespec = proto.Timespec
)

// NoID leaves an owner field unchanged.
const NoID = proto.NoID

// ErrClosed is wrapped by every error of a call made on a closed or broken connection.
var ErrClosed = errors.New("gofer connection closed")

type result struct {
	m   proto.Message
	fds []int
}

// Client is a connection to a gofer.
type Client struct {
	conn    *proto.Conn
	maxWalk int
	done    chan struct{} // closed when the reader exits
	closing sync.Once

	// mu guards the fields below.
	mu      sync.Mutex
	pending map[uint32]chan result
	nextTag uint32
	err     error // why the connection is unusable, nil while it works
}

// Dial speaks to the gofer on fd, a SOCK_SEQPACKET Unix socket the Client takes ownership
// of (also on error), and runs the version handshake.
func Dial(fd int) (*Client, error) {
	conn, err := proto.NewConn(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := conn.Send(0, &proto.VersionReq{Magic: proto.Magic, Version: proto.Version}, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("gofer handshake: %w", err)
	}
	_, m, fds, err := conn.Recv()
	closeFDs(fds)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("gofer handshake: %w", err)
	}
	var resp *proto.VersionResp
	switch m := m.(type) {
	case *proto.VersionResp:
		resp = m
	case *proto.ErrorResp:
		conn.Close()
		return nil, fmt.Errorf("gofer handshake: %w", unix.Errno(m.Errno))
	default:
		conn.Close()
		return nil, fmt.Errorf("gofer handshake: unexpected %v", m.Op())
	}
	if resp.Version < 1 || resp.Version > proto.Version {
		conn.Close()
		return nil, fmt.Errorf("gofer handshake: server chose version %d", resp.Version)
	}
	c := &Client{
		conn:    conn,
		maxWalk: min(int(resp.MaxWalk), proto.MaxWalk),
		done:    make(chan struct{}),
		pending: make(map[uint32]chan result),
		nextTag: 1,
	}
	if c.maxWalk < 1 {
		c.maxWalk = 1
	}
	go c.readLoop()
	return c, nil
}

// Close shuts the connection down; pending calls fail with ErrClosed.
func (c *Client) Close() error {
	var err error = ErrClosed
	c.closing.Do(func() {
		c.fail(ErrClosed)
		c.conn.Shutdown()
		<-c.done
		err = c.conn.Close()
	})
	return err
}

// fail records the first reason the connection broke and wakes every waiter.
func (c *Client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for tag, ch := range c.pending {
		delete(c.pending, tag)
		close(ch)
	}
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		h, m, fds, err := c.conn.Recv()
		if err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrClosed, err))
			return
		}
		if !h.Op.IsResponse() {
			closeFDs(fds)
			c.fail(fmt.Errorf("%w: %w", ErrClosed, &proto.ProtocolError{Msg: fmt.Sprintf("server sent %v", h.Op)}))
			c.conn.Shutdown()
			return
		}
		c.mu.Lock()
		ch, ok := c.pending[h.Tag]
		delete(c.pending, h.Tag)
		c.mu.Unlock()
		if !ok {
			closeFDs(fds)
			c.fail(fmt.Errorf("%w: %w", ErrClosed, &proto.ProtocolError{Msg: fmt.Sprintf("response with unknown tag %d", h.Tag)}))
			c.conn.Shutdown()
			return
		}
		ch <- result{m: m, fds: fds} // buffered
	}
}

// call sends req and waits for its response. A response of the wrong type is a protocol
// error that breaks the connection; an ErrorResp becomes its Errno.
func (c *Client) call(req proto.Message) (proto.Message, []int, error) {
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, nil, err
	}
	tag := c.nextTag
	for {
		if _, busy := c.pending[tag]; !busy {
			break
		}
		tag++
	}
	c.nextTag = tag + 1
	c.pending[tag] = ch
	c.mu.Unlock()

	if err := c.conn.Send(tag, req, nil); err != nil {
		c.mu.Lock()
		delete(c.pending, tag)
		c.mu.Unlock()
		var pe *proto.ProtocolError
		if errors.As(err, &pe) {
			return nil, nil, err // our own message did not encode: this call only
		}
		c.fail(fmt.Errorf("%w: %w", ErrClosed, err))
		return nil, nil, c.failure()
	}
	r, ok := <-ch
	if !ok {
		return nil, nil, c.failure()
	}
	if e, isErr := r.m.(*proto.ErrorResp); isErr {
		closeFDs(r.fds)
		return nil, nil, unix.Errno(e.Errno)
	}
	if r.m.Op() != req.Op()|proto.RespBit {
		closeFDs(r.fds)
		err := fmt.Errorf("%w: %w", ErrClosed, &proto.ProtocolError{Msg: fmt.Sprintf("%v answered with %v", req.Op(), r.m.Op())})
		c.fail(err)
		c.conn.Shutdown()
		return nil, nil, err
	}
	return r.m, r.fds, nil
}

func (c *Client) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Attach returns the root of the attach point name and whether it is read-only.
func (c *Client) Attach(name string) (Inode, bool, error) {
	m, _, err := c.call(&proto.AttachReq{Name: name})
	if err != nil {
		return Inode{}, false, err
	}
	r := m.(*proto.AttachResp)
	return r.Root, r.ReadOnly != 0, nil
}

// Walk looks up names one component at a time from dir and returns an inode for each
// component it got through. When it returns fewer inodes than names, either err says why
// (ENOENT: the next name is missing; ENOTDIR; EACCES...), or err is nil and the last inode is
// a symlink, which the gofer never follows: the caller resolves it and walks on. Walks
// longer than the server's limit are split into several requests.
func (c *Client) Walk(dir Handle, names []string) ([]Inode, error) {
	var out []Inode
	for len(names) > 0 {
		chunk := names[:min(len(names), c.maxWalk)]
		m, _, err := c.call(&proto.WalkReq{Dir: dir, Names: chunk})
		if err != nil {
			return out, err
		}
		r := m.(*proto.WalkResp)
		out = append(out, r.Inodes...)
		if r.Errno != 0 {
			return out, unix.Errno(r.Errno)
		}
		if len(r.Inodes) < len(chunk) {
			return out, nil // stopped at a symlink
		}
		last := r.Inodes[len(r.Inodes)-1]
		if last.Stat.Mode&unix.S_IFMT == unix.S_IFLNK {
			return out, nil
		}
		dir = last.Handle
		names = names[len(chunk):]
	}
	return out, nil
}

// Open opens the file of h with open(2) flags and returns a host descriptor.
func (c *Client) Open(h Handle, flags int) (int, error) {
	_, fds, err := c.call(&proto.OpenReq{Handle: h, Flags: uint32(flags)})
	if err != nil {
		return -1, err
	}
	return fds[0], nil
}

// Create creates the regular file name in dir (exclusively: EEXIST if it exists) and opens
// it with flags. uid and gid may be NoID.
func (c *Client) Create(dir Handle, name string, flags int, mode uint32, uid, gid uint32) (Inode, int, error) {
	m, fds, err := c.call(&proto.CreateReq{Dir: dir, Name: name, Flags: uint32(flags), Mode: mode, UID: uid, GID: gid})
	if err != nil {
		return Inode{}, -1, err
	}
	return m.(*proto.CreateResp).Inode, fds[0], nil
}

func (c *Client) inodeCall(req proto.Message) (Inode, error) {
	m, _, err := c.call(req)
	if err != nil {
		return Inode{}, err
	}
	return m.(*proto.InodeResp).Inode, nil
}

// Mkdir creates directory name in dir.
func (c *Client) Mkdir(dir Handle, name string, mode uint32, uid, gid uint32) (Inode, error) {
	return c.inodeCall(&proto.MkdirReq{Dir: dir, Name: name, Mode: mode, UID: uid, GID: gid})
}

// Mknod creates a regular file, FIFO or socket; mode carries the type. Device files fail
// with EPERM.
func (c *Client) Mknod(dir Handle, name string, mode uint32, uid, gid uint32) (Inode, error) {
	return c.inodeCall(&proto.MknodReq{Dir: dir, Name: name, Mode: mode, UID: uid, GID: gid})
}

// Symlink creates symlink name in dir with the given target.
func (c *Client) Symlink(dir Handle, name, target string, uid, gid uint32) (Inode, error) {
	return c.inodeCall(&proto.SymlinkReq{Dir: dir, Name: name, Target: target, UID: uid, GID: gid})
}

// Link creates hard link name in dir to the file of target.
func (c *Client) Link(dir Handle, name string, target Handle) (Inode, error) {
	return c.inodeCall(&proto.LinkReq{Dir: dir, Name: name, Target: target})
}

// Unlink removes name from dir; flags may be unix.AT_REMOVEDIR.
func (c *Client) Unlink(dir Handle, name string, flags int) error {
	_, _, err := c.call(&proto.UnlinkReq{Dir: dir, Name: name, Flags: uint32(flags)})
	return err
}

// Rename is renameat2; flags may be unix.RENAME_NOREPLACE or unix.RENAME_EXCHANGE.
func (c *Client) Rename(oldDir Handle, oldName string, newDir Handle, newName string, flags uint) error {
	_, _, err := c.call(&proto.RenameReq{OldDir: oldDir, OldName: oldName, NewDir: newDir, NewName: newName, Flags: uint32(flags)})
	return err
}

// Readlink returns the target of a symlink.
func (c *Client) Readlink(h Handle) (string, error) {
	m, _, err := c.call(&proto.ReadlinkReq{Handle: h})
	if err != nil {
		return "", err
	}
	return m.(*proto.ReadlinkResp).Target, nil
}

// Getdents returns entries of directory dir after position off (0 for the start; then the
// Off of the last entry returned), at most about maxBytes of them (0 for the server's
// maximum). No entries means the end. "." and ".." are never returned.
func (c *Client) Getdents(dir Handle, off uint64, maxBytes int) ([]Dirent, error) {
	if maxBytes <= 0 || maxBytes > proto.MaxPayload {
		maxBytes = proto.MaxPayload
	}
	m, _, err := c.call(&proto.GetdentsReq{Dir: dir, Offset: off, MaxBytes: uint32(maxBytes)})
	if err != nil {
		return nil, err
	}
	return m.(*proto.GetdentsResp).Dirents, nil
}

// Stat returns the attributes of h.
func (c *Client) Stat(h Handle) (Stat, error) {
	m, _, err := c.call(&proto.StatReq{Handle: h})
	if err != nil {
		return Stat{}, err
	}
	return m.(*proto.StatResp).Stat, nil
}

// SetAttr says which attributes to change: each pointer that is non-nil applies. A time's
// Nsec may be unix.UTIME_NOW or unix.UTIME_OMIT.
type SetAttr struct {
	Mode  *uint32
	UID   *uint32
	GID   *uint32
	Size  *uint64
	Atime *Timespec
	Mtime *Timespec
}

// SetAttr changes attributes of h and returns the new ones.
func (c *Client) SetAttr(h Handle, a SetAttr) (Stat, error) {
	req := &proto.SetAttrReq{Handle: h}
	setAttrField(&req.Mask, proto.SetAttrMode, &req.Mode, a.Mode)
	setAttrField(&req.Mask, proto.SetAttrUID, &req.UID, a.UID)
	setAttrField(&req.Mask, proto.SetAttrGID, &req.GID, a.GID)
	setAttrField(&req.Mask, proto.SetAttrSize, &req.Size, a.Size)
	setAttrField(&req.Mask, proto.SetAttrAtime, &req.Atime, a.Atime)
	setAttrField(&req.Mask, proto.SetAttrMtime, &req.Mtime, a.Mtime)
	m, _, err := c.call(req)
	if err != nil {
		return Stat{}, err
	}
	return m.(*proto.StatResp).Stat, nil
}

// setAttrField copies *v into a SetAttrReq's field and sets the field's bit in its mask,
// if v is set (a nil v leaves the attribute as it is).
func setAttrField[T any](mask *uint32, bit uint32, field *T, v *T) {
	if v != nil {
		*mask |= bit
		*field = *v
	}
}

// StatFS returns the statistics of the filesystem holding h.
func (c *Client) StatFS(h Handle) (StatFS, error) {
	m, _, err := c.call(&proto.StatFSReq{Handle: h})
	if err != nil {
		return StatFS{}, err
	}
	return m.(*proto.StatFSResp).StatFS, nil
}

// GetXattr returns the whole value of extended attribute name (only user.* is served).
func (c *Client) GetXattr(h Handle, name string) ([]byte, error) {
	m, _, err := c.call(&proto.GetXattrReq{Handle: h, Name: name})
	if err != nil {
		return nil, err
	}
	return m.(*proto.GetXattrResp).Value, nil
}

// SetXattr sets extended attribute name; flags may be unix.XATTR_CREATE or XATTR_REPLACE.
func (c *Client) SetXattr(h Handle, name string, value []byte, flags int) error {
	_, _, err := c.call(&proto.SetXattrReq{Handle: h, Name: name, Value: value, Flags: uint32(flags)})
	return err
}

// ListXattr returns the names of h's extended attributes (user.* only).
func (c *Client) ListXattr(h Handle) ([]string, error) {
	m, _, err := c.call(&proto.ListXattrReq{Handle: h})
	if err != nil {
		return nil, err
	}
	return m.(*proto.ListXattrResp).Names, nil
}

// RemoveXattr removes extended attribute name.
func (c *Client) RemoveXattr(h Handle, name string) error {
	_, _, err := c.call(&proto.RemoveXattrReq{Handle: h, Name: name})
	return err
}

// CloseHandles releases handles. If one is unknown (EBADF), the others are still released.
func (c *Client) CloseHandles(hs ...Handle) error {
	for len(hs) > 0 {
		n := min(len(hs), proto.MaxClose)
		if _, _, err := c.call(&proto.CloseReq{Handles: hs[:n]}); err != nil {
			return err
		}
		hs = hs[n:]
	}
	return nil
}
