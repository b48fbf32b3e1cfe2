package tty

import (
	"math/rand"
	"testing"

	"golang.org/x/sys/unix"
)

// newTestTerminal is a terminal with its slave open and no kernel: nothing it does may
// need one (no session, so no signals).
func newTestTerminal(t *testing.T) *Terminal {
	tm := New(nil, 0)
	if err := tm.OpenSlave(); err != nil {
		t.Fatal(err)
	}
	return tm
}

func readAll(t *testing.T, tm *Terminal) (slave, master string) {
	t.Helper()
	b := make([]byte, 8192)
	n, err := tm.SlaveRead(nil, b, true)
	if err != nil && err != unix.EAGAIN {
		t.Fatalf("slave read: %v", err)
	}
	slave = string(b[:n])
	n, err = tm.ReadOutput(b)
	if err != nil && err != unix.EAGAIN {
		t.Fatalf("master read: %v", err)
	}
	return slave, string(b[:n])
}

func TestCanonicalEditingAndEcho(t *testing.T) {
	tm := newTestTerminal(t)
	if _, err := tm.WriteInput([]byte("ab\x7fc\x17xy z\x15ok\r")); err != nil {
		t.Fatal(err)
	}
	slave, master := readAll(t, tm)
	if slave != "ok\n" {
		t.Errorf("slave read %q, want %q", slave, "ok\n")
	}
	// ^? erases b, ^W the word "ac", ^U the line "xy z".
	want := "ab\b \bc" + "\b \b\b \b" + "xy z" + "\b \b\b \b\b \b\b \b" + "ok\r\n"
	if master != want {
		t.Errorf("echo %q, want %q", master, want)
	}
}

func TestPartialLineIsNotReadable(t *testing.T) {
	tm := newTestTerminal(t)
	tm.WriteInput([]byte("part"))
	if _, err := tm.SlaveRead(nil, make([]byte, 10), true); err != unix.EAGAIN {
		t.Fatalf("read of a partial line: %v, want EAGAIN", err)
	}
	tm.WriteInput([]byte{4}) // VEOF: the line goes without it
	if s, _ := readAll(t, tm); s != "part" {
		t.Fatalf("after VEOF: %q", s)
	}
}

// TestFullCanonicalLineStillTakesNewline: a line at the queue's limit drops further
// characters but still ends with a newline, so a reader is never stuck (Linux reads 4096
// bytes, the last the newline).
func TestFullCanonicalLineStillTakesNewline(t *testing.T) {
	tm := newTestTerminal(t)
	long := make([]byte, 2*inputQueueMax)
	for i := range long {
		long[i] = 'a'
	}
	if n, err := tm.WriteInput(long); err != nil || n != len(long) {
		t.Fatalf("WriteInput: %d, %v", n, err)
	}
	tm.WriteInput([]byte("\n"))
	b := make([]byte, 2*inputQueueMax)
	n, err := tm.SlaveRead(nil, b, true)
	if err != nil || n != inputQueueMax || b[n-1] != '\n' {
		t.Fatalf("read %d bytes (last %q), %v: want a line of %d ending in newline", n, b[max(n-1, 0)], err, inputQueueMax)
	}
}

func TestMasterSeesEIOWhenSlaveCloses(t *testing.T) {
	tm := newTestTerminal(t)
	tm.SlaveWrite(nil, []byte("bye\n"), true)
	tm.CloseSlave()
	b := make([]byte, 16)
	if n, err := tm.ReadOutput(b); err != nil || string(b[:n]) != "bye\r\n" {
		t.Fatalf("first read: %q, %v", b[:n], err)
	}
	if _, err := tm.ReadOutput(b); err != unix.EIO {
		t.Fatalf("read after drain: %v, want EIO", err)
	}
	if _, err := tm.WriteInput([]byte("x")); err != unix.EIO {
		t.Fatalf("write with no slave: %v, want EIO", err)
	}
}

func TestHangupEndsSlaveIO(t *testing.T) {
	tm := newTestTerminal(t)
	tm.CloseMaster()
	if n, err := tm.SlaveRead(nil, make([]byte, 4), false); n != 0 || err != nil {
		t.Fatalf("read after hangup: %d, %v; want end of file", n, err)
	}
	if _, err := tm.SlaveWrite(nil, []byte("x"), false); err != unix.EIO {
		t.Fatalf("write after hangup: %v, want EIO", err)
	}
}

// TestRandomInputKeepsBounds throws random bytes at both sides under random settings:
// nothing panics and the queues stay within their limits.
func TestRandomInputKeepsBounds(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	tm := newTestTerminal(t)
	buf := make([]byte, 512)
	for i := 0; i < 3000; i++ {
		switch r.Intn(6) {
		case 0:
			tio := tm.Termios()
			tio.Iflag, tio.Oflag, tio.Lflag = r.Uint32(), r.Uint32(), r.Uint32()
			for j := range tio.Cc {
				if r.Intn(4) == 0 {
					tio.Cc[j] = byte(r.Intn(256))
				}
			}
			tm.mu.Lock()
			tm.setTermiosLocked(tio)
			tm.mu.Unlock()
		case 1, 2:
			r.Read(buf)
			tm.WriteInput(buf[:r.Intn(len(buf))])
		case 3:
			r.Read(buf)
			tm.SlaveWrite(nil, buf[:r.Intn(len(buf))], true)
		case 4:
			tm.SlaveRead(nil, buf[:r.Intn(len(buf))+1], true)
		case 5:
			tm.ReadOutput(buf[:r.Intn(len(buf))+1])
		}
		tm.mu.Lock()
		in, out := tm.inputLenLocked(), len(tm.outq)
		tm.mu.Unlock()
		if in > inputQueueMax || out > outputQueueHardMax+8 {
			t.Fatalf("step %d: input queue %d, output queue %d", i, in, out)
		}
	}
}
