package cmd

import (
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer/client"
)

// goferProcess is a `runsc gofer` child process serving a host directory to this sentry.
type goferProcess struct {
	cmd    *exec.Cmd
	Client *client.Client
}

// startGofer starts `runsc gofer --root root:ro --fd 3` as a separate process, connected by
// a SOCK_SEQPACKET socketpair, and dials it. The attach point is read-only in the gofer too,
// so that the host root cannot be changed even by a sentry bug: `runsc do`'s writes go to
// the overlay's in-memory upper layer.
func startGofer(root string) (*goferProcess, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gofer socketpair: %w", err)
	}
	theirs := os.NewFile(uintptr(fds[0]), "gofer-socket")
	cmd := exec.Command("/proc/self/exe", "gofer", "--root", root+":ro", "--fd", "3")
	cmd.Args[0] = "runsc-gofer"
	cmd.ExtraFiles = []*os.File{theirs} // descriptor 3 in the child
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		unix.Close(fds[1])
		return nil, fmt.Errorf("starting the gofer: %w", err)
	}
	c, err := client.Dial(fds[1])
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("connecting to the gofer: %w", err)
	}
	return &goferProcess{cmd: cmd, Client: c}, nil
}

// Stop hangs up, which ends the gofer, and waits for it to exit.
func (g *goferProcess) Stop() error {
	g.Client.Close()
	return g.cmd.Wait()
}
