package syscalls

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Clone implements Linux syscall clone(2) (x86-64 argument order: flags, stack, parent_tid,
// child_tid, tls).
func Clone(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	flags := uint64(args[0])
	// CLONE_PIDFD stores the pidfd where CLONE_PARENT_SETTID would store the tid.
	if flags&unix.CLONE_PIDFD != 0 && flags&unix.CLONE_PARENT_SETTID != 0 {
		return 0, unix.EINVAL
	}
	tid, err := t.Clone(kernel.CloneOptions{
		Flags:      flags &^ 0xff,
		ExitSignal: flags & 0xff,
		Stack:      args.Pointer(1),
		ParentTID:  args.Pointer(2),
		ChildTID:   args.Pointer(3),
		TLS:        args.Pointer(4),
		PIDFD:      args.Pointer(2),
	})
	return uintptr(tid), err
}

// cloneArgs is struct clone_args (clone3), up to CLONE_ARGS_SIZE_VER2.
type cloneArgs struct {
	Flags, PidFD, ChildTID, ParentTID, ExitSignal, Stack, StackSize, TLS, SetTID, SetTIDSize, Cgroup uint64
}

// Clone3 implements Linux syscall clone3(2).
func Clone3(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	size := args[1]
	const ver0 = 64
	if size < ver0 || size > 4096 {
		return 0, unix.EINVAL
	}
	var ca cloneArgs
	n := min(size, unsafe.Sizeof(ca))
	b := unsafe.Slice((*byte)(unsafe.Pointer(&ca)), n)
	if _, err := t.CopyIn(args.Pointer(0), b); err != nil {
		return 0, unix.EFAULT
	}
	if size > unsafe.Sizeof(ca) {
		// Larger structs are accepted if the unknown tail is zero, as Linux does.
		tail := make([]byte, size-unsafe.Sizeof(ca))
		if _, err := t.CopyIn(args.Pointer(0)+unsafe.Sizeof(ca), tail); err != nil {
			return 0, unix.EFAULT
		}
		for _, c := range tail {
			if c != 0 {
				return 0, unix.E2BIG
			}
		}
	}
	// clone3 takes the exit signal only from its field, and refuses CLONE_DETACHED and
	// CSIGNAL bits in flags. set_tid needs CAP_SYS_ADMIN over the pid namespace.
	if ca.ExitSignal > 64 || ca.SetTID != 0 || ca.SetTIDSize != 0 ||
		ca.Flags&(unix.CLONE_DETACHED|0xff) != 0 {
		return 0, unix.EINVAL
	}
	if ca.Flags&unix.CLONE_THREAD != 0 && ca.ExitSignal != 0 {
		return 0, unix.EINVAL
	}
	stack := uintptr(ca.Stack)
	if ca.Stack != 0 {
		if ca.StackSize == 0 {
			return 0, unix.EINVAL
		}
		stack = uintptr(ca.Stack + ca.StackSize)
	}
	tid, err := t.Clone(kernel.CloneOptions{
		Flags:      ca.Flags,
		ExitSignal: ca.ExitSignal,
		Stack:      stack,
		ParentTID:  uintptr(ca.ParentTID),
		ChildTID:   uintptr(ca.ChildTID),
		TLS:        uintptr(ca.TLS),
		PIDFD:      uintptr(ca.PidFD),
	})
	return uintptr(tid), err
}

// Exit implements Linux syscall exit(2).
func Exit(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.Exit(int(args.Int(0)))
}

// ExitGroup implements Linux syscall exit_group(2).
func ExitGroup(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.ExitGroup(int(args.Int(0)) & 0xff)
}

// SetTidAddress implements Linux syscall set_tid_address(2).
func SetTidAddress(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	t.SetClearChildTID(args.Pointer(0))
	return uintptr(t.ThreadID()), nil
}

// robustListHeadSize is sizeof(struct robust_list_head) on x86-64.
const robustListHeadSize = 24

// SetRobustList implements Linux syscall set_robust_list(2). The kernel walks the list when
// the thread exits or execs (kernel/futex_robust.go).
func SetRobustList(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args[1] != robustListHeadSize {
		return 0, unix.EINVAL
	}
	t.SetRobustList(args.Pointer(0), args[1])
	return 0, nil
}

// GetRobustList implements Linux syscall get_robust_list(2) for the calling thread or another
// thread (pid != 0).
func GetRobustList(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	target := t
	if pid := args.Int(0); pid != 0 {
		if target = t.PIDNamespace().TaskWithID(pid); target == nil {
			return 0, unix.ESRCH
		}
	}
	head, length := target.RobustList()
	h, l := uint64(head), uint64(length)
	if err := copyOutStruct(t, args.Pointer(1), &h); err != nil {
		return 0, err
	}
	return 0, copyOutStruct(t, args.Pointer(2), &l)
}

// Gettid implements Linux syscall gettid(2).
func Gettid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ThreadID()), nil
}

// Getpid implements Linux syscall getpid(2).
func Getpid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.ProcessID()), nil
}

// Getppid implements Linux syscall getppid(2).
func Getppid(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return uintptr(t.PPID()), nil
}

// ArchPrctl implements Linux syscall arch_prctl(2).
func ArchPrctl(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	regs := t.Regs()
	switch args.Int(0) {
	case linux.ARCH_SET_FS:
		if args[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		regs.SetTLS(args[1])
	case linux.ARCH_GET_FS:
		v := uint64(regs.TLS())
		return 0, copyOutStruct(t, args.Pointer(1), &v)
	case linux.ARCH_SET_GS:
		if args[1] >= 1<<47 {
			return 0, unix.EPERM
		}
		regs.Gs_base = uint64(args[1])
	case linux.ARCH_GET_GS:
		v := regs.Gs_base
		return 0, copyOutStruct(t, args.Pointer(1), &v)
	case 0x1011: // ARCH_GET_CPUID: cpuid faulting is not enabled, so cpuid works
		return 1, nil
	default:
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Prctl implements Linux syscall prctl(2) for PR_SET/GET_NAME, PR_SET/GET_PDEATHSIG,
// PR_SET/GET_CHILD_SUBREAPER, PR_SET/GET_NO_NEW_PRIVS, PR_SET/GET_DUMPABLE and the
// capability options (sys_capability.go); others return
// EINVAL, as Linux does for options it does not know.
func Prctl(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if r, err, ok := prctlCaps(t, args); ok {
		return r, err
	}
	switch args.Int(0) {
	case unix.PR_SET_NAME:
		name, err := t.CopyInString(args.Pointer(1), 15)
		if err != nil && err != unix.ENAMETOOLONG {
			return 0, unix.EFAULT
		}
		if err == unix.ENAMETOOLONG {
			var b [15]byte
			if _, err := t.CopyIn(args.Pointer(1), b[:]); err != nil {
				return 0, unix.EFAULT
			}
			name = string(b[:])
		}
		t.SetName(name)
		return 0, nil
	case unix.PR_SET_PDEATHSIG:
		sig := int(args[1])
		if sig != 0 && !kernel.ValidSignal(sig) {
			return 0, unix.EINVAL
		}
		t.SetPdeathSignal(sig)
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		sig := int32(t.PdeathSignal())
		return 0, copyOutStruct(t, args.Pointer(1), &sig)
	case unix.PR_SET_CHILD_SUBREAPER:
		t.ThreadGroup().SetChildSubreaper(args[1] != 0)
		return 0, nil
	case unix.PR_GET_CHILD_SUBREAPER:
		var v int32
		if t.ThreadGroup().ChildSubreaper() {
			v = 1
		}
		return 0, copyOutStruct(t, args.Pointer(1), &v)
	case unix.PR_SET_NO_NEW_PRIVS:
		if args[1] != 1 || args[2] != 0 || args[3] != 0 || args[4] != 0 {
			return 0, unix.EINVAL
		}
		t.SetNoNewPrivs()
		return 0, nil
	case unix.PR_GET_NO_NEW_PRIVS:
		if args[1] != 0 || args[2] != 0 || args[3] != 0 || args[4] != 0 {
			return 0, unix.EINVAL
		}
		if t.NoNewPrivs() {
			return 1, nil
		}
		return 0, nil
	case unix.PR_SET_DUMPABLE:
		if args[1] > 1 {
			return 0, unix.EINVAL
		}
		t.ThreadGroup().SetDumpable(args[1] == 1)
		return 0, nil
	case unix.PR_GET_DUMPABLE:
		if t.ThreadGroup().Dumpable() {
			return 1, nil
		}
		return 0, nil
	case unix.PR_GET_NAME:
		var b [16]byte
		copy(b[:15], t.Name())
		if _, err := t.CopyOut(args.Pointer(1), b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	}
	return 0, unix.EINVAL
}

// SchedYield implements Linux syscall sched_yield(2).
func SchedYield(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	runtime.Gosched()
	return 0, nil
}

// SchedGetaffinity implements Linux syscall sched_getaffinity(2): every task may run on all of
// the sandbox's CPUs.
func SchedGetaffinity(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if pid := args.Int(0); pid != 0 && t.PIDNamespace().TaskWithID(pid) == nil {
		return 0, unix.ESRCH
	}
	size := args[1]
	n := t.Kernel().NumCPU()
	need := uintptr((n + 63) / 64 * 8)
	if size < need || size%8 != 0 {
		return 0, unix.EINVAL
	}
	mask := make([]byte, need)
	for i := 0; i < n; i++ {
		mask[i/8] |= 1 << (i % 8)
	}
	if _, err := t.CopyOut(args.Pointer(2), mask); err != nil {
		return 0, unix.EFAULT
	}
	return need, nil
}

// Getcpu implements Linux syscall getcpu(2). The sentry does not pin tasks, so the CPU is
// reported as 0 — a valid answer for a task that may run anywhere.
func Getcpu(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	var zero uint32
	if p := args.Pointer(0); p != 0 {
		if err := copyOutStruct(t, p, &zero); err != nil {
			return 0, err
		}
	}
	if p := args.Pointer(1); p != 0 {
		if err := copyOutStruct(t, p, &zero); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Unshare implements Linux syscall unshare(2).
func Unshare(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	return 0, t.Unshare(uint64(args[0]))
}
