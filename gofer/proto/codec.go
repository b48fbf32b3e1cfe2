package proto

import "encoding/binary"

// Encoder appends payload fields to a buffer.
type Encoder struct{ buf []byte }

func (e *Encoder) U8(v uint8)   { e.buf = append(e.buf, v) }
func (e *Encoder) U16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }
func (e *Encoder) U32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *Encoder) U64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *Encoder) I64(v int64)  { e.U64(uint64(v)) }

// Bytes writes a u32 length and the bytes.
func (e *Encoder) Bytes(b []byte) {
	e.U32(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// String writes a u32 length and the string.
func (e *Encoder) String(s string) {
	e.U32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// Decoder reads payload fields. The first failure sticks: later reads return zero values and
// Err reports the failure, so a message's decode method needs no error checks of its own.
type Decoder struct {
	buf []byte
	err error
}

func (d *Decoder) fail(what string) {
	if d.err == nil {
		d.err = protoErrf("truncated or invalid %s", what)
	}
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf) {
		d.fail(what)
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *Decoder) U8() uint8 {
	if b := d.take(1, "u8"); b != nil {
		return b[0]
	}
	return 0
}

func (d *Decoder) U16() uint16 {
	if b := d.take(2, "u16"); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *Decoder) U32() uint32 {
	if b := d.take(4, "u32"); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *Decoder) U64() uint64 {
	if b := d.take(8, "u64"); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *Decoder) I64() int64 { return int64(d.U64()) }

// Bytes reads a length-prefixed byte string of at most max bytes. The result is a copy.
func (d *Decoder) Bytes(max int) []byte {
	n := d.U32()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.err = protoErrf("byte string of %d bytes exceeds %d", n, max)
		return nil
	}
	b := d.take(int(n), "byte string")
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// String reads a length-prefixed string of at most max bytes.
func (d *Decoder) String(max int) string {
	n := d.U32()
	if d.err != nil {
		return ""
	}
	if uint64(n) > uint64(max) {
		d.err = protoErrf("string of %d bytes exceeds %d", n, max)
		return ""
	}
	return string(d.take(int(n), "string"))
}

// Count reads an array length, checking that max is not exceeded and that count elements of
// at least minSize bytes each can fit in what remains, so that a hostile count cannot make the
// decoder allocate more than the frame's size.
func (d *Decoder) Count(max, minSize int) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(max) || uint64(n)*uint64(minSize) > uint64(len(d.buf)) {
		d.err = protoErrf("array of %d elements does not fit", n)
		return 0
	}
	return int(n)
}

// Err returns the first decoding failure, or a failure if bytes remain unread.
func (d *Decoder) Err() error {
	if d.err == nil && len(d.buf) != 0 {
		d.err = protoErrf("%d trailing bytes", len(d.buf))
	}
	return d.err
}

// Message is a request or response payload.
type Message interface {
	// Op is the operation this message carries.
	Op() Op
	// Encode appends the payload.
	Encode(e *Encoder)
	// Decode reads the payload; errors are reported by the decoder.
	Decode(d *Decoder)
}

// NewMessage returns an empty message for op, or nil when op is unknown.
func NewMessage(op Op) Message {
	switch op {
	case OpVersion:
		return &VersionReq{}
	case OpVersion | RespBit:
		return &VersionResp{}
	case OpAttach:
		return &AttachReq{}
	case OpAttach | RespBit:
		return &AttachResp{}
	case OpWalk:
		return &WalkReq{}
	case OpWalk | RespBit:
		return &WalkResp{}
	case OpOpen:
		return &OpenReq{}
	case OpOpen | RespBit:
		return &OpenResp{}
	case OpCreate:
		return &CreateReq{}
	case OpCreate | RespBit:
		return &CreateResp{}
	case OpMkdir:
		return &MkdirReq{}
	case OpMknod:
		return &MknodReq{}
	case OpSymlink:
		return &SymlinkReq{}
	case OpLink:
		return &LinkReq{}
	case OpMkdir | RespBit, OpMknod | RespBit, OpSymlink | RespBit, OpLink | RespBit:
		return &InodeResp{op: op}
	case OpUnlink:
		return &UnlinkReq{}
	case OpRename:
		return &RenameReq{}
	case OpReadlink:
		return &ReadlinkReq{}
	case OpReadlink | RespBit:
		return &ReadlinkResp{}
	case OpGetdents:
		return &GetdentsReq{}
	case OpGetdents | RespBit:
		return &GetdentsResp{}
	case OpStat:
		return &StatReq{}
	case OpStat | RespBit, OpSetAttr | RespBit:
		return &StatResp{op: op}
	case OpSetAttr:
		return &SetAttrReq{}
	case OpStatFS:
		return &StatFSReq{}
	case OpStatFS | RespBit:
		return &StatFSResp{}
	case OpGetXattr:
		return &GetXattrReq{}
	case OpGetXattr | RespBit:
		return &GetXattrResp{}
	case OpSetXattr:
		return &SetXattrReq{}
	case OpListXattr:
		return &ListXattrReq{}
	case OpListXattr | RespBit:
		return &ListXattrResp{}
	case OpRemoveXattr:
		return &RemoveXattrReq{}
	case OpClose:
		return &CloseReq{}
	case OpUnlink | RespBit, OpRename | RespBit, OpSetXattr | RespBit,
		OpRemoveXattr | RespBit, OpClose | RespBit:
		return &EmptyResp{op: op}
	case OpError:
		return &ErrorResp{}
	}
	return nil
}

// Decode decodes a payload for op.
func Decode(op Op, payload []byte) (Message, error) {
	m := NewMessage(op)
	if m == nil {
		return nil, protoErrf("unknown operation %#x", uint16(op))
	}
	d := Decoder{buf: payload}
	m.Decode(&d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// EncodeFrame builds a complete frame for m with the given tag and descriptor count.
func EncodeFrame(tag uint32, m Message, numFDs int) ([]byte, error) {
	e := Encoder{buf: make([]byte, HeaderSize, 256)}
	m.Encode(&e)
	if len(e.buf) > MaxMessage {
		return nil, protoErrf("%v message of %d bytes exceeds %d", m.Op(), len(e.buf), MaxMessage)
	}
	if numFDs != FDsFor(m.Op()) {
		return nil, protoErrf("%v with %d descriptors, want %d", m.Op(), numFDs, FDsFor(m.Op()))
	}
	PutHeader(e.buf, Header{Size: uint32(len(e.buf)), Tag: tag, Op: m.Op(), NumFDs: uint8(numFDs)})
	return e.buf, nil
}

// DecodeFrame parses a whole frame (header and payload) as received, with numFDs
// descriptors attached.
func DecodeFrame(b []byte, numFDs int) (Header, Message, error) {
	h, err := ParseHeader(b, len(b))
	if err != nil {
		return h, nil, err
	}
	if int(h.NumFDs) != numFDs {
		return h, nil, protoErrf("header says %d descriptors, %d arrived", h.NumFDs, numFDs)
	}
	m, err := Decode(h.Op, b[HeaderSize:])
	return h, m, err
}
