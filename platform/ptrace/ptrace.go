// Package ptrace is the ptrace platform: application threads run in stub processes that
// contain no code of their own, and the sentry traces them with PTRACE_SYSEMU, so that every
// application syscall stops the thread before the host executes it and is answered by the
// sentry instead.
//
// Structure:
//
//   - The master stub is forked once from the sentry (sharing its file descriptor table) and
//     reduced to two pages of stub code and data at stubStart. New address spaces are forked
//     from it; it is the parent of every stub, ignores SIGCHLD (so dead stubs are reaped by
//     the host), and is killed with the sentry through PR_SET_PDEATHSIG.
//   - A stub thread is a host process sharing its address space's mm. It starts untraced,
//     waiting in the stub's pause loop; the sentry OS thread that first needs a thread in that
//     address space seizes it (PTRACE_SEIZE with PTRACE_O_EXITKILL) and clones the next spare
//     from it. A stub thread is traced by exactly one sentry OS thread for its whole life.
//   - Task goroutines are locked to their OS threads (runtime.LockOSThread) for their whole
//     life, so a task always switches into the same stub thread of a given address space and
//     its FPU state stays in the stub thread; it is read and written (FullState,
//     SetFullState) only to build and unwind signal frames. When a task's
//     OS thread exits, PTRACE_O_EXITKILL kills its stub threads.
//   - Mappings change only by injecting mmap/munmap into a stub thread of the calling OS
//     thread: the application never executes a syscall on the host.
//   - Interrupt (any goroutine) must not be lost against a Switch about to resume the stub:
//     Interrupt sets context.interrupt and then reads context.running, sending SIGUSR2 to
//     that thread; Switch publishes running and then consumes interrupt. With both atomic,
//     either Switch sees the flag and returns EventInterrupted without resuming, or
//     Interrupt sees the thread and its signal (pending even if sent while the thread is
//     still stopped) stops the thread at once when it is resumed. The flag outlives the
//     signal, so a signal that a stop other than the interrupt's swallowed (an injected
//     syscall's) still makes the next Switch return at once; spurious EventInterrupted
//     results are harmless, as the caller re-checks its state.
//
// Locking: addressSpace.mu guards the thread table and the spare. It is taken with no other
// lock held and is held across the ptrace calls that claim or create a stub thread.
package ptrace

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
)

func init() {
	platform.Register("ptrace", New)
}

// Platform is the ptrace platform.
type Platform struct {
	// The master stub is started by the first NewAddressSpace, not by New: a sandbox
	// process confines itself (runsc/confine) between building the sentry and starting
	// init, and stubs forked after that inherit its seccomp filter, no_new_privs, reduced
	// capabilities and empty root (docs/security.md).
	once      sync.Once
	master    *master
	masterErr error
}

var _ platform.Platform = (*Platform)(nil)

// New creates the ptrace platform; its master stub is created when first needed.
func New() (platform.Platform, error) {
	return &Platform{}, nil
}

// startMaster starts the master stub once.
func (p *Platform) startMaster() (*master, error) {
	p.once.Do(func() { p.master, p.masterErr = startMaster() })
	return p.master, p.masterErr
}

// Name implements platform.Platform.
func (*Platform) Name() string { return "ptrace" }

// MinUserAddress implements platform.Platform.
func (*Platform) MinUserAddress() uintptr { return minUserAddress }

// MaxUserAddress implements platform.Platform.
func (*Platform) MaxUserAddress() uintptr { return maxUserAddress }

// Release implements platform.Platform.
func (p *Platform) Release() {
	p.once.Do(func() { p.masterErr = fmt.Errorf("platform released") })
	if p.master != nil {
		p.master.stop(2 * time.Second)
	}
}

// NewAddressSpace implements platform.Platform.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	m, err := p.startMaster()
	if err != nil {
		return nil, err
	}
	tid, err := m.fork()
	if err != nil {
		return nil, err
	}
	return &addressSpace{spare: tid, threads: make(map[int]*thread)}, nil
}

// NewContext implements platform.Platform. The calling goroutine must be locked to its OS
// thread for the life of the Context.
func (p *Platform) NewContext() (platform.Context, error) {
	return &context{tid: unix.Gettid()}, nil
}

// addressSpace is a stub process family sharing one mm.
type addressSpace struct {
	mu sync.Mutex
	// threads maps a sentry OS thread id to the stub thread it traces in this address
	// space. Guarded by mu.
	threads map[int]*thread
	// spare is an untraced stub thread waiting to be seized, or 0. Guarded by mu.
	spare int
	// released is set by Release. Guarded by mu.
	released bool
}

var _ platform.AddressSpace = (*addressSpace)(nil)

// threadFor returns the stub thread traced by the OS thread tid, seizing the spare (and
// cloning a new spare from it) if tid has none yet.
func (as *addressSpace) threadFor(tid int) (*thread, error) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if t := as.threads[tid]; t != nil {
		return t, nil
	}
	if as.released {
		return nil, fmt.Errorf("address space used after release")
	}
	if as.spare == 0 {
		return nil, fmt.Errorf("address space has no spare stub thread")
	}
	t := &thread{tid: as.spare, tracer: tid, cpu: -1}
	as.spare = 0
	if err := t.seize(); err != nil {
		t.kill(false)
		return nil, err
	}
	ret, err := t.syscall(stubClone, unix.SYS_CLONE, nil, cloneThread, 0, 0, 0, 0)
	if err == nil && int64(ret) < 0 {
		err = syscall.Errno(-int64(ret))
	}
	if err != nil {
		t.kill(true)
		return nil, fmt.Errorf("cloning stub thread: %w", err)
	}
	as.spare = int(ret)
	as.threads[tid] = t
	return t, nil
}

// MapFile implements platform.AddressSpace.
func (as *addressSpace) MapFile(addr uintptr, fd int, offset int64, length uintptr, perms platform.AccessType) error {
	t, err := as.threadFor(unix.Gettid())
	if err != nil {
		return err
	}
	ret, err := t.syscallErr(unix.SYS_MMAP, nil, addr, length, uintptr(perms.Prot()), unix.MAP_SHARED|unix.MAP_FIXED, uintptr(fd), uintptr(offset))
	if err != nil {
		return fmt.Errorf("mapping %#x-%#x in stub: %w", addr, addr+length, err)
	}
	if ret != addr {
		return fmt.Errorf("mapping %#x in stub landed at %#x", addr, ret)
	}
	return nil
}

// Unmap implements platform.AddressSpace.
func (as *addressSpace) Unmap(addr, length uintptr) error {
	t, err := as.threadFor(unix.Gettid())
	if err != nil {
		return err
	}
	if _, err := t.syscallErr(unix.SYS_MUNMAP, nil, addr, length); err != nil {
		return fmt.Errorf("unmapping %#x-%#x in stub: %w", addr, addr+length, err)
	}
	return nil
}

// Release implements platform.AddressSpace. Stub threads traced by the calling OS thread are
// killed and reaped; those of other OS threads are killed, and reaped by their tracers or by
// PTRACE_O_EXITKILL when those threads exit.
func (as *addressSpace) Release() {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		return
	}
	as.released = true
	me := unix.Gettid()
	for tid, t := range as.threads {
		t.kill(tid == me)
	}
	as.threads = nil
	if as.spare != 0 {
		syscall.Kill(as.spare, syscall.SIGKILL)
		as.spare = 0
	}
}

// context runs the application threads of one task goroutine.
type context struct {
	// tid is the OS thread the owning goroutine is locked to.
	tid int
	// lastAS and lastThread cache the stub thread of the last address space switched to.
	// Owned by the task goroutine.
	lastAS     *addressSpace
	lastThread *thread
	// running is the stub thread currently (or about to be) running, for Interrupt.
	running atomic.Pointer[thread]
	// interrupt is set by Interrupt and consumed by Switch.
	interrupt atomic.Bool
	// fp holds the buffers of FullState and SetFullState. Owned by the task goroutine.
	fp fpBuffers
	// name is the application thread's name, given to each stub thread it runs in
	// (SetName). Owned by the task goroutine.
	name string
	// hostPID is lastThread's host pid, for HostPID.
	hostPID atomic.Int32
}

var (
	_ platform.Context     = (*context)(nil)
	_ platform.HostProcess = (*context)(nil)
)

// SetName implements platform.HostProcess.
func (c *context) SetName(name string) { c.name = name }

// HostPID implements platform.HostProcess.
func (c *context) HostPID() int { return int(c.hostPID.Load()) }

// Switch implements platform.Context.
func (c *context) Switch(pas platform.AddressSpace, regs *arch.Registers) (platform.Event, error) {
	t, err := c.threadIn(pas)
	if err != nil {
		return platform.Event{}, err
	}
	if t.name != c.name {
		t.setName(c.name)
	}
	// Publish the thread before consuming the flag (package doc: Interrupt).
	c.running.Store(t)
	defer c.running.Store(nil)
	if c.interrupt.Swap(false) {
		return platform.Event{Kind: platform.EventInterrupted}, nil
	}
	t.bindToCurrentCPU()
	// Orig_rax = -1 keeps the host from "restarting" a syscall on resumption.
	regs.Orig_rax = ^uint64(0)
	if err := t.setRegs(regs); err != nil {
		return platform.Event{}, err
	}
	if e := ptrace(ptraceSysemu, t.tid, 0, 0); e != 0 {
		return platform.Event{}, fmt.Errorf("PTRACE_SYSEMU of stub thread %d: %w", t.tid, e)
	}
	status, err := t.wait()
	if err != nil {
		return platform.Event{}, err
	}
	if err := t.getRegs(regs); err != nil {
		return platform.Event{}, err
	}
	if !status.Stopped() {
		return platform.Event{}, fmt.Errorf("stub thread %d: unexpected wait status %#x", t.tid, uint32(status))
	}
	sig := int(status.StopSignal())
	switch {
	case sig == syscallStopSig:
		return platform.Event{Kind: platform.EventSyscall}, nil
	case int(status)>>16 != 0:
		// A ptrace event stop (PTRACE_EVENT_STOP from a group stop): nothing to handle.
		return platform.Event{Kind: platform.EventInterrupted}, nil
	case sig == int(syscall.SIGSEGV) || sig == int(syscall.SIGBUS) || sig == int(syscall.SIGFPE) ||
		sig == int(syscall.SIGILL) || sig == int(syscall.SIGTRAP):
		if e := ptrace(unix.PTRACE_GETSIGINFO, t.tid, 0, uintptr(unsafePointer(&t.siginfo[0]))); e != 0 {
			return platform.Event{}, fmt.Errorf("PTRACE_GETSIGINFO: %w", e)
		}
		return platform.Event{
			Kind:  platform.EventFault,
			Signo: sig,
			Code:  int32(le32(t.siginfo[siginfoCodeOff:])),
			Addr:  uintptr(le64(t.siginfo[siginfoAddrOff:])),
		}, nil
	default:
		// The interrupt signal, or a stray signal: suppressed (the next resume passes 0).
		return platform.Event{Kind: platform.EventInterrupted}, nil
	}
}

// threadIn returns the stub thread this context runs in pas, seizing one on first use.
func (c *context) threadIn(pas platform.AddressSpace) (*thread, error) {
	as := pas.(*addressSpace)
	t := c.lastThread
	if as != c.lastAS || t == nil || t.dead {
		if tid := unix.Gettid(); tid != c.tid {
			return nil, fmt.Errorf("ptrace context used from OS thread %d, owned by %d", tid, c.tid)
		}
		var err error
		if t, err = as.threadFor(c.tid); err != nil {
			return nil, err
		}
		c.lastAS, c.lastThread = as, t
		c.hostPID.Store(int32(t.tid))
	}
	return t, nil
}

// Interrupt implements platform.Context.
func (c *context) Interrupt() {
	c.interrupt.Store(true)
	if t := c.running.Load(); t != nil {
		syscall.Kill(t.tid, interruptSignal)
	}
}

// Release implements platform.Context. Stub threads this context traces die with its OS
// thread (PTRACE_O_EXITKILL) when the owning goroutine exits while locked.
func (c *context) Release() {
	c.lastAS, c.lastThread = nil, nil
}
