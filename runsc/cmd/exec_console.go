package cmd

import "os"

// The console hook of `runsc exec` (--tty, --console-socket), for the console code to
// fill in: ExecConsole, when set, makes the exec'd process's terminal and returns the
// files for its descriptors 0, 1 and 2 (the pty's slave side, say; exec passes them to
// the sandbox and then closes its copies... through done) and done, called once exec
// has handed them over and the process has ended. socket is --console-socket (where the
// master goes); tty says --tty was given. Without it, exec refuses both flags.
var ExecConsole func(tty bool, socket string) (stdio []*os.File, done func(), err error)

// execConsole calls ExecConsole, or refuses when there is none.
func execConsole(tty bool, socket string) ([]*os.File, func(), error) {
	if ExecConsole == nil {
		return nil, nil, errNoConsole
	}
	return ExecConsole(tty, socket)
}
