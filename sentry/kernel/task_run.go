package kernel

import (
	"errors"
	"runtime"
	"syscall"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/platform"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"golang.org/x/sys/unix"
)

// run is the task goroutine: it owns an OS thread for the task's whole life (the platform's
// tracer is that thread) and loops between application code and the sentry until the task
// exits.
//
// start, if non-nil, runs on the task goroutine before the first switch (the initial exec).
func (t *Task) run(start func() error) {
	// Never unlocked: when this goroutine returns, the Go runtime ends the OS thread, and the
	// platform's stub threads traced by it die with it.
	runtime.LockOSThread()
	defer t.exit()
	ctx, err := t.k.Platform.NewContext()
	if err != nil {
		t.k.Logf("task %d: creating platform context: %v", t.tid.Load(), err)
		t.tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
		return
	}
	t.ctx = ctx
	t.sharedCtx.Store(ctx)
	hostProc, _ := ctx.(platform.HostProcess)
	t.nameChanged.Store(true)
	if t.exiting.Load() {
		return
	}
	if start != nil {
		if err := start(); err != nil {
			t.k.Logf("task %d: %v", t.tid.Load(), err)
			t.tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
			return
		}
	}
	for !t.exiting.Load() {
		// The delivery point: signals are acted on only here, before every switch into
		// application code.
		if t.deliverSignals(); t.exiting.Load() {
			break
		}
		// The pause gate (kernel_pause.go): a paused sandbox runs no application code.
		if !t.k.beginApp(t) {
			continue
		}
		if hostProc != nil && t.nameChanged.Swap(false) {
			hostProc.SetName(t.Name())
		}
		ev, err := ctx.Switch(t.mm.AddressSpace(), &t.regs)
		t.k.endApp()
		t.noteAppThread()
		if err != nil {
			t.k.Logf("task %d: platform failure: %v", t.tid.Load(), err)
			t.tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
			return
		}
		switch ev.Kind {
		case platform.EventSyscall:
			t.doSyscall()
		case platform.EventFault:
			t.handleFault(ev)
		case platform.EventInterrupted:
			// State is re-checked at the top of the loop.
		}
	}
}

// handleFault resolves an application fault: memory that is mapped but not yet populated is
// mapped in and the access retried; anything else is a signal.
func (t *Task) handleFault(ev platform.Event) {
	// A general protection fault (si_code SI_KERNEL) is not about memory: it is forwarded as
	// the host reported it.
	if (ev.Signo == int(syscall.SIGSEGV) || ev.Signo == int(syscall.SIGBUS)) && ev.Code != linux.SI_KERNEL {
		err := t.mm.HandleFaultIP(ev.Addr, ev.Code, uintptr(t.regs.Rip))
		if err == nil {
			return
		}
		// The si_code is the sandbox's view, not the host's: nothing mapped, or a mapping
		// that forbids the access, or memory that could not be provided.
		switch {
		case errors.Is(err, unix.ENOMEM), errors.Is(err, mm.ErrBusError):
			ev.Signo, ev.Code = int(syscall.SIGBUS), linux.BUS_ADRERR
		case errors.Is(err, unix.EACCES):
			ev.Signo, ev.Code = int(syscall.SIGSEGV), linux.SEGV_ACCERR
		default:
			ev.Signo, ev.Code = int(syscall.SIGSEGV), linux.SEGV_MAPERR
		}
	}
	t.forceFaultSignal(ev.Signo, ev.Code, ev.Addr)
}
