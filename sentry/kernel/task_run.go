package kernel

import (
	"errors"
	"runtime"
	"syscall"

	"github.com/stockade-sandbox/stockade/platform"
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
		t.k.Logf("task %d: creating platform context: %v", t.tid, err)
		t.tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
		return
	}
	t.ctx = ctx
	if t.exiting.Load() {
		return
	}
	if start != nil {
		if err := start(); err != nil {
			t.k.Logf("task %d: %v", t.tid, err)
			t.tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
			return
		}
	}
	for !t.exiting.Load() {
		ev, err := ctx.Switch(t.mm.AddressSpace(), &t.regs)
		if err != nil {
			t.k.Logf("task %d: platform failure: %v", t.tid, err)
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
	if ev.Signo == int(syscall.SIGSEGV) || ev.Signo == int(syscall.SIGBUS) {
		err := t.mm.HandleFaultCode(ev.Addr, ev.Code)
		if err == nil {
			return
		}
		if errors.Is(err, unix.ENOMEM) {
			ev.Signo = int(syscall.SIGBUS)
		}
	}
	t.forceFaultSignal(ev.Signo, ev.Addr)
}
