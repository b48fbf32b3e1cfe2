package pipe

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

func newEnds(t *testing.T, flags uint32) (*File, *File) {
	t.Helper()
	r, w := New(0, 0, flags|unix.O_NONBLOCK)
	return r, w
}

func TestPipeReadWriteAndEOF(t *testing.T) {
	r, w := newEnds(t, 0)
	if n, err := w.Write(nil, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	buf := make([]byte, 3)
	if n, _ := r.Read(nil, buf); n != 3 || string(buf) != "hel" {
		t.Fatalf("read: %d %q", n, buf[:n])
	}
	if n, _ := r.Read(nil, buf); n != 2 || string(buf[:2]) != "lo" {
		t.Fatalf("second read: %d %q", n, buf[:n])
	}
	if _, err := r.Read(nil, buf); err != unix.EAGAIN {
		t.Fatalf("empty pipe with a writer: %v, want EAGAIN", err)
	}
	w.Release()
	if n, err := r.Read(nil, buf); n != 0 || err != nil {
		t.Fatalf("after the last writer: %d %v, want EOF", n, err)
	}
	if got := r.Readiness(waiter.AllEvents); got != waiter.EventHUp {
		t.Fatalf("reader readiness at EOF: %#x", got)
	}
}

func TestPipeWriteWithoutReadersIsEPIPE(t *testing.T) {
	r, w := newEnds(t, 0)
	r.Release()
	if _, err := w.Write(nil, []byte("x")); err != unix.EPIPE {
		t.Fatalf("write: %v, want EPIPE", err)
	}
	if got := w.Readiness(waiter.AllEvents); got != waiter.EventOut|waiter.EventErr {
		t.Fatalf("writer readiness: %#x", got)
	}
}

func TestPipeFillsToCapacityByteByByte(t *testing.T) {
	r, w := newEnds(t, 0)
	n := 0
	for {
		if _, err := w.Write(nil, []byte{1}); err != nil {
			if err != unix.EAGAIN {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != DefaultSize {
		t.Fatalf("filled %d bytes, want %d", n, DefaultSize)
	}
	if w.Readiness(waiter.EventOut) != 0 {
		t.Fatal("full pipe is writable")
	}
	// One byte read frees no slot: still not writable, as in Linux.
	r.Read(nil, make([]byte, 1))
	if w.Readiness(waiter.EventOut) != 0 {
		t.Fatal("writable after reading one byte")
	}
	r.Read(nil, make([]byte, pageSize))
	if w.Readiness(waiter.EventOut) == 0 {
		t.Fatal("not writable after a page was read")
	}
}

func TestPipeSmallWritesAreAtomic(t *testing.T) {
	r, w := newEnds(t, 0)
	big := bytes.Repeat([]byte{'a'}, DefaultSize-100)
	if n, err := w.Write(nil, big); n != len(big) || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	// 100 bytes are free in the last slot: a 200-byte write must not be split.
	if n, err := w.Write(nil, make([]byte, 200)); n != 0 || err != unix.EAGAIN {
		t.Fatalf("atomic write into a nearly full pipe: %d %v, want EAGAIN", n, err)
	}
	if n, err := w.Write(nil, make([]byte, 100)); n != 100 || err != nil {
		t.Fatalf("write that fits: %d %v", n, err)
	}
	// A write larger than PIPE_BUF is split: part goes in once a slot is free.
	r.Read(nil, make([]byte, pageSize))
	if n, err := w.Write(nil, make([]byte, 3*pageSize)); n != pageSize || err != nil {
		t.Fatalf("large non-blocking write: %d %v, want %d", n, err, pageSize)
	}
}

func TestPipePacketMode(t *testing.T) {
	r, w := newEnds(t, unix.O_DIRECT)
	w.Write(nil, []byte("first"))
	w.Write(nil, []byte("second"))
	buf := make([]byte, 100)
	if n, _ := r.Read(nil, buf); string(buf[:n]) != "first" {
		t.Fatalf("packet 1: %q", buf[:n])
	}
	if n, _ := r.Read(nil, buf[:3]); string(buf[:n]) != "sec" {
		t.Fatalf("short read of packet 2: %q", buf[:n])
	}
	if _, err := r.Read(nil, buf); err != unix.EAGAIN {
		t.Fatalf("rest of a packet must be discarded: %v", err)
	}
}

func TestPipeSetSize(t *testing.T) {
	r, w := newEnds(t, 0)
	p := r.Pipe()
	if n, err := p.SetSize(5000, false); n != 2*pageSize || err != nil {
		t.Fatalf("SetSize(5000): %d %v", n, err)
	}
	if n, err := p.SetSize(1, false); n != pageSize || err != nil {
		t.Fatalf("SetSize(1): %d %v", n, err)
	}
	if _, err := p.SetSize(MaxSize+1, false); err != unix.EPERM {
		t.Fatalf("unprivileged SetSize above the maximum: %v", err)
	}
	if n, err := p.SetSize(MaxSize+1, true); n != 2*MaxSize || err != nil {
		t.Fatalf("privileged SetSize: %d %v", n, err)
	}
	p.SetSize(DefaultSize, false)
	w.Write(nil, make([]byte, 3*pageSize))
	if _, err := p.SetSize(2*pageSize, false); err != unix.EBUSY {
		t.Fatalf("shrinking below the content: %v", err)
	}
	if got := p.Queued(); got != 3*pageSize {
		t.Fatalf("Queued: %d", got)
	}
}

func TestPipeNotifiesReaders(t *testing.T) {
	r, w := newEnds(t, 0)
	e, ch := waiter.ChannelEntry(waiter.EventIn | waiter.EventHUp)
	r.EventRegister(e)
	defer r.EventUnregister(e)
	w.Write(nil, []byte("x"))
	select {
	case <-ch:
	default:
		t.Fatal("no notification for data")
	}
	w.Release()
	select {
	case <-ch:
	default:
		t.Fatal("no notification for the last writer's close")
	}
}

func TestFifoOpenRules(t *testing.T) {
	p := NewFifo()
	if _, err := p.Open(unix.O_WRONLY | unix.O_NONBLOCK); err != unix.ENXIO {
		t.Fatalf("writer without readers: %v, want ENXIO", err)
	}
	ri, err := p.Open(unix.O_RDONLY | unix.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	rd := ri.(*fifoImpl)
	if rd.waitW || rd.waitR {
		t.Fatal("non-blocking reader waits")
	}
	// No writer has come yet: no EPOLLHUP.
	if got := rd.Readiness(waiter.AllEvents); got != 0 {
		t.Fatalf("reader readiness before any writer: %#x", got)
	}
	wi, err := p.Open(unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if wi.(*fifoImpl).waitR {
		t.Fatal("writer waits although a reader is open")
	}
	wi.Release()
	if got := rd.Readiness(waiter.AllEvents); got != waiter.EventHUp {
		t.Fatalf("reader readiness after the writer left: %#x", got)
	}
	rw, err := p.Open(unix.O_RDWR)
	if err != nil || rw.(*fifoImpl).waitR || rw.(*fifoImpl).waitW {
		t.Fatalf("O_RDWR open: %v", err)
	}
}

func TestTransferAndTee(t *testing.T) {
	r1, w1 := newEnds(t, 0)
	r2, w2 := newEnds(t, 0)
	w1.Write(nil, []byte("abcdef"))
	src, _ := EndpointOf(r1)
	dst, _ := EndpointOf(w2)
	if n, err := Transfer(nil, src, dst, 100, true, true); n != 6 || err != nil {
		t.Fatalf("tee: %d %v", n, err)
	}
	if n, err := Transfer(nil, src, dst, 4, true, false); n != 4 || err != nil {
		t.Fatalf("splice: %d %v", n, err)
	}
	buf := make([]byte, 100)
	if n, _ := r2.Read(nil, buf); string(buf[:n]) != "abcdefabcd" {
		t.Fatalf("destination holds %q", buf[:n])
	}
	if n, _ := r1.Read(nil, buf); string(buf[:n]) != "ef" {
		t.Fatalf("source holds %q", buf[:n])
	}
	if _, err := Transfer(nil, src, src, 1, true, false); err != unix.EINVAL {
		t.Fatalf("same pipe: %v", err)
	}
}
