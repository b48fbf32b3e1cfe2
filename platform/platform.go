// Package platform defines how application code runs: an AddressSpace holds an application's
// memory mappings on the host, and a Context runs one application thread in an AddressSpace
// until it makes a syscall, faults, or is interrupted. The sentry answers those events; the
// application's syscalls never execute on the host.
//
// Implementations live in subpackages (ptrace, and later systrap and kvm) and register
// themselves by name with Register from an init function; callers choose one with Lookup.
// This package and its implementations never import the kernel, mm or vfs: the dependency
// points from the sentry to the platform.
//
// Threading: a Context belongs to one task goroutine. Platforms may require that goroutine to
// be locked to its OS thread (runtime.LockOSThread) for the Context's whole life; ptrace does,
// because a ptrace tracer is an OS thread. AddressSpace methods that change mappings are
// called from a task goroutine whose Context has run in that AddressSpace (see each method).
package platform

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/stockade-sandbox/stockade/sentry/arch"
)

// AccessType is a set of memory access permissions.
type AccessType struct {
	Read, Write, Execute bool
}

// Common access types.
var (
	NoAccess  = AccessType{}
	Read      = AccessType{Read: true}
	ReadWrite = AccessType{Read: true, Write: true}
	AnyAccess = AccessType{Read: true, Write: true, Execute: true}
)

// Any reports whether any access is allowed.
func (a AccessType) Any() bool { return a.Read || a.Write || a.Execute }

// Prot returns the PROT_* bits for a.
func (a AccessType) Prot() int {
	p := 0
	if a.Read {
		p |= 1
	}
	if a.Write {
		p |= 2
	}
	if a.Execute {
		p |= 4
	}
	return p
}

// String renders a like /proc/pid/maps does ("rwx", "r--").
func (a AccessType) String() string {
	b := []byte("---")
	if a.Read {
		b[0] = 'r'
	}
	if a.Write {
		b[1] = 'w'
	}
	if a.Execute {
		b[2] = 'x'
	}
	return string(b)
}

// EventKind says why Switch returned.
type EventKind int

const (
	// EventSyscall: the thread made a syscall; its number and arguments are in the registers.
	// The platform has not executed it. The caller sets the return value and switches again.
	EventSyscall EventKind = iota
	// EventFault: the thread took a synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	// SIGTRAP). Signo, Code and Addr describe it.
	EventFault
	// EventInterrupted: Interrupt was called, or the platform stopped the thread for another
	// reason that needs no handling. The caller checks its own state and switches again.
	EventInterrupted
)

// Event describes why Switch returned.
type Event struct {
	Kind EventKind
	// Signo, Code and Addr describe a fault: the host signal number, its si_code, and the
	// faulting address (si_addr).
	Signo int
	Code  int32
	Addr  uintptr
}

// Platform creates address spaces and contexts.
type Platform interface {
	// Name is the name the platform registered under.
	Name() string
	// NewAddressSpace returns a new, empty address space.
	NewAddressSpace() (AddressSpace, error)
	// NewContext returns a Context for the calling task goroutine.
	NewContext() (Context, error)
	// MaxUserAddress is one past the highest address an application may map.
	MaxUserAddress() uintptr
	// MinUserAddress is the lowest address an application may map.
	MinUserAddress() uintptr
	// Release tears the platform down once the sandbox has exited, leaving no host process
	// or zombie behind. Address spaces must have been released.
	Release()
}

// AddressSpace is an application address space on the host.
//
// Preconditions for MapFile and Unmap: the calling goroutine owns a Context that has run in
// this AddressSpace or will be the first to (platforms may bind a Context on first use).
type AddressSpace interface {
	// MapFile maps length bytes of the host file fd at offset to addr with perms, replacing
	// whatever was mapped there (MAP_SHARED|MAP_FIXED semantics). addr, offset and length are
	// page aligned. The fd must stay open while it is mapped.
	MapFile(addr uintptr, fd int, offset int64, length uintptr, perms AccessType) error
	// Unmap removes any mapping in [addr, addr+length).
	Unmap(addr, length uintptr) error
	// Release frees the address space. It must not be used afterwards.
	Release()
}

// Context runs application threads.
type Context interface {
	// Switch resumes the application thread with regs in as until the next event, and
	// returns with regs updated to the thread's state at that event. An error means the
	// platform failed (not the application): the thread cannot continue.
	Switch(as AddressSpace, regs *arch.Registers) (Event, error)
	// Interrupt makes a concurrent or the next Switch return EventInterrupted promptly. It may
	// be called from any goroutine.
	Interrupt()
	// FullState returns the floating point and vector state (x87, SSE, AVX...) of the
	// application thread this Context runs in as, in the XSAVE standard (non-compacted)
	// format with XCR0 in the first 8 bytes of the software-reserved area at offset 464 (the
	// layout of PTRACE_GETREGSET NT_X86_XSTATE), or as a 512-byte FXSAVE image if the host
	// has no XSAVE. Its length is the same on every call.
	//
	// Preconditions: called by the owning goroutine between Switch calls.
	FullState(as AddressSpace) ([]byte, error)
	// SetFullState replaces that state with one in FullState's format and length. It fails
	// if the host rejects the image (reserved bits set, unknown components).
	//
	// Preconditions: as for FullState.
	SetFullState(as AddressSpace, state []byte) error
	// Release frees the Context. The owning goroutine calls it when the task exits.
	Release()
}

// HostProcess is implemented by a Context whose application thread runs as a host process
// (ptrace: a stub thread, one host process per application thread), which the host's ps
// lists: the runtime reports those pids (runsc ps --format json, hence docker top) and
// names them after the application thread so that host tools show something meaningful.
type HostProcess interface {
	// SetName gives the host process of the application thread the command name (comm)
	// name, from the next Switch on (also in a new address space).
	//
	// Preconditions: called by the owning goroutine.
	SetName(name string)
	// HostPID is the host pid of the process running the application thread in the
	// address space last switched to, or 0 before the first switch. Any goroutine may call
	// it.
	HostPID() int
}

// Constructor builds a platform instance; called once per sandbox.
type Constructor func() (Platform, error)

var (
	registryMu sync.Mutex
	registry   = map[string]Constructor{}
)

// Register makes a platform available under name. It panics on a duplicate name: that is a
// programming error found at start-up.
func Register(name string, c Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("platform registered twice: " + name)
	}
	registry[name] = c
}

// ErrUnknown is returned by New for a name no platform registered.
var ErrUnknown = errors.New("unknown platform")

// New constructs the platform registered under name.
func New(name string) (Platform, error) {
	registryMu.Lock()
	c, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (available: %v)", ErrUnknown, name, Names())
	}
	return c()
}

// Names lists the registered platforms, sorted.
func Names() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
