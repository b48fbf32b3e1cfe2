package eventfd

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

func val(v uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

func TestCounterSemanticsNonBlocking(t *testing.T) {
	f := New(0, unix.O_NONBLOCK)
	buf := make([]byte, 8)
	if _, err := f.Read(nil, buf); err != unix.EAGAIN {
		t.Fatalf("read of zero counter: %v, want EAGAIN", err)
	}
	if f.Readiness(waiter.EventIn|waiter.EventOut) != waiter.EventOut {
		t.Fatal("empty eventfd should be writable only")
	}
	f.Write(nil, val(3))
	f.Write(nil, val(4))
	if n, err := f.Read(nil, buf); n != 8 || err != nil || binary.LittleEndian.Uint64(buf) != 7 {
		t.Fatalf("read = %d, %v, value %d; want 7", n, err, binary.LittleEndian.Uint64(buf))
	}
	if _, err := f.Write(nil, val(^uint64(0))); err != unix.EINVAL {
		t.Fatalf("write of 2^64-1: %v, want EINVAL", err)
	}
	if _, err := f.Read(nil, buf[:4]); err != unix.EINVAL {
		t.Fatalf("short read: %v, want EINVAL", err)
	}
	f.Write(nil, val(^uint64(0)-1))
	if _, err := f.Write(nil, val(1)); err != unix.EAGAIN {
		t.Fatalf("overflowing write: %v, want EAGAIN", err)
	}
}

func TestSemaphoreModeReadsOne(t *testing.T) {
	f := New(2, unix.EFD_SEMAPHORE|unix.O_NONBLOCK)
	buf := make([]byte, 8)
	for i := 0; i < 2; i++ {
		if _, err := f.Read(nil, buf); err != nil || binary.LittleEndian.Uint64(buf) != 1 {
			t.Fatalf("semaphore read %d: %v value %d", i, err, binary.LittleEndian.Uint64(buf))
		}
	}
	if _, err := f.Read(nil, buf); err != unix.EAGAIN {
		t.Fatalf("third read: %v, want EAGAIN", err)
	}
}
