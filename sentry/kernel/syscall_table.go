package kernel

import (
	"sort"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
)

// SyscallFn implements one syscall. It returns the value for rax, or an error: a unix.Errno
// becomes -errno; the control errors below change what happens after the call.
type SyscallFn func(t *Task, args arch.SyscallArguments) (uintptr, error)

// Support says how completely a syscall is implemented.
type Support int

const (
	// Unimplemented syscalls return Errno (ENOSYS unless the entry says otherwise).
	Unimplemented Support = iota
	// Partial syscalls work for the cases in Note and fail with a documented errno otherwise.
	Partial
	// Supported syscalls behave as Linux's.
	Supported
)

func (s Support) String() string {
	switch s {
	case Supported:
		return "supported"
	case Partial:
		return "partial"
	default:
		return "unimplemented"
	}
}

// Syscall is one entry of the syscall table.
type Syscall struct {
	Name    string
	Fn      SyscallFn
	Support Support
	// Note explains a partial implementation or why a syscall is not implemented.
	Note string
	// Errno is returned by an Unimplemented entry (ENOSYS if zero).
	Errno unix.Errno
}

// maxSyscall bounds the table (x86-64 numbers are below 512).
const maxSyscall = 512

var syscallTable [maxSyscall]Syscall

// RegisterSyscallTable installs the syscall implementations. Package syscalls calls it from
// an init function; entries not given are unimplemented.
func RegisterSyscallTable(entries map[uintptr]Syscall) {
	for nr, name := range linux.SyscallNames {
		if nr < maxSyscall {
			syscallTable[nr] = Syscall{Name: name}
		}
	}
	for nr, e := range entries {
		if nr >= maxSyscall {
			panic("syscall number out of range")
		}
		if e.Name == "" {
			e.Name = linux.SyscallNames[nr]
		}
		if e.Fn == nil {
			e.Support = Unimplemented
		} else if e.Support == Unimplemented {
			e.Support = Supported
		}
		syscallTable[nr] = e
	}
}

// TableEntry is a syscall table row, for `runsc syscalls` and the docs.
type TableEntry struct {
	Number uintptr
	Syscall
}

// SyscallTable returns the table in syscall number order (named syscalls only).
func SyscallTable() []TableEntry {
	var out []TableEntry
	for nr := range syscallTable {
		if syscallTable[nr].Name != "" {
			out = append(out, TableEntry{uintptr(nr), syscallTable[nr]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// SyscallHook observes syscalls (strace). Enter runs before the syscall, Exit after it with
// its result; Exit is not called for syscalls that do not return (exit, exit_group).
type SyscallHook interface {
	Enter(t *Task, sysno uintptr, args arch.SyscallArguments)
	Exit(t *Task, sysno uintptr, args arch.SyscallArguments, ret uintptr, err error)
}
