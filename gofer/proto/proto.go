// Package proto is the wire protocol between the sentry and a gofer.
//
// A connection is a SOCK_SEQPACKET Unix socket. Every message is one packet: a 12-byte
// little-endian header followed by an operation-specific payload, with any file descriptors
// attached to the same packet as SCM_RIGHTS. The header carries the total length, a tag that
// pairs a response with its request (so a client may have many requests in flight from many
// goroutines), the operation and the number of attached descriptors:
//
//	offset size field
//	0      4    Size     total frame length in bytes, header included (12..MaxMessage)
//	4      4    Tag      chosen by the client; echoed in the response
//	8      2    Op       request operation, or Op|RespBit for its response, or OpError
//	10     1    NumFDs   descriptors attached with SCM_RIGHTS (0..MaxFDs)
//	11     1    Reserved must be zero
//
// Payload fields are fixed-size little-endian integers, strings and byte strings
// (u32 length then bytes) and arrays (u32 count then elements). A decoder rejects
// a payload that is short, has trailing bytes, or has lengths that do not fit: such a message
// is a protocol error and the peer closes the connection. Operations fail with Linux errnos
// carried in an OpError response; that is not a protocol error.
//
// docs/gofer.md describes every operation and the security rules the server follows.
//
// This package imports nothing of Stockade's: both the gofer and the sentry use it.
package proto

import "fmt"

// Magic opens the version handshake ("STKG").
const Magic = 0x474b5453

// Version is the highest protocol version this package speaks.
const Version = 1

// HeaderSize is the size of a frame header.
const HeaderSize = 12

// MaxMessage is the largest frame, header included. It leaves room for a 64 KiB extended
// attribute value and stays under the default Unix socket send buffer.
const MaxMessage = 128 << 10

// MaxPayload is the largest payload.
const MaxPayload = MaxMessage - HeaderSize

// MaxFDs is the most descriptors one frame may carry.
const MaxFDs = 4

// MaxWalk is the most names one Walk request may carry; clients split longer walks.
const MaxWalk = 256

// NameMax is the longest file name (NAME_MAX).
const NameMax = 255

// PathMax is the longest symlink target (PATH_MAX minus the NUL).
const PathMax = 4095

// XattrNameMax and XattrSizeMax bound extended attribute names and values.
const (
	XattrNameMax = 255
	XattrSizeMax = 64 << 10
)

// NoID in a uid or gid field means "leave unchanged" (as (uid_t)-1 does for chown).
const NoID = ^uint32(0)

// Handle names a file the server holds open for the client. Zero is never a valid handle.
type Handle uint64

// Op is an operation code.
type Op uint16

// Request operations. Their responses are Op|RespBit.
const (
	OpVersion Op = iota + 1
	OpAttach
	OpWalk
	OpOpen
	OpCreate
	OpMkdir
	OpMknod
	OpSymlink
	OpLink
	OpUnlink
	OpRename
	OpReadlink
	OpGetdents
	OpStat
	OpSetAttr
	OpStatFS
	OpGetXattr
	OpSetXattr
	OpListXattr
	OpRemoveXattr
	OpClose
	opLast = OpClose
)

// RespBit marks a response; OpError is the response of any failed request.
const (
	RespBit Op = 0x8000
	OpError Op = 0xffff
)

var opNames = [...]string{
	OpVersion: "version", OpAttach: "attach", OpWalk: "walk", OpOpen: "open",
	OpCreate: "create", OpMkdir: "mkdir", OpMknod: "mknod", OpSymlink: "symlink",
	OpLink: "link", OpUnlink: "unlink", OpRename: "rename", OpReadlink: "readlink",
	OpGetdents: "getdents", OpStat: "stat", OpSetAttr: "setattr", OpStatFS: "statfs",
	OpGetXattr: "getxattr", OpSetXattr: "setxattr", OpListXattr: "listxattr",
	OpRemoveXattr: "removexattr", OpClose: "close",
}

// IsRequest reports whether op is a known request operation.
func (op Op) IsRequest() bool { return op >= OpVersion && op <= opLast }

// IsResponse reports whether op is a known response operation (OpError included).
func (op Op) IsResponse() bool {
	return op == OpError || (op&RespBit != 0 && (op &^ RespBit).IsRequest())
}

func (op Op) String() string {
	switch {
	case op == OpError:
		return "error"
	case op.IsRequest():
		return opNames[op]
	case op.IsResponse():
		return opNames[op&^RespBit] + "-resp"
	}
	return fmt.Sprintf("op(%#x)", uint16(op))
}

// FDsFor is the number of descriptors a frame of this op must carry.
func FDsFor(op Op) int {
	switch op {
	case OpOpen | RespBit, OpCreate | RespBit:
		return 1
	}
	return 0
}

// Header is a decoded frame header.
type Header struct {
	Size   uint32
	Tag    uint32
	Op     Op
	NumFDs uint8
}

// ProtocolError reports a malformed or unexpected message. After one, the connection is
// closed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "gofer protocol error: " + e.Msg }

func protoErrf(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// ParseHeader decodes and checks a header against the frame length n that arrived.
func ParseHeader(b []byte, n int) (Header, error) {
	if n < HeaderSize || len(b) < HeaderSize {
		return Header{}, protoErrf("short frame: %d bytes", n)
	}
	h := Header{
		Size:   le32(b[0:]),
		Tag:    le32(b[4:]),
		Op:     Op(le16(b[8:])),
		NumFDs: b[10],
	}
	switch {
	case b[11] != 0:
		return h, protoErrf("reserved header byte is %#x", b[11])
	case h.Size != uint32(n):
		return h, protoErrf("header says %d bytes, frame has %d", h.Size, n)
	case h.Size > MaxMessage:
		return h, protoErrf("frame of %d bytes exceeds %d", h.Size, MaxMessage)
	case h.NumFDs > MaxFDs:
		return h, protoErrf("%d descriptors exceed %d", h.NumFDs, MaxFDs)
	case !h.Op.IsRequest() && !h.Op.IsResponse():
		return h, protoErrf("unknown operation %#x", uint16(h.Op))
	case int(h.NumFDs) != FDsFor(h.Op):
		return h, protoErrf("%v carries %d descriptors, want %d", h.Op, h.NumFDs, FDsFor(h.Op))
	}
	return h, nil
}

// PutHeader writes h into b[:HeaderSize].
func PutHeader(b []byte, h Header) {
	put32(b[0:], h.Size)
	put32(b[4:], h.Tag)
	put16(b[8:], uint16(h.Op))
	b[10] = h.NumFDs
	b[11] = 0
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 { return uint32(le16(b)) | uint32(le16(b[2:]))<<16 }
func put16(b []byte, v uint16) {
	b[0] = byte(v)
	b[1] = byte(v >> 8)
}
func put32(b []byte, v uint32) {
	put16(b, uint16(v))
	put16(b[2:], uint16(v>>16))
}
