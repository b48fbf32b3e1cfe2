package syscalls

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Getrlimit implements Linux syscall getrlimit(2).
func Getrlimit(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	r := int(args.Int(0))
	if r < 0 || r >= linux.RLIM_NLIMITS {
		return 0, unix.EINVAL
	}
	l := t.ThreadGroup().Rlimit(r)
	out := linux.Rlimit{Cur: l.Cur, Max: l.Max}
	return 0, copyOutStruct(t, args.Pointer(1), &out)
}

// setRlimit applies Linux's rules for a new limit: cur <= max, and raising max needs
// CAP_SYS_RESOURCE (held by a uid-0 process in this milestone).
func setRlimit(t *kernel.Task, tg *kernel.ThreadGroup, r int, nl linux.Rlimit) error {
	if nl.Cur > nl.Max {
		return unix.EINVAL
	}
	old := tg.Rlimit(r)
	if nl.Max > old.Max && !tg.Creds().HasCap(unix.CAP_SYS_RESOURCE) {
		return unix.EPERM
	}
	if r == unix.RLIMIT_NOFILE && nl.Max > 1<<20 {
		return unix.EPERM // fs.nr_open
	}
	tg.SetRlimit(r, kernel.Rlimit{Cur: nl.Cur, Max: nl.Max})
	return nil
}

// Setrlimit implements Linux syscall setrlimit(2).
func Setrlimit(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	r := int(args.Int(0))
	if r < 0 || r >= linux.RLIM_NLIMITS {
		return 0, unix.EINVAL
	}
	var nl linux.Rlimit
	if err := copyInStruct(t, args.Pointer(1), &nl); err != nil {
		return 0, err
	}
	return 0, setRlimit(t, t.ThreadGroup(), r, nl)
}

// Prlimit64 implements Linux syscall prlimit64(2).
func Prlimit64(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tg := t.ThreadGroup()
	if pid := args.Int(0); pid != 0 {
		target := t.PIDNamespace().TaskWithID(pid)
		if target == nil {
			return 0, unix.ESRCH
		}
		tg = target.ThreadGroup()
	}
	r := int(args.Int(1))
	if r < 0 || r >= linux.RLIM_NLIMITS {
		return 0, unix.EINVAL
	}
	old := tg.Rlimit(r)
	if p := args.Pointer(2); p != 0 {
		var nl linux.Rlimit
		if err := copyInStruct(t, p, &nl); err != nil {
			return 0, err
		}
		if err := setRlimit(t, tg, r, nl); err != nil {
			return 0, err
		}
	}
	if p := args.Pointer(3); p != 0 {
		out := linux.Rlimit{Cur: old.Cur, Max: old.Max}
		return 0, copyOutStruct(t, p, &out)
	}
	return 0, nil
}

// Getrandom implements Linux syscall getrandom(2). The sentry's entropy is the host's, read
// through Go's crypto/rand; it never blocks once the host pool is initialized.
func Getrandom(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	const valid = unix.GRND_NONBLOCK | unix.GRND_RANDOM | unix.GRND_INSECURE
	flags := args.Uint(2)
	if flags&^valid != 0 || flags&(unix.GRND_RANDOM|unix.GRND_INSECURE) == unix.GRND_RANDOM|unix.GRND_INSECURE {
		return 0, unix.EINVAL
	}
	n := int(min(args[1], 1<<25-1)) // Linux caps one call at 32 MiB - 1
	done := 0
	for done < n {
		chunk := t.Scratch(min(n-done, 4096))
		rand.Read(chunk)
		c, err := t.CopyOut(args.Pointer(0)+uintptr(done), chunk)
		done += c
		if err != nil {
			if done == 0 {
				return 0, unix.EFAULT
			}
			break
		}
	}
	return uintptr(done), nil
}

// Sysinfo implements Linux syscall sysinfo(2) from the sandbox's view: its uptime, its task
// count, and the host's memory figures (the sandbox's own limit comes with cgroups).
func Sysinfo(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	var host unix.Sysinfo_t
	if err := unix.Sysinfo(&host); err != nil {
		return 0, err
	}
	info := host
	info.Uptime = int64(t.Kernel().Uptime().Seconds())
	info.Loads = [3]uint64{}
	info.Procs = uint16(len(t.Kernel().ThreadGroups()))
	return 0, copyOutStruct(t, args.Pointer(0), &info)
}
