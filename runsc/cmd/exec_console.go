package cmd

import "os"

// The console hook of `runsc exec` (--tty, --console-socket), for the console code to
// fill in. ExecConsole, when set, makes the exec'd process's terminal: it returns the files
// for the process's descriptors 0, 1 and 2 (the pty's replica, say) and done, which exec
// calls once the process has ended (to close them, stop copying, ...). socket is
// --console-socket (where the pty's master goes), tty says --tty was given. exec passes
// the files to the sandbox exactly as it passes its own stdio otherwise. Without a hook,
// exec refuses both flags with errNoConsole.
var ExecConsole func(tty bool, socket string) (stdio []*os.File, done func(), err error)

// execConsole calls ExecConsole, or refuses when there is none.
func execConsole(tty bool, socket string) ([]*os.File, func(), error) {
	if ExecConsole == nil {
		return nil, nil, errNoConsole
	}
	return ExecConsole(tty, socket)
}
