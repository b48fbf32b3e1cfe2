package ptrace

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
)

// Register set notes for PTRACE_GETREGSET/SETREGSET (elf.h).
const (
	ntPRFPREG   = 2
	ntX86XState = 0x202
	// maxFPState bounds the XSAVE area; the host reports the real size (a few KiB; AMX
	// tile data makes it about 11 KiB).
	maxFPState = 64 << 10
	fxsaveSize = 512
)

// fpBuffers are a context's FPU transfer buffers. They live on the heap (inside the
// context), so the addresses passed to ptrace stay valid.
type fpBuffers struct {
	buf []byte
	iov unix.Iovec
	// size is the host's FPU image size, once known; noXState is set when the host has no
	// NT_X86_XSTATE regset and the FXSAVE image is used instead.
	size     int
	noXState bool
}

// FullState implements platform.Context.
func (c *context) FullState(as platform.AddressSpace) ([]byte, error) {
	t, err := c.threadIn(as)
	if err != nil {
		return nil, err
	}
	f := &c.fp
	if f.buf == nil {
		f.buf = make([]byte, maxFPState)
	}
	n, err := f.transfer(t, unix.PTRACE_GETREGSET, len(f.buf))
	if err != nil {
		return nil, err
	}
	if f.size == 0 {
		f.size = n
	}
	out := make([]byte, n)
	copy(out, f.buf[:n])
	return out, nil
}

// SetFullState implements platform.Context.
func (c *context) SetFullState(as platform.AddressSpace, state []byte) error {
	t, err := c.threadIn(as)
	if err != nil {
		return err
	}
	f := &c.fp
	if f.buf == nil || f.size == 0 || len(state) != f.size {
		return fmt.Errorf("FPU image of %d bytes, the host's is %d", len(state), f.size)
	}
	copy(f.buf, state)
	_, err = f.transfer(t, unix.PTRACE_SETREGSET, len(state))
	return err
}

// transfer runs a GETREGSET or SETREGSET of n bytes of f.buf, falling back to the FXSAVE
// regset when the host has no XSAVE one, and returns the size transferred.
func (f *fpBuffers) transfer(t *thread, req int, n int) (int, error) {
	if !f.noXState {
		f.iov.Base = &f.buf[0]
		f.iov.SetLen(n)
		e := ptrace(req, t.tid, ntX86XState, uintptr(unsafe.Pointer(&f.iov)))
		if e == 0 {
			return int(f.iov.Len), nil
		}
		if e != syscall.EINVAL && e != syscall.ENODEV || f.size != 0 {
			return 0, fmt.Errorf("ptrace regset %#x NT_X86_XSTATE of stub thread %d: %w", req, t.tid, e)
		}
		f.noXState = true
	}
	f.iov.Base = &f.buf[0]
	f.iov.SetLen(fxsaveSize)
	if e := ptrace(req, t.tid, ntPRFPREG, uintptr(unsafe.Pointer(&f.iov))); e != 0 {
		return 0, fmt.Errorf("ptrace regset %#x NT_PRFPREG of stub thread %d: %w", req, t.tid, e)
	}
	return fxsaveSize, nil
}
