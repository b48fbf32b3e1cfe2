package ptrace

import (
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/memfile"
)

var (
	testPlatformOnce sync.Once
	testPlatform     platform.Platform
	testPlatformErr  error
)

func newTestPlatform(t *testing.T) platform.Platform {
	testPlatformOnce.Do(func() { testPlatform, testPlatformErr = New() })
	if testPlatformErr != nil {
		t.Fatalf("New: %v", testPlatformErr)
	}
	return testPlatform
}

const codeAddr = 0x400000

// setup maps one page of code at codeAddr and one data page after it.
func setup(t *testing.T, p platform.Platform, code []byte) (platform.AddressSpace, *memfile.File) {
	mf, err := memfile.New("test", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	off, err := mf.Allocate(2 * 4096)
	if err != nil {
		t.Fatal(err)
	}
	copy(mf.Slice(off, 4096), code)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(codeAddr, mf.FD(), int64(off), 4096, platform.AccessType{Read: true, Execute: true}); err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(codeAddr+4096, mf.FD(), int64(off)+4096, 4096, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	return as, mf
}

// getpidExit: getpid(); write rax to the data page; exit(rax).
var getpidExit = []byte{
	0xb8, 0x27, 0x00, 0x00, 0x00, // mov $39,%eax
	0x0f, 0x05, // syscall
	0x48, 0x89, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, // mov %rax,0x401000
	0x48, 0x89, 0xc7, // mov %rax,%rdi
	0xb8, 0x3c, 0x00, 0x00, 0x00, // mov $60,%eax
	0x0f, 0x05, // syscall
}

func TestSyscallsStopWithoutExecuting(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestPlatform(t)
	as, mf := setup(t, p, getpidExit)
	defer as.Release()
	ctx, err := p.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	regs := arch.InitialRegisters(codeAddr, codeAddr+8192)
	ev, err := ctx.Switch(as, &regs)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != platform.EventSyscall || regs.SyscallNo() != unix.SYS_GETPID {
		t.Fatalf("first event %+v sysno %d, want getpid syscall", ev, regs.SyscallNo())
	}
	regs.SetReturn(4242)
	ev, err = ctx.Switch(as, &regs)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != platform.EventSyscall || regs.SyscallNo() != unix.SYS_EXIT || regs.SyscallArgs()[0] != 4242 {
		t.Fatalf("second event %+v sysno %d arg %d, want exit(4242)", ev, regs.SyscallNo(), regs.SyscallArgs()[0])
	}
	off := le64(mf.Slice(4096, 8))
	_ = off
}

func TestFaultIsReported(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestPlatform(t)
	// mov %eax,0x500000 — an unmapped address.
	as, _ := setup(t, p, []byte{0x89, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00})
	defer as.Release()
	ctx, _ := p.NewContext()
	regs := arch.InitialRegisters(codeAddr, codeAddr+8192)
	ev, err := ctx.Switch(as, &regs)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != platform.EventFault || ev.Signo != int(unix.SIGSEGV) || ev.Addr != 0x500000 {
		t.Fatalf("event %+v, want SIGSEGV at 0x500000", ev)
	}
	if regs.IP() != codeAddr {
		t.Fatalf("fault IP %#x, want %#x", regs.IP(), codeAddr)
	}
}

func TestThreadsOfOneAddressSpace(t *testing.T) {
	p := newTestPlatform(t)
	runtime.LockOSThread()
	as, _ := setup(t, p, getpidExit)
	runtime.UnlockOSThread()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // the thread dies with the goroutine, and its stubs with it
			ctx, _ := p.NewContext()
			regs := arch.InitialRegisters(codeAddr, codeAddr+8192)
			for j := 0; j < 100; j++ {
				ev, err := ctx.Switch(as, &regs)
				if err != nil {
					errs <- err
					return
				}
				if ev.Kind != platform.EventSyscall || regs.SyscallNo() != unix.SYS_GETPID {
					errs <- err
					return
				}
				regs = arch.InitialRegisters(codeAddr, codeAddr+8192)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestInterrupt(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestPlatform(t)
	as, _ := setup(t, p, []byte{0xeb, 0xfe}) // jmp . (spin)
	defer as.Release()
	ctx, _ := p.NewContext()
	go func() {
		for i := 0; i < 100; i++ {
			ctx.Interrupt()
			runtime.Gosched()
		}
	}()
	regs := arch.InitialRegisters(codeAddr, codeAddr+8192)
	ev, err := ctx.Switch(as, &regs)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != platform.EventInterrupted {
		t.Fatalf("event %+v, want interrupted", ev)
	}
}

func BenchmarkSyscallRoundTrip(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := New()
	if err != nil {
		b.Fatal(err)
	}
	// loop: getpid; jmp loop
	code := []byte{0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7}
	tt := &testing.T{}
	as, _ := setup(tt, p, code)
	ctx, _ := p.NewContext()
	regs := arch.InitialRegisters(codeAddr, codeAddr+8192)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ctx.Switch(as, &regs); err != nil {
			b.Fatal(err)
		}
	}
}
