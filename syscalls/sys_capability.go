package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
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

// capHeader reads a cap_user_header_t: the number of 32-bit data structs its version
// has, and its pid. An unknown version is answered with version 3 written back and EINVAL.
func capHeader(t *kernel.Task, hdrAddr uintptr) (words int, pid int32, err error) {
	var hdr [8]byte
	if _, err := t.CopyIn(hdrAddr, hdr[:]); err != nil {
		return 0, 0, unix.EFAULT
	}
	switch binary.LittleEndian.Uint32(hdr[0:]) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
		words = 2
	default:
		binary.LittleEndian.PutUint32(hdr[0:], capVersion3)
		if _, err := t.CopyOut(hdrAddr, hdr[:4]); err != nil {
			return 0, 0, unix.EFAULT
		}
		return 0, 0, unix.EINVAL
	}
	return words, int32(binary.LittleEndian.Uint32(hdr[4:])), nil
}

// Capget implements Linux syscall capget(2): the target's effective, permitted and
// inheritable sets. An unknown version is answered with version 3 in the header and
// EINVAL, or 0 when data is NULL (the libcap probe).
func Capget(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	hdrAddr, dataAddr := args.Pointer(0), args.Pointer(1)
	words, pid, err := capHeader(t, hdrAddr)
	if dataAddr == 0 && (err == nil || err == unix.EINVAL) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, unix.EINVAL
	}
	target := t
	if pid != 0 && pid != t.ThreadID() {
		if target = t.PIDNamespace().TaskWithID(pid); target == nil {
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

// Capset implements Linux syscall capset(2) for the calling process (pid 0 or its own id;
// EPERM for any other, as Linux): the rules are kernel.ThreadGroup.SetCaps's. Version 1
// sets only the low 32 bits; the high halves become empty.
func Capset(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	words, pid, err := capHeader(t, args.Pointer(0))
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != t.ThreadID() {
		return 0, unix.EPERM
	}
	var data [24]byte
	if _, err := t.CopyIn(args.Pointer(1), data[:12*words]); err != nil {
		return 0, unix.EFAULT
	}
	var eff, perm, inh uint64
	for i := 0; i < words; i++ {
		shift := 32 * uint(i)
		eff |= uint64(binary.LittleEndian.Uint32(data[12*i:])) << shift
		perm |= uint64(binary.LittleEndian.Uint32(data[12*i+4:])) << shift
		inh |= uint64(binary.LittleEndian.Uint32(data[12*i+8:])) << shift
	}
	return 0, t.ThreadGroup().SetCaps(eff&kernel.AllCapabilities, perm&kernel.AllCapabilities, inh&kernel.AllCapabilities)
}

// prctlCaps implements the capability options of prctl(2): PR_CAPBSET_READ/DROP,
// PR_CAP_AMBIENT, PR_GET/SET_KEEPCAPS and PR_GET/SET_SECUREBITS. ok is false for any other
// option.
func prctlCaps(t *kernel.Task, args arch.SyscallArguments) (r uintptr, err error, ok bool) {
	tg := t.ThreadGroup()
	c := tg.Creds()
	switch args.Int(0) {
	case unix.PR_CAPBSET_READ:
		cp := args[1]
		if cp > kernel.LastCap {
			return 0, unix.EINVAL, true
		}
		return uintptr(c.Caps.Bounding >> cp & 1), nil, true
	case unix.PR_CAPBSET_DROP:
		if args[1] > kernel.LastCap {
			return 0, unix.EINVAL, true
		}
		return 0, tg.DropBoundingCap(int(args[1])), true
	case unix.PR_GET_KEEPCAPS:
		return uintptr(c.Securebits&linux.SECBIT_KEEP_CAPS) >> 4, nil, true
	case unix.PR_SET_KEEPCAPS:
		if args[1] > 1 {
			return 0, unix.EINVAL, true
		}
		return 0, tg.SetKeepCaps(args[1] == 1), true
	case unix.PR_GET_SECUREBITS:
		return uintptr(c.Securebits), nil, true
	case unix.PR_SET_SECUREBITS:
		if args[1] > 0xffffffff {
			return 0, unix.EPERM, true
		}
		return 0, tg.SetSecurebits(uint32(args[1])), true
	case unix.PR_CAP_AMBIENT:
		op, cp := args[1], args[2]
		if op == unix.PR_CAP_AMBIENT_CLEAR_ALL {
			if cp != 0 || args[3] != 0 || args[4] != 0 {
				return 0, unix.EINVAL, true
			}
			tg.ClearAmbientCaps()
			return 0, nil, true
		}
		if args[3] != 0 || args[4] != 0 || cp > kernel.LastCap {
			return 0, unix.EINVAL, true
		}
		switch op {
		case unix.PR_CAP_AMBIENT_IS_SET:
			return uintptr(c.Caps.Ambient >> cp & 1), nil, true
		case unix.PR_CAP_AMBIENT_RAISE, unix.PR_CAP_AMBIENT_LOWER:
			return 0, tg.SetAmbientCap(int(cp), op == unix.PR_CAP_AMBIENT_RAISE), true
		}
		return 0, unix.EINVAL, true
	}
	return 0, nil, false
}
