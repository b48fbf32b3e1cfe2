package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Capability ABI versions (linux/capability.h): version 1 has one 32-bit data struct,
// versions 2 and 3 two (the low and high halves of 64-bit sets).
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

// Capget implements Linux syscall capget(2): the sets follow the target's credentials
// (kernel.Credentials.Capabilities). An unknown version is answered with version 3 in the
// header and EINVAL, or 0 when data is NULL (the libcap probe).
func Capget(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	hdrAddr, dataAddr := args.Pointer(0), args.Pointer(1)
	var hdr [8]byte
	if _, err := t.CopyIn(hdrAddr, hdr[:]); err != nil {
		return 0, unix.EFAULT
	}
	words := 0
	switch binary.LittleEndian.Uint32(hdr[0:]) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		binary.LittleEndian.PutUint32(hdr[0:], capVersion3)
		if _, err := t.CopyOut(hdrAddr, hdr[:4]); err != nil {
			return 0, unix.EFAULT
		}
		if dataAddr == 0 {
			return 0, nil
		}
		return 0, unix.EINVAL
	}
	if dataAddr == 0 {
		return 0, nil
	}
	pid := int32(binary.LittleEndian.Uint32(hdr[4:]))
	if pid < 0 {
		return 0, unix.EINVAL
	}
	target := t
	if pid != 0 && pid != t.TID() {
		if target = t.Kernel().TaskByTID(pid); target == nil {
			return 0, unix.ESRCH
		}
	}
	c := target.ThreadGroup().Creds()
	eff, perm, inh := c.Capabilities()
	var data [24]byte // words × {effective, permitted, inheritable}
	for i := 0; i < words; i++ {
		shift := 32 * uint(i)
		binary.LittleEndian.PutUint32(data[12*i:], uint32(eff>>shift))
		binary.LittleEndian.PutUint32(data[12*i+4:], uint32(perm>>shift))
		binary.LittleEndian.PutUint32(data[12*i+8:], uint32(inh>>shift))
	}
	if _, err := t.CopyOut(dataAddr, data[:12*words]); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}
