package boot

import (
	"fmt"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/stockade-sandbox/stockade/fsimpl/devpts"
	"github.com/stockade-sandbox/stockade/runsc/console"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// The console: init's terminal when the container has one (process.terminal) or `runsc
// do` runs on a terminal.
//
// Resizes are pushed: every console's size is read from its host terminal when it starts
// and whenever this process gets SIGWINCH. The host sends SIGWINCH itself for init's
// console, the sandbox's controlling terminal; for an exec'd process's, which is not,
// runsc exec sends it (it gets the host's SIGWINCH as the session leader of that pty, or
// relays its own terminal's size). A console whose size did not change ignores it.
//
// The sentry's own terminal is the console, not the host's: Start opens a pseudo-terminal
// of the container's devpts (/dev/pts/0 for the first), makes its slave init's standard
// descriptors and its session's controlling terminal, and runsc/console pumps bytes between
// its master and the host terminal, which is put in raw mode. So the container sees one
// line discipline (the sentry's), termios and job control are the sentry's, and `tty`
// inside prints a /dev/pts path of the container's own.

// Console describes the host terminal a sandbox's init uses as its console.
type Console struct {
	// In is read for typed input and Out written with output (host descriptors, left
	// open); the window size is In's.
	In, Out int
	// Stdio says which of init's descriptors 0-2 are the console (the others are this
	// process's own).
	Stdio [3]bool
	// Rows and Cols are the initial window size when the host terminal reports none.
	Rows, Cols uint16
	// IgnoreHangup makes this process ignore SIGHUP, which the host sends it when the
	// console is its controlling terminal and the caller closes the master: the pump then
	// hangs the container's terminal up instead.
	IgnoreHangup bool
	// Own says In (which must equal Out) is the sandbox's own copy, for one process (an
	// exec'd one): once its output has ended (every slave of the terminal closed), the
	// console goes: the pump stops, In is closed and the terminal's master released, so
	// that the caller's host master sees the hangup.
	Own bool
}

// Console returns the console of a container with process.terminal (nil without): the
// sandbox's standard input, which runsc create made the host pty's slave.
func (c *ContainerConfig) Console() *Console {
	if !c.Terminal {
		return nil
	}
	return &Console{In: 0, Out: 0, Stdio: [3]bool{true, true, true}, Rows: c.ConsoleRows, Cols: c.ConsoleCols, IgnoreHangup: true}
}

// consoleState is a started console.
type consoleState struct {
	master  *vfs.FileDescription
	tm      *tty.Terminal
	pump    *console.Pump
	restore func()
	once    sync.Once
}

// finish waits up to d for the console's last output, stops it and releases it, once.
func (c *consoleState) finish(d time.Duration) {
	c.once.Do(func() {
		c.pump.Finish(d)
		c.pump.Close()
		c.restore()
		c.master.Release()
	})
}

// prepareConsole does what must happen before confinement.
func prepareConsole(c *Console) {
	if c != nil && c.IgnoreHangup {
		signal.Ignore(syscall.SIGHUP)
	}
}

// StartConsole opens a terminal of the container's devpts through fsc, joins it to the
// host terminal c describes and starts the pump. It returns the files for the console
// descriptors of the process that will use it (nil elsewhere) and the function that makes
// the terminal the controlling terminal of that process's session (for
// kernel.InitArgs.OnSession or kernel.SpawnArgs.OnSession). Start calls it for init,
// Exec for a process with a terminal of its own. The console lives until the sandbox is
// destroyed, or, with c.Own, until its output has ended.
func (s *Sandbox) StartConsole(fsc *vfs.FSContext, c *Console) ([3]kernel.File, func(*kernel.Session, *kernel.ProcessGroup), error) {
	var files [3]kernel.File
	n := 0
	for _, b := range c.Stdio {
		if b {
			n++
		}
	}
	master, slaves, tm, err := devpts.OpenConsole(fsc.VFS(), fsc.Root(), "/dev/ptmx", s.opts.UID, s.opts.GID, n)
	if err != nil {
		return files, nil, fmt.Errorf("console: %w", err)
	}
	for i, b := range c.Stdio {
		if b {
			files[i], slaves = slaves[0], slaves[1:]
		}
	}
	restore, err := console.SetRaw(c.In)
	if err != nil || c.Own {
		// An own console's host pty goes with it: nothing to restore.
		restore = func() {}
	}
	var p *console.Pump
	if c.Own {
		p, err = console.StartFilePump(tm, c.In)
		if err != nil {
			for _, f := range files {
				if f != nil {
					f.(*vfs.FileDescription).Release()
				}
			}
			master.Release()
			return [3]kernel.File{}, nil, fmt.Errorf("console: %w", err)
		}
	} else {
		p = console.StartPump(tm, c.In, c.Out, c.In, true)
	}
	p.CopySize()
	if ws := tm.Winsize(); ws.Row == 0 && ws.Col == 0 && (c.Rows != 0 || c.Cols != 0) {
		tm.SetWinsize(tty.Winsize{Row: c.Rows, Col: c.Cols})
	}
	cs := &consoleState{master: master, tm: tm, pump: p, restore: restore}
	s.consolesMu.Lock()
	s.consoles = append(s.consoles, cs)
	s.consolesMu.Unlock()
	if c.Own {
		go func() {
			<-p.Done()
			cs.finish(0)
			s.consolesMu.Lock()
			for i, x := range s.consoles {
				if x == cs {
					s.consoles = append(s.consoles[:i], s.consoles[i+1:]...)
					break
				}
			}
			s.consolesMu.Unlock()
		}()
	}
	onSession := func(ss *kernel.Session, pg *kernel.ProcessGroup) {
		tm.SetControllingSession(ss, pg)
	}
	return files, onSession, nil
}

// finishConsoles lets the consoles' last output reach the host, once every process has
// gone, and restores the host terminals.
func (s *Sandbox) finishConsoles() {
	s.consolesMu.Lock()
	cs := s.consoles
	s.consoles = nil
	s.consolesMu.Unlock()
	for _, c := range cs {
		c.finish(time.Second)
	}
}

// stdioConsole is `runsc do`'s console: when standard input is a terminal, the standard
// descriptors that are terminals get the sandbox's terminal, whose output goes to the first
// of them (stdout, stderr, stdin). nil when standard input is not a terminal.
func stdioConsole() *Console {
	if !console.IsTerminal(0) {
		return nil
	}
	c := &Console{In: 0, Out: -1}
	for i := range c.Stdio {
		c.Stdio[i] = console.IsTerminal(i)
	}
	for _, fd := range []int{1, 2, 0} {
		if c.Stdio[fd] {
			c.Out = fd
			break
		}
	}
	return c
}
