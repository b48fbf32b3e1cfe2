package proto

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Conn sends and receives frames on a SOCK_SEQPACKET Unix socket. Send may be called from
// many goroutines at once (a seqpacket send is atomic); Recv from one goroutine at a time.
type Conn struct {
	fd  int
	buf []byte // owned by the Recv caller
	oob []byte // owned by the Recv caller
}

// NewConn wraps fd, which must be a SOCK_SEQPACKET Unix socket. The Conn owns fd.
func NewConn(fd int) (*Conn, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, fmt.Errorf("gofer connection fd %d: %w", fd, err)
	}
	if typ != unix.SOCK_SEQPACKET {
		return nil, fmt.Errorf("gofer connection fd %d: socket type %d, want SOCK_SEQPACKET", fd, typ)
	}
	// Best effort: make sure a whole MaxMessage frame fits in the send buffer.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 2*MaxMessage)
	return &Conn{
		fd:  fd,
		buf: make([]byte, MaxMessage+1),
		oob: make([]byte, unix.CmsgSpace(4*(MaxFDs+1))),
	}, nil
}

// FD returns the socket.
func (c *Conn) FD() int { return c.fd }

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// Shutdown wakes a blocked Recv, which then returns an error.
func (c *Conn) Shutdown() error { return unix.Shutdown(c.fd, unix.SHUT_RDWR) }

// Send encodes m and sends it with fds attached. It does not close fds.
func (c *Conn) Send(tag uint32, m Message, fds []int) error {
	frame, err := EncodeFrame(tag, m, len(fds))
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for {
		err = unix.Sendmsg(c.fd, frame, oob, nil, unix.MSG_NOSIGNAL)
		if err != unix.EINTR {
			return err
		}
	}
}

// ErrEOF is returned by Recv when the peer closed the connection.
var ErrEOF = errors.New("gofer connection closed by peer")

// Recv receives one frame and decodes it. Received descriptors are close-on-exec and belong
// to the caller; on error any that arrived have been closed.
func (c *Conn) Recv() (Header, Message, []int, error) {
	var n, oobn, flags int
	var err error
	for {
		n, oobn, flags, _, err = unix.Recvmsg(c.fd, c.buf, c.oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return Header{}, nil, nil, err
	}
	fds, ferr := parseRights(c.oob[:oobn])
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	switch {
	case ferr != nil:
		closeAll()
		return Header{}, nil, nil, ferr
	case n == 0 && oobn == 0:
		return Header{}, nil, nil, ErrEOF
	case flags&unix.MSG_TRUNC != 0 || n > MaxMessage:
		closeAll()
		return Header{}, nil, nil, protoErrf("frame larger than %d bytes", MaxMessage)
	case flags&unix.MSG_CTRUNC != 0:
		closeAll()
		return Header{}, nil, nil, protoErrf("too many descriptors attached")
	}
	h, m, err := DecodeFrame(c.buf[:n], len(fds))
	if err != nil {
		closeAll()
		return h, nil, nil, err
	}
	return h, m, fds, nil
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, protoErrf("bad control message: %v", err)
	}
	var fds []int
	var bad error
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			bad = protoErrf("unexpected control message %d/%d", m.Header.Level, m.Header.Type)
			continue
		}
		r, err := unix.ParseUnixRights(&m)
		if err != nil {
			bad = protoErrf("bad SCM_RIGHTS: %v", err)
			continue
		}
		fds = append(fds, r...)
	}
	if bad != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, bad
	}
	return fds, nil
}
