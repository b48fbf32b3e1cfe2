package container

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// startInNetNS starts cmd in the network namespace at path ("": this process's): from an
// OS thread of its own that joins the namespace first (a child is forked from the calling
// thread and inherits its namespaces), and that dies with its goroutine, so that no other
// goroutine ever runs in the namespace.
func startInNetNS(cmd *exec.Cmd, path string) error {
	if path == "" {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread is in another namespace and must end with the goroutine.
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			errc <- fmt.Errorf("linux.namespaces: network namespace %s: %w", path, err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("linux.namespaces: joining network namespace %s: %w", path, err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
