package cmd

import (
	"os/exec"

	"github.com/stockade-sandbox/stockade/gofer/client"
	"github.com/stockade-sandbox/stockade/runsc/boot"
)

// goferProcess is a `runsc gofer` child process serving a host directory to this sentry.
type goferProcess struct {
	cmd    *exec.Cmd
	Client *client.Client
}

// startGofer starts `runsc gofer --root root:ro --fd 3` as a separate process (boot.StartGofer,
// which `runsc create` uses too), connected by a SOCK_SEQPACKET socketpair, and dials it. The
// attach point is read-only in the gofer too, so that the host root cannot be changed even by
// a sentry bug: `runsc do`'s writes go to the overlay's in-memory upper layer. rootless: in a
// user namespace of its own (boot.GoferSpec).
func startGofer(root string, rootless bool) (*goferProcess, error) {
	cmd, sock, err := boot.StartGofer(boot.GoferSpec{Root: root, RootReadOnly: true, Rootless: rootless}, nil)
	if err != nil {
		return nil, err
	}
	c, err := boot.DialGofer(sock)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	return &goferProcess{cmd: cmd, Client: c}, nil
}

// Stop hangs up, which ends the gofer, and waits for it to exit.
func (g *goferProcess) Stop() error {
	g.Client.Close()
	return g.cmd.Wait()
}
