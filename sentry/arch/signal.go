package arch

import (
	"encoding/binary"
	"unsafe"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// This file lays out the x86-64 rt signal frame (what a handler finds on its stack and what
// rt_sigreturn reads back) and the FPU/XSAVE image inside it. The kernel decides when and
// with what; this package only knows where each byte goes.
//
// Frame, from the lowest address (where rsp points when the handler starts):
//
//	pretcode        return address: sa_restorer, which calls rt_sigreturn
//	ucontext        uc_flags, uc_link, uc_stack, uc_mcontext (sigcontext), uc_sigmask
//	siginfo         128 bytes
//	(padding)
//	fpstate         the XSAVE image (64-byte aligned), its software bytes filled in, and
//	                FP_XSTATE_MAGIC2 right after it; or a bare 512-byte FXSAVE image.

// SignalContext is struct sigcontext (uc_mcontext) on x86-64.
type SignalContext struct {
	R8, R9, R10, R11, R12, R13, R14, R15 uint64
	Rdi, Rsi, Rbp, Rbx, Rdx, Rax, Rcx    uint64
	Rsp, Rip, Eflags                     uint64
	Cs, Gs, Fs, Ss                       uint16
	Err, Trapno, Oldmask, Cr2            uint64
	// Fpstate is the address of the FPU image in the frame (0: none).
	Fpstate  uint64
	Reserved [8]uint64
}

// UContext is struct ucontext as the kernel writes it (uc_sigmask is the kernel's 8-byte
// sigset, not libc's 128-byte one).
type UContext struct {
	Flags    uint64
	Link     uint64
	Stack    linux.SigAltStack
	MContext SignalContext
	Sigmask  uint64
}

// rtSigframe is struct rt_sigframe.
type rtSigframe struct {
	Pretcode uint64
	UC       UContext
	Info     linux.SignalInfo
}

// Layout sizes, checked at compile time below.
const (
	SignalContextSize = 256
	UContextSize      = 304
	rtSigframeSize    = 440
)

var (
	_ = [1]struct{}{}[unsafe.Sizeof(SignalContext{})-SignalContextSize]
	_ = [1]struct{}{}[unsafe.Sizeof(UContext{})-UContextSize]
	_ = [1]struct{}{}[unsafe.Sizeof(rtSigframe{})-rtSigframeSize]
)

// uc_flags bits.
const (
	ucFPXState        = 1
	ucSigcontextSS    = 2
	ucStrictRestoreSS = 4
)

// FPU image layout (the FXSAVE legacy area, the XSAVE header, the signal frame's software
// reserved bytes).
const (
	// FXSaveSize is the size of the legacy FXSAVE area.
	FXSaveSize         = 512
	fxFCW              = 0
	fxMXCSR            = 24
	fxMXCSRMask        = 28
	swBytesOffset      = 464
	xsaveHeaderOffset  = 512
	xsaveHeaderSize    = 64
	fpXStateMagic1     = 0x46505853 // FP_XSTATE_MAGIC1, "FPXS"
	fpXStateMagic2     = 0x46505845 // FP_XSTATE_MAGIC2, "FPXE"
	fpXStateMagic2Size = 4
	xfeatureFP         = 1
	xfeatureSSE        = 2
	redZoneSize        = 128
	fpAlign            = 64
)

// eflags bits.
const (
	eflagsCF = 1 << 0
	eflagsPF = 1 << 2
	eflagsAF = 1 << 4
	eflagsZF = 1 << 6
	eflagsSF = 1 << 7
	eflagsTF = 1 << 8
	eflagsDF = 1 << 10
	eflagsOF = 1 << 11
	eflagsRF = 1 << 16
	eflagsAC = 1 << 18
	// eflagsRestorable are the flags rt_sigreturn takes from the frame; the others keep
	// their current value.
	eflagsRestorable = eflagsAC | eflagsOF | eflagsDF | eflagsTF | eflagsSF | eflagsZF | eflagsAF | eflagsPF | eflagsCF | eflagsRF
)

// RedZoneSize is the x86-64 ABI's red zone below rsp, which a signal frame must skip.
const RedZoneSize = redZoneSize

// SignalFrameSize is the largest frame BuildSignalFrame makes for an FPU image of fpSize
// bytes (the worst-case alignment padding included): AT_MINSIGSTKSZ.
func SignalFrameSize(fpSize int) uintptr {
	n := uintptr(rtSigframeSize+16) + uintptr(fpSize) + fpXStateMagic2Size + fpAlign
	return (n + 15) &^ 15
}

// SignalFrame is what a signal frame records besides the registers.
type SignalFrame struct {
	Info linux.SignalInfo
	// Mask is the signal mask to restore at rt_sigreturn (uc_sigmask and oldmask).
	Mask uint64
	// Stack is the alternate stack state to restore at rt_sigreturn (uc_stack).
	Stack linux.SigAltStack
	// FPState is the thread's FPU image as the platform gives it (XSAVE standard format,
	// or a 512-byte FXSAVE image), or nil.
	FPState []byte
	// Restorer is sa_restorer, the handler's return address.
	Restorer uint64
	// Trapno, Err and Cr2 describe a fault (sigcontext's trapno, err, cr2).
	Trapno, Err, Cr2 uint64
}

// SignalFrameLayout is where BuildSignalFrame put a frame.
type SignalFrameLayout struct {
	// Addr is the frame's lowest address: the handler's rsp.
	Addr uintptr
	// Bytes is the frame's content from Addr up.
	Bytes []byte
	// InfoAddr and UContextAddr are the handler's second and third arguments.
	InfoAddr, UContextAddr uintptr
}

// BuildSignalFrame lays out a frame for regs (the interrupted state) below sp, which is
// already past the red zone or at the top of the alternate stack.
func BuildSignalFrame(regs *Registers, sp uintptr, f *SignalFrame) SignalFrameLayout {
	xsave := len(f.FPState) > FXSaveSize
	fpSize := uintptr(len(f.FPState))
	if xsave {
		fpSize += fpXStateMagic2Size
	}
	fpAddr := uintptr(0)
	if len(f.FPState) > 0 {
		sp = (sp - fpSize) &^ (fpAlign - 1)
		fpAddr = sp
	}
	// As on function entry: (rsp+8) is 16-byte aligned.
	addr := ((sp - rtSigframeSize) &^ 15) - 8
	end := addr + rtSigframeSize
	if fpAddr != 0 {
		end = fpAddr + fpSize
	}
	b := make([]byte, end-addr)

	var fr rtSigframe
	fr.Pretcode = f.Restorer
	fr.UC.Flags = ucSigcontextSS | ucStrictRestoreSS
	if xsave {
		fr.UC.Flags |= ucFPXState
	}
	fr.UC.Stack = f.Stack
	mc := &fr.UC.MContext
	mc.R8, mc.R9, mc.R10, mc.R11 = regs.R8, regs.R9, regs.R10, regs.R11
	mc.R12, mc.R13, mc.R14, mc.R15 = regs.R12, regs.R13, regs.R14, regs.R15
	mc.Rdi, mc.Rsi, mc.Rbp, mc.Rbx = regs.Rdi, regs.Rsi, regs.Rbp, regs.Rbx
	mc.Rdx, mc.Rax, mc.Rcx, mc.Rsp = regs.Rdx, regs.Rax, regs.Rcx, regs.Rsp
	mc.Rip, mc.Eflags = regs.Rip, regs.Eflags
	mc.Cs, mc.Gs, mc.Fs, mc.Ss = uint16(regs.Cs), uint16(regs.Gs), uint16(regs.Fs), uint16(regs.Ss)
	mc.Err, mc.Trapno, mc.Cr2 = f.Err, f.Trapno, f.Cr2
	mc.Oldmask = f.Mask
	mc.Fpstate = uint64(fpAddr)
	fr.UC.Sigmask = f.Mask
	fr.Info = f.Info
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&fr)), rtSigframeSize))

	if fpAddr != 0 {
		fp := b[fpAddr-addr:]
		copy(fp, f.FPState)
		if xsave {
			// The platform's image carries XCR0 in the first software word (the ptrace
			// layout); the frame carries struct _fpx_sw_bytes there instead.
			xcr0 := binary.LittleEndian.Uint64(fp[swBytesOffset:])
			sw := fp[swBytesOffset:FXSaveSize]
			clear(sw)
			binary.LittleEndian.PutUint32(sw[0:], fpXStateMagic1)
			binary.LittleEndian.PutUint32(sw[4:], uint32(len(f.FPState)+fpXStateMagic2Size))
			binary.LittleEndian.PutUint64(sw[8:], xcr0)
			binary.LittleEndian.PutUint32(sw[16:], uint32(len(f.FPState)))
			binary.LittleEndian.PutUint32(fp[len(f.FPState):], fpXStateMagic2)
		}
	}
	return SignalFrameLayout{
		Addr:         addr,
		Bytes:        b,
		InfoAddr:     addr + rtSigframeSize - linux.SignalInfoSize,
		UContextAddr: addr + 8,
	}
}

// SetupSignalHandler points regs at handler for signal sig with the frame at l: the
// arguments (sig, &siginfo, &ucontext), the stack, and the flags and segments a handler
// starts with.
func (r *Registers) SetupSignalHandler(l SignalFrameLayout, handler uint64, sig int) {
	r.Rip = handler
	r.Rsp = uint64(l.Addr)
	r.Rdi = uint64(sig)
	r.Rsi = uint64(l.InfoAddr)
	r.Rdx = uint64(l.UContextAddr)
	r.Rax = 0
	r.Eflags &^= eflagsDF | eflagsRF | eflagsTF
	r.Cs = userCS
	r.Ss = userSS
}

// DecodeUContext decodes a ucontext read from application memory (UContextSize bytes).
func DecodeUContext(b []byte) UContext {
	var uc UContext
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&uc)), UContextSize), b)
	return uc
}

// RestoreSignalContext loads the registers rt_sigreturn restores from uc, keeping what a
// sigcontext does not hold (fs/gs bases). It reports false if the frame's segments are not
// ones a 64-bit thread can return to; regs are then unchanged.
func (r *Registers) RestoreSignalContext(uc *UContext) bool {
	mc := &uc.MContext
	if mc.Cs|3 != userCS {
		return false
	}
	ss := uint64(userSS)
	if uc.Flags&ucStrictRestoreSS != 0 && mc.Ss|3 != userSS {
		return false
	}
	r.R8, r.R9, r.R10, r.R11 = mc.R8, mc.R9, mc.R10, mc.R11
	r.R12, r.R13, r.R14, r.R15 = mc.R12, mc.R13, mc.R14, mc.R15
	r.Rdi, r.Rsi, r.Rbp, r.Rbx = mc.Rdi, mc.Rsi, mc.Rbp, mc.Rbx
	r.Rdx, r.Rax, r.Rcx, r.Rsp = mc.Rdx, mc.Rax, mc.Rcx, mc.Rsp
	r.Rip = mc.Rip
	r.Eflags = (r.Eflags &^ eflagsRestorable) | (mc.Eflags & eflagsRestorable)
	r.Cs = userCS
	r.Ss = ss
	r.Orig_rax = ^uint64(0)
	return true
}

// FPStateFromFrame turns the FPU image a signal frame holds back into the platform's
// format, given the thread's current image cur (for its size and software bytes). head is
// the first FXSaveSize bytes at the frame's fpstate; read fetches more of it. It returns
// nil if the image is malformed.
//
// An image with valid XSAVE markers is taken whole; one without is a bare FXSAVE image:
// x87 and SSE state come from it and every other component returns to its initial state.
func FPStateFromFrame(cur, head []byte, read func(off, n int) ([]byte, error)) []byte {
	if len(head) < FXSaveSize {
		return nil
	}
	out := make([]byte, len(cur))
	copy(out, cur)
	if len(cur) <= FXSaveSize {
		copy(out[:swBytesOffset], head)
		return out
	}
	sw := head[swBytesOffset:]
	size := int(binary.LittleEndian.Uint32(sw[16:]))
	if binary.LittleEndian.Uint32(sw[0:]) == fpXStateMagic1 &&
		size == len(cur) && int(binary.LittleEndian.Uint32(sw[4:])) == size+fpXStateMagic2Size {
		full, err := read(0, size+fpXStateMagic2Size)
		if err != nil || binary.LittleEndian.Uint32(full[size:]) != fpXStateMagic2 {
			return nil
		}
		copy(out[:swBytesOffset], full)
		copy(out[FXSaveSize:], full[FXSaveSize:size])
		return out
	}
	// A bare FXSAVE image.
	copy(out[:swBytesOffset], head)
	hdr := out[xsaveHeaderOffset : xsaveHeaderOffset+xsaveHeaderSize]
	clear(hdr)
	binary.LittleEndian.PutUint64(hdr, xfeatureFP|xfeatureSSE)
	return out
}

// InitFPState returns the FPU image a signal handler starts with, in the format of cur:
// x87 and SSE in their initial state (control words at their defaults, registers zero),
// every other XSAVE component initial.
func InitFPState(cur []byte) []byte {
	out := make([]byte, len(cur))
	copy(out[swBytesOffset:], cur[swBytesOffset:min(len(cur), FXSaveSize)])
	binary.LittleEndian.PutUint16(out[fxFCW:], 0x37f)
	binary.LittleEndian.PutUint32(out[fxMXCSR:], 0x1f80)
	if len(cur) >= FXSaveSize {
		copy(out[fxMXCSRMask:fxMXCSRMask+4], cur[fxMXCSRMask:])
	}
	if len(cur) > FXSaveSize {
		binary.LittleEndian.PutUint64(out[xsaveHeaderOffset:], xfeatureFP|xfeatureSSE)
	}
	return out
}
