package proto

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var stat = Stat{Mode: 0100644, Nlink: 2, UID: 1000, GID: 1001, Size: 1 << 40, Blocks: 8, Blksize: 4096,
	Atime: Timespec{1, 2}, Mtime: Timespec{-3, 4}, Ctime: Timespec{5, 999999999}, Ino: 77, Dev: 88, Rdev: 99}

// samples has one message of every type.
func samples() []Message {
	in := Inode{Handle: 7, Stat: stat}
	return []Message{
		&VersionReq{Magic: Magic, Version: 1},
		&VersionResp{Version: 1, MaxMessage: MaxMessage, MaxWalk: MaxWalk},
		&AttachReq{Name: "/"},
		&AttachResp{Root: in, ReadOnly: 1},
		&WalkReq{Dir: 1, Names: []string{"usr", "lib", strings.Repeat("x", 255)}},
		&WalkResp{Inodes: []Inode{in, in}, Errno: 2},
		&OpenReq{Handle: 3, Flags: 02},
		&OpenResp{},
		&CreateReq{Dir: 1, Name: "f", Flags: 1, Mode: 0644, UID: NoID, GID: 5},
		&CreateResp{Inode: in},
		&MkdirReq{Dir: 1, Name: "d", Mode: 0755, UID: 1, GID: 2},
		&MknodReq{Dir: 1, Name: "p", Mode: 010644, Rdev: 3, UID: 1, GID: 2},
		&SymlinkReq{Dir: 1, Name: "l", Target: "/etc/shadow", UID: 1, GID: 2},
		&LinkReq{Dir: 1, Name: "h", Target: 9},
		NewInodeResp(OpMkdir, in), NewInodeResp(OpMknod, in), NewInodeResp(OpSymlink, in), NewInodeResp(OpLink, in),
		&UnlinkReq{Dir: 1, Name: "x", Flags: 0x200},
		&RenameReq{OldDir: 1, OldName: "a", NewDir: 2, NewName: "b", Flags: 1},
		&ReadlinkReq{Handle: 4},
		&ReadlinkResp{Target: "../x"},
		&GetdentsReq{Dir: 1, Offset: 1 << 62, MaxBytes: 4096},
		&GetdentsResp{Dirents: []Dirent{{Ino: 1, Off: 2, Type: 4, Name: "a"}, {Ino: 3, Off: 4, Type: 8, Name: "bb"}}},
		&StatReq{Handle: 1},
		NewStatResp(OpStat, stat), NewStatResp(OpSetAttr, stat),
		&SetAttrReq{Handle: 1, Mask: SetAttrMode | SetAttrMtime, Mode: 0600, Size: 5, Atime: Timespec{1, 1<<30 - 1}, Mtime: Timespec{2, 3}},
		&StatFSReq{Handle: 1},
		&StatFSResp{StatFS: StatFS{Type: 1, Bsize: 2, Blocks: 3, Bfree: 4, Bavail: 5, Files: 6, Ffree: 7, Namelen: 8, Frsize: 9, Flags: 10}},
		&GetXattrReq{Handle: 1, Name: "user.a"},
		&GetXattrResp{Value: []byte("v\x00w")},
		&SetXattrReq{Handle: 1, Name: "user.a", Value: []byte{}, Flags: 1},
		&ListXattrReq{Handle: 1},
		&ListXattrResp{Names: []string{"user.a", "user.b"}},
		&RemoveXattrReq{Handle: 1, Name: "user.a"},
		&CloseReq{Handles: []Handle{1, 2, 3}},
		NewEmptyResp(OpUnlink), NewEmptyResp(OpRename), NewEmptyResp(OpSetXattr), NewEmptyResp(OpRemoveXattr), NewEmptyResp(OpClose),
		&ErrorResp{Errno: 2},
	}
}

func TestEveryOpHasAMessage(t *testing.T) {
	seen := map[Op]bool{}
	for _, m := range samples() {
		seen[m.Op()] = true
	}
	for op := OpVersion; op <= opLast; op++ {
		if NewMessage(op) == nil || NewMessage(op|RespBit) == nil {
			t.Errorf("%v: no message type", op)
		}
		if !seen[op] || !seen[op|RespBit] {
			t.Errorf("%v: no sample", op)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, m := range samples() {
		frame, err := EncodeFrame(42, m, FDsFor(m.Op()))
		if err != nil {
			t.Fatalf("%v: encode: %v", m.Op(), err)
		}
		h, got, err := DecodeFrame(frame, FDsFor(m.Op()))
		if err != nil {
			t.Fatalf("%v: decode: %v", m.Op(), err)
		}
		if h.Tag != 42 || h.Op != m.Op() || int(h.Size) != len(frame) {
			t.Errorf("%v: header %+v", m.Op(), h)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%v: round trip\n got %#v\nwant %#v", m.Op(), got, m)
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	good, _ := EncodeFrame(1, &WalkReq{Dir: 1, Names: []string{"a", "b"}}, 0)
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	cases := map[string][]byte{
		"empty":           {},
		"short header":    good[:8],
		"size mismatch":   mutate(func(b []byte) []byte { b[0]++; return b }),
		"truncated":       mutate(func(b []byte) []byte { b = b[:len(b)-1]; b[0]--; return b }),
		"trailing":        mutate(func(b []byte) []byte { b = append(b, 0); b[0]++; return b }),
		"reserved":        mutate(func(b []byte) []byte { b[11] = 1; return b }),
		"unknown op":      mutate(func(b []byte) []byte { b[8] = 0x77; return b }),
		"fds on request":  mutate(func(b []byte) []byte { b[10] = 1; return b }),
		"huge count":      mutate(func(b []byte) []byte { b[20] = 0xff; b[21] = 0xff; return b }),
		"huge string len": mutate(func(b []byte) []byte { b[24] = 0xff; b[27] = 0x7f; return b }),
	}
	for name, frame := range cases {
		_, _, err := DecodeFrame(frame, 0)
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a protocol error", name, err)
		}
	}
	// A response that must carry a descriptor but has none.
	frame, _ := EncodeFrame(1, &OpenResp{}, 1)
	if _, _, err := DecodeFrame(frame, 0); err == nil {
		t.Errorf("open response without its descriptor accepted")
	}
	if _, err := EncodeFrame(1, &GetXattrResp{Value: make([]byte, MaxMessage)}, 0); err == nil {
		t.Errorf("oversized frame encoded")
	}
}

// FuzzDecode checks that no input makes the decoder panic or allocate without bound, and
// that whatever decodes re-encodes to the very same bytes (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	for _, m := range samples() {
		frame, err := EncodeFrame(7, m, FDsFor(m.Op()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		numFDs := 0
		if len(data) > 10 {
			numFDs = int(data[10])
		}
		h, m, err := DecodeFrame(data, numFDs)
		if err != nil {
			return
		}
		again, err := EncodeFrame(h.Tag, m, numFDs)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", h.Op, err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("%v: re-encoded\n%x\nfrom\n%x", h.Op, again, data)
		}
	})
}
