package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Getuid implements Linux syscall getuid(2).
func Getuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ThreadGroup().Creds().RealUID), nil
}

// Geteuid implements Linux syscall geteuid(2).
func Geteuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ThreadGroup().Creds().EffectiveUID), nil
}

// Getgid implements Linux syscall getgid(2).
func Getgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ThreadGroup().Creds().RealGID), nil
}

// Getegid implements Linux syscall getegid(2).
func Getegid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ThreadGroup().Creds().EffectiveGID), nil
}

// Getresuid implements Linux syscall getresuid(2).
func Getresuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	c := t.ThreadGroup().Creds()
	for i, v := range []uint32{c.RealUID, c.EffectiveUID, c.SavedUID} {
		if err := copyOutStruct(t, args.Pointer(i), &v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Getresgid implements Linux syscall getresgid(2).
func Getresgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	c := t.ThreadGroup().Creds()
	for i, v := range []uint32{c.RealGID, c.EffectiveGID, c.SavedGID} {
		if err := copyOutStruct(t, args.Pointer(i), &v); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Getgroups implements Linux syscall getgroups(2): the supplementary groups the process
// started with (the container's additionalGids).
func Getgroups(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	size := args.Int(0)
	if size < 0 {
		return 0, unix.EINVAL
	}
	groups := t.ThreadGroup().Creds().Groups
	if size == 0 {
		return uintptr(len(groups)), nil
	}
	if int(size) < len(groups) {
		return 0, unix.EINVAL
	}
	for i, g := range groups {
		v := g
		if err := copyOutStruct(t, args.Pointer(1)+uintptr(4*i), &v); err != nil {
			return 0, err
		}
	}
	return uintptr(len(groups)), nil
}

// utsname is struct utsname: six 65-byte fields.
type utsname [6][65]byte

// Uname implements Linux syscall uname(2).
func Uname(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	var u utsname
	for i, s := range []string{"Linux", t.Kernel().Hostname(), kernel.LinuxRelease, kernel.LinuxVersion, "x86_64", t.Kernel().Domainname()} {
		copy(u[i][:64], s)
	}
	return 0, copyOutStruct(t, args.Pointer(0), &u)
}

// Setuid implements Linux syscall setuid(2).
func Setuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetUID(args.Uint(0))
}

// Setgid implements Linux syscall setgid(2).
func Setgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetGID(args.Uint(0))
}

// Setreuid implements Linux syscall setreuid(2).
func Setreuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetREUID(args.Uint(0), args.Uint(1))
}

// Setregid implements Linux syscall setregid(2).
func Setregid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetREGID(args.Uint(0), args.Uint(1))
}

// Setresuid implements Linux syscall setresuid(2).
func Setresuid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetRESUID(args.Uint(0), args.Uint(1), args.Uint(2))
}

// Setresgid implements Linux syscall setresgid(2).
func Setresgid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ThreadGroup().SetRESGID(args.Uint(0), args.Uint(1), args.Uint(2))
}

// Setgroups implements Linux syscall setgroups(2).
func Setgroups(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	n := args.Int(0)
	if n < 0 || n > kernel.NGroupsMax {
		return 0, unix.EINVAL
	}
	groups := make([]uint32, n)
	for i := range groups {
		if err := copyInStruct(t, args.Pointer(1)+uintptr(4*i), &groups[i]); err != nil {
			return 0, err
		}
	}
	return 0, t.ThreadGroup().SetGroups(groups)
}
