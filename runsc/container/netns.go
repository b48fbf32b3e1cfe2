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

// nsJoin is a namespace the sandbox joins: its CLONE_NEW* type and its path.
type nsJoin struct {
	flag int
	name string
	path string
}

// startSandboxProcess starts cmd from an OS thread of its own (a child is forked from the
// calling thread and inherits its namespaces and bounding set), that dies with its
// goroutine, so that no other goroutine runs with what it changed: in the namespaces of
// joins, and, with dropBounding, with only bootBoundingSet in its bounding set.
func startSandboxProcess(cmd *exec.Cmd, joins []nsJoin, dropBounding bool) error {
	if len(joins) == 0 && !dropBounding {
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
		for _, j := range joins {
			f, err := os.Open(j.path)
			if err != nil {
				errc <- fmt.Errorf("linux.namespaces: %s namespace %s: %w", j.name, j.path, err)
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), j.flag); err != nil {
				errc <- fmt.Errorf("linux.namespaces: joining %s namespace %s: %w", j.name, j.path, err)
				return
			}
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
