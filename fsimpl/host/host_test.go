package host

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

func TestHostPipeReadinessNotifiesRegisteredEntries(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fd, err := dupFD(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if got := f.Readiness(waiter.EventIn); got != 0 {
		t.Fatalf("empty pipe readiness %#x", got)
	}
	e, ch := waiter.ChannelEntry(waiter.EventIn)
	f.EventRegister(e)
	w.Write([]byte("x"))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a host write")
	}
	f.EventUnregister(e)
	f.EventUnregister(e) // twice is harmless
	if got := f.Readiness(waiter.EventIn); got != waiter.EventIn {
		t.Fatalf("readiness with data %#x", got)
	}
}

func dupFD(f *os.File) (int, error) { return unix.Dup(int(f.Fd())) }
