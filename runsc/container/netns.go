package container

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// bootBoundingSet is the capability bounding set the sandbox process starts with, as
// root: what it needs before it confines itself (mount and pivot_root, mkdir in its new
// read-only root; dropping the rest
// of its bounding set). runsc create drops the others on the thread that starts it, which
// costs one prctl each, where the sandbox, a Go process with several threads, must stop
// the world for each one it drops itself (confine.DropCapabilities).
var bootBoundingSet = map[uintptr]bool{unix.CAP_SYS_ADMIN: true, unix.CAP_SETPCAP: true, unix.CAP_DAC_OVERRIDE: true}

// startSandboxProcess starts cmd from an OS thread of its own (a child is forked from the
// calling thread and inherits its namespaces and bounding set), that dies with its
// goroutine, so that no other goroutine runs with what it changed: in the network
// namespace at netns, if set, and, with dropBounding, with only bootBoundingSet in its
// bounding set.
func startSandboxProcess(cmd *exec.Cmd, netns string, dropBounding bool) error {
	if netns == "" && !dropBounding {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread's namespace or bounding set differ from the
		// process's, and it must end with the goroutine.
		runtime.LockOSThread()
		if dropBounding {
			for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
				if !bootBoundingSet[c] {
					if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil && err != unix.EINVAL {
						errc <- fmt.Errorf("dropping capability %d from the sandbox's bounding set: %w", c, err)
						return
					}
				}
			}
		}
		if netns != "" {
			f, err := os.Open(netns)
			if err != nil {
				errc <- fmt.Errorf("linux.namespaces: network namespace %s: %w", netns, err)
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				errc <- fmt.Errorf("linux.namespaces: joining network namespace %s: %w", netns, err)
				return
			}
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
