package cmd

// The sandbox process's confinement (runsc/confine, docs/security.md): Boot.Execute calls
// confineSandbox once the sentry is built and before init can run; the exit status is then
// recorded through a file prepared beforehand (writeExit).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/runsc/config"
	confinelib "github.com/stockade-sandbox/stockade/runsc/confine"
	"github.com/stockade-sandbox/stockade/runsc/container"
	"github.com/stockade-sandbox/stockade/runsc/control"
)

// forbiddenSyscallEnv, in runsc boot's environment only, makes the sandbox make a
// forbidden host syscall (open("/etc/passwd")) right after confining itself: test/confine
// checks that the filter kills it with SIGSYS.
const forbiddenSyscallEnv = "STOCKADE_DEBUG_FORBIDDEN_SYSCALL_TEST"

// sandboxExit is the prepared exit file, once the sandbox is confined.
var sandboxExit *confinelib.PreparedFile

// confineSandbox confines the sandbox process: in the namespaces runsc create made for it
// (container.BootNamespacesEnv), it pivots into an empty root and drops every capability;
// it then installs the seccomp filter on every thread. The ptrace platform's stubs are
// forked later, so they inherit all of it.
func confineSandbox(conf *config.Config, id string, log *config.RuntimeLog) error {
	exit, err := confinelib.PrepareFile(filepath.Join(conf.Root, id), "exit.json", 0o600)
	if err != nil {
		return fmt.Errorf("confining: %w", err)
	}
	if os.Getenv(container.BootNamespacesEnv) != "" {
		os.Unsetenv(container.BootNamespacesEnv)
		if err := confinelib.PivotToEmptyRoot(os.TempDir()); err != nil {
			return fmt.Errorf("confining: %w", err)
		}
		// None: the platform traces only its own descendants, which have the same
		// credentials and no more capabilities (docs/security.md).
		if err := confinelib.DropCapabilities(); err != nil {
			return fmt.Errorf("confining: %w", err)
		}
	}
	mode := confinelib.ModeFromEnv()
	if err := confinelib.Install(confinelib.SandboxRules(confinelib.SandboxOptions{ExitDirFD: exit.DirFD()}), mode); err != nil {
		return fmt.Errorf("confining: %w", err)
	}
	sandboxExit = exit
	log.Debugf("container %s: sandbox confined (seccomp %s)", id, mode)
	if os.Getenv(forbiddenSyscallEnv) == "1" {
		p, _ := unix.BytePtrFromString("/etc/passwd")
		syscall.RawSyscall(unix.SYS_OPEN, uintptr(unsafe.Pointer(p)), unix.O_RDONLY, 0)
		return fmt.Errorf("%s: open(/etc/passwd) was not stopped", forbiddenSyscallEnv)
	}
	return nil
}

// writeExit records how init ended in the container directory dir: through the prepared
// file once confined, else with write.
func writeExit(dir string, e control.Exit, write func(string, control.Exit) error) error {
	if sandboxExit == nil {
		return write(dir, e)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return sandboxExit.Commit(append(data, '\n'))
}

// installGoferFilter installs the gofer's seccomp filter (Gofer.Execute, once it has
// opened what it serves and chrooted).
func installGoferFilter() error {
	if err := confinelib.Install(confinelib.GoferRules(), confinelib.ModeFromEnv()); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	return nil
}
