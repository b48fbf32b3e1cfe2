package ptrace

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// The stub: two pages at a fixed high address in every stub process. The first holds the
// code below (read+execute); the second is scratch data for injected syscalls that take a
// pointer. Nothing else is mapped in a stub process until the application's memory is.
const (
	stubStart = 0x7fffffff0000
	stubCode  = stubStart
	stubData  = stubStart + 0x1000
	stubEnd   = stubStart + 0x2000

	// maxUserAddress leaves a gap below the stub so that no application mapping (or stack
	// growth) can reach it.
	maxUserAddress = stubStart - 0x10000
	minUserAddress = 0x10000

	// taskSize is Linux's TASK_SIZE on x86-64 with 4-level page tables: the end of the user
	// address range the host lets a stub process map.
	taskSize = 0x7ffffffff000
)

// Offsets of entry points in the stub code page.
const (
	// stubInject executes the syscall loaded in the registers, then traps (int3), so that
	// the tracer regains control after exactly one syscall.
	stubInject = stubCode + 0x00
	// stubClone executes a clone loaded in the registers. The parent traps like stubInject,
	// at stubCloneTrap; the child sets PR_SET_PDEATHSIG and waits in pause(2), untraced,
	// until a sentry thread seizes it.
	stubClone     = stubCode + 0x10
	stubCloneTrap = stubClone + 0x25
)

// stubCodeBytes is the machine code of the stub page (x86-64).
//
// The clone entry guards against a child that outlives its parent unnoticed: a parent that
// dies (killed with the sentry) after the clone but before the child's prctl never sends it
// the death signal, and the child would pause forever, holding the sandbox's memory and,
// through the descriptor table it shares, every descriptor of the sentry (the gofer's
// socket too, so the gofer stays as well). So the entry first notes which process will be
// the parent (this one, or its parent with CLONE_PARENT), and the child, once its death
// signal is set, exits if its parent is already another.
var stubCodeBytes = func() []byte {
	b := make([]byte, 0x80)
	for i := range b {
		b[i] = 0xcc // int3 everywhere else
	}
	copy(b[0x00:], []byte{
		0x0f, 0x05, // syscall
		0xcc, // int3
	})
	copy(b[0x10:], []byte{
		0x49, 0x89, 0xc5, // mov %rax,%r13: the clone's syscall number
		0xb8, 0x27, 0x00, 0x00, 0x00, // mov $SYS_getpid,%eax
		0xf7, 0xc7, 0x00, 0x80, 0x00, 0x00, // test $CLONE_PARENT,%edi
		0x74, 0x05, // jz 1f
		0xb8, 0x6e, 0x00, 0x00, 0x00, // mov $SYS_getppid,%eax
		0x0f, 0x05, // 1: syscall
		0x49, 0x89, 0xc4, // mov %rax,%r12: the child's parent
		0x4c, 0x89, 0xe8, // mov %r13,%rax
		0x0f, 0x05, // syscall (clone)
		0x48, 0x85, 0xc0, // test %rax,%rax
		0x74, 0x01, // jz child
		0xcc,                         // int3: parent, or a failed clone (stubCloneTrap)
		0xb8, 0x9d, 0x00, 0x00, 0x00, // child: mov $SYS_prctl,%eax
		0xbf, 0x01, 0x00, 0x00, 0x00, // mov $PR_SET_PDEATHSIG,%edi
		0xbe, 0x09, 0x00, 0x00, 0x00, // mov $SIGKILL,%esi
		0x0f, 0x05, // syscall
		0xb8, 0x6e, 0x00, 0x00, 0x00, // mov $SYS_getppid,%eax
		0x0f, 0x05, // syscall
		0x4c, 0x39, 0xe0, // cmp %r12,%rax
		0x75, 0x09, // jne orphan
		0xb8, 0x22, 0x00, 0x00, 0x00, // loop: mov $SYS_pause,%eax
		0x0f, 0x05, // syscall
		0xeb, 0xf7, // jmp loop
		0xb8, 0xe7, 0x00, 0x00, 0x00, // orphan: mov $SYS_exit_group,%eax
		0x31, 0xff, // xor %edi,%edi
		0x0f, 0x05, // syscall
		0xeb, 0xf5, // jmp orphan
	})
	return b
}()

// Clone flags for a new stub process (a fresh address space, forked from the master stub)
// and for a new stub thread in an existing address space. Stub threads are separate
// processes that share an mm (no CLONE_THREAD), so that a stop or a kill of one never
// involves the others; CLONE_PARENT makes the master stub the parent of all of them, and the
// master ignores SIGCHLD, so dead stubs are reaped by the host kernel.
const (
	cloneAddressSpace = unix.CLONE_FILES | unix.CLONE_UNTRACED | uintptr(syscall.SIGCHLD)
	cloneThread       = unix.CLONE_VM | unix.CLONE_FILES | unix.CLONE_PARENT | unix.CLONE_UNTRACED | uintptr(syscall.SIGCHLD)
)

// rawCloneMaster forks the calling OS thread into a new process that shares the sentry's file
// descriptor table, asks to be traced by this thread, and stops itself. The tracer then
// strips it down to the stub pages.
//
// The child runs on a copy of the Go runtime that has only this thread, so it must not
// allocate, grow the stack or call anything but raw syscalls: hence go:nosplit throughout.
//
//go:nosplit
func rawCloneMaster() (int, syscall.Errno) {
	p, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	parent := int(p)
	r1, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, unix.CLONE_FILES|uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if r1 != 0 {
		return int(r1), 0
	}
	// Child. A parent that died before the prctl sends no death signal: exit instead.
	syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	if ppid, _, _ := syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0); int(ppid) != parent {
		for {
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
		}
	}
	syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME, 0, 0)
	pid, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_KILL, pid, uintptr(syscall.SIGSTOP), 0)
	// The tracer rewrites this process's registers before it runs again; reaching here
	// means it failed.
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
	}
}
