package cmd

import (
	"encoding/json"
	"errors"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/console"
)

// The terminal of `runsc exec --tty` (or a --process whose terminal is true).
//
// As runc's: exec makes a new host pty, sized from the process's consoleSize if given,
// and sends its master to --console-socket (one SCM_RIGHTS message, the pty's name as
// data) or, without a socket, relays it to its own standard descriptors (runc's foreground
// mode). The slave goes to the sandbox as the process's only descriptor, with
// ExecSpec.Terminal set: the sandbox gives the process a terminal of the container's devpts
// joined to it, as its descriptors 0-2 and the controlling terminal of its new session.

// execConsole makes the exec'd process's host terminal. It returns the files to pass to
// the sandbox, done, which exec calls once the process has ended (it waits for the relay's
// last output and restores this command's terminal), and forwardWinch, which says that
// SIGWINCH to this process means the terminal was resized.
//
// Resizes are pushed, not polled: the sandbox re-reads the size of every exec'd terminal's
// host pty when it gets SIGWINCH, and resized (which sends it that) is called on each
// resize. With a console socket, the caller resizes by setting the size on the master it
// holds (containerd's shim: resize-pty); the host kernel tells the foreground process group
// of the terminal's session, so this command makes the slave its controlling terminal (it
// is a session leader when detached: detachSelf) and gets SIGWINCH itself. When it cannot
// (a session of its own that has a terminal already), it watches the slave's size every
// 250 ms instead. Without a socket, the relay resizes the master and calls resized.
func execConsole(socket string, rows, cols uint16, resized func()) (stdio []*os.File, done func(), forwardWinch bool, err error) {
	slave, finish, err := console.Open(socket, rows, cols, os.Stdin, os.Stdout, resized)
	if err != nil {
		return nil, nil, false, err
	}
	stop := func() {}
	if socket != "" {
		if unix.IoctlSetInt(int(slave.Fd()), unix.TIOCSCTTY, 0) == nil {
			forwardWinch = true
		} else {
			stop = console.WatchSize(slave, 250*time.Millisecond, resized)
		}
	}
	return []*os.File{slave}, func() {
		stop()
		slave.Close()
		finish()
	}, forwardWinch, nil
}

// checkConsoleFlags refuses what runc refuses: a console socket without a terminal, and a
// detached terminal with nowhere to send its master. tty is --tty or the process.json's
// terminal.
func checkConsoleFlags(tty, detach bool, socket string) error {
	if socket != "" && !tty {
		return errConsoleNoTTY
	}
	if tty && detach && socket == "" {
		return errors.New("cannot allocate a tty when detaching without --console-socket")
	}
	return nil
}

// processTerminal reports whether the process.json at path asks for a terminal (false if
// it cannot be read: processSpec then says why).
func processTerminal(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var p specs.Process
	return json.Unmarshal(data, &p) == nil && p.Terminal
}

var errConsoleNoTTY = errors.New("--console-socket given without a terminal (--tty, or terminal in --process)")
