package signalfd

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

func TestFillEncodesFieldsBySiCode(t *testing.T) {
	le := binary.LittleEndian
	b := make([]byte, recordSize)

	kill := &linux.SignalInfo{Signo: int32(unix.SIGUSR1), Code: linux.SI_USER}
	kill.SetPID(42)
	kill.SetUID(1000)
	fill(b, kill)
	if le.Uint32(b[0:]) != uint32(unix.SIGUSR1) || le.Uint32(b[12:]) != 42 || le.Uint32(b[16:]) != 1000 || int32(le.Uint32(b[8:])) != linux.SI_USER {
		t.Fatalf("kill record: % x", b[:24])
	}

	timer := &linux.SignalInfo{Signo: 34, Code: linux.SI_TIMER}
	le.PutUint32(timer.Fields[0:], 3) // si_timerid
	le.PutUint32(timer.Fields[4:], 9) // si_overrun
	timer.SetValue(77)
	fill(b, timer)
	if le.Uint32(b[24:]) != 3 || le.Uint32(b[32:]) != 9 || le.Uint32(b[44:]) != 77 || le.Uint64(b[48:]) != 77 || le.Uint32(b[12:]) != 0 {
		t.Fatalf("timer record: % x", b[:56])
	}

	fault := &linux.SignalInfo{Signo: int32(unix.SIGSEGV), Code: linux.SEGV_MAPERR}
	fault.SetAddr(0xdead000)
	fill(b, fault)
	if le.Uint64(b[72:]) != 0xdead000 || le.Uint32(b[12:]) != 0 {
		t.Fatalf("fault record: % x", b[:80])
	}
}
