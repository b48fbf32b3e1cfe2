package arch

import (
	"encoding/binary"
	"testing"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

func testXSave(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i * 13)
	}
	clear(b[swBytesOffset:FXSaveSize])
	binary.LittleEndian.PutUint64(b[swBytesOffset:], 0xe7) // XCR0, as ptrace reports it
	clear(b[xsaveHeaderOffset : xsaveHeaderOffset+xsaveHeaderSize])
	binary.LittleEndian.PutUint64(b[xsaveHeaderOffset:], 0x7)
	return b
}

func TestSignalFrameLayoutIsAlignedAndFits(t *testing.T) {
	fp := testXSave(2696)
	regs := InitialRegisters(0x401000, 0x7ffff000)
	for _, sp := range []uintptr{0x7fff0000, 0x7fff0008, 0x7fff0033} {
		f := SignalFrame{Info: linux.SignalInfo{Signo: 10}, Mask: 0x55, FPState: fp, Restorer: 0x401234}
		l := BuildSignalFrame(&regs, sp, &f)
		if (l.Addr+8)%16 != 0 {
			t.Errorf("sp %#x: frame at %#x: (rsp+8) not 16-byte aligned", sp, l.Addr)
		}
		if end := l.Addr + uintptr(len(l.Bytes)); end > sp || sp-l.Addr > SignalFrameSize(len(fp)) {
			t.Errorf("sp %#x: frame [%#x, %#x) exceeds the stack or SignalFrameSize %d", sp, l.Addr, end, SignalFrameSize(len(fp)))
		}
		uc := DecodeUContext(l.Bytes[l.UContextAddr-l.Addr:])
		fpAddr := uintptr(uc.MContext.Fpstate)
		if fpAddr%64 != 0 || uc.Sigmask != 0x55 || uc.Flags&ucFPXState == 0 {
			t.Fatalf("sp %#x: fpstate %#x, sigmask %#x, flags %#x", sp, fpAddr, uc.Sigmask, uc.Flags)
		}
		img := l.Bytes[fpAddr-l.Addr:]
		if binary.LittleEndian.Uint32(img[swBytesOffset:]) != fpXStateMagic1 ||
			binary.LittleEndian.Uint32(img[len(fp):]) != fpXStateMagic2 {
			t.Fatalf("sp %#x: XSAVE markers missing", sp)
		}
		back := FPStateFromFrame(fp, img[:FXSaveSize], func(off, n int) ([]byte, error) {
			return img[off : off+n], nil
		})
		if string(back) != string(fp) {
			t.Errorf("sp %#x: FPU image does not round-trip through the frame", sp)
		}
	}
}

func TestRestoreSignalContextRejectsForeignSegments(t *testing.T) {
	regs := InitialRegisters(0x401000, 0x7ffff000)
	uc := UContext{Flags: ucStrictRestoreSS}
	uc.MContext.Cs, uc.MContext.Ss, uc.MContext.Rip = 0x23, userSS, 0x1234
	if regs.RestoreSignalContext(&uc) || regs.Rip != 0x401000 {
		t.Errorf("32-bit code segment accepted")
	}
	uc.MContext.Cs, uc.MContext.Ss = userCS, 0x10
	if regs.RestoreSignalContext(&uc) {
		t.Errorf("kernel stack segment accepted")
	}
	uc.MContext.Ss = userSS
	uc.MContext.Eflags = 0x3000 | eflagsCF // IOPL 3 must not stick
	if !regs.RestoreSignalContext(&uc) || regs.Rip != 0x1234 || regs.Eflags&0x3000 != 0 || regs.Eflags&eflagsCF == 0 {
		t.Errorf("valid frame: rip %#x eflags %#x", regs.Rip, regs.Eflags)
	}
}
