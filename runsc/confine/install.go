package confine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Mode says what a filter does with a syscall that is not allowed.
type Mode string

// Modes. ModeKill is the only one for production; ModeLog (SECCOMP_RET_LOG: allowed, and
// logged by the kernel as an audit record "type=1326 ... syscall=N", see dmesg) is how the
// allow-lists were derived; ModeOff installs nothing.
const (
	ModeKill Mode = "kill"
	ModeLog  Mode = "log"
	ModeOff  Mode = "off"
)

// ModeEnv overrides the mode of runsc boot's and runsc gofer's filters (debugging only).
const ModeEnv = "STOCKADE_SECCOMP"

// ModeFromEnv is ModeKill unless ModeEnv says "log" or "off".
func ModeFromEnv() Mode {
	switch m := Mode(os.Getenv(ModeEnv)); m {
	case ModeLog, ModeOff:
		return m
	}
	return ModeKill
}

// Default is the default action of mode m.
func (m Mode) Default() Action {
	if m == ModeLog {
		return ActLog
	}
	return ActKillProcess
}

// SetNoNewPrivs sets no_new_privs on every thread of the process.
func SetNoNewPrivs() error {
	if _, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); e != 0 {
		if e != unix.ENOTSUP {
			return fmt.Errorf("no_new_privs: %w", e)
		}
		// A cgo binary: the seccomp TSYNC below propagates no_new_privs to every thread.
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	return nil
}

// seccompFilterFlagTSYNC is SECCOMP_FILTER_FLAG_TSYNC.
const seccompFilterFlagTSYNC = 1

// InstallFilter sets no_new_privs and installs prog on every thread of the process
// (SECCOMP_FILTER_FLAG_TSYNC); threads created later inherit it, and so do child processes.
func InstallFilter(prog []unix.SockFilter) error {
	if err := SetNoNewPrivs(); err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, seccompFilterFlagTSYNC, uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	if r != 0 {
		return fmt.Errorf("seccomp: thread %d cannot be synchronized", r)
	}
	return nil
}

// Install assembles rules with mode's default action and installs them (nothing for ModeOff).
func Install(rules []Rule, mode Mode) error {
	if mode == ModeOff {
		return nil
	}
	prog, err := Assemble(rules, mode.Default())
	if err != nil {
		return err
	}
	return InstallFilter(prog)
}

// DropCapabilities, on every thread, empties the bounding set but for keep, clears the
// ambient and inheritable sets, and reduces the permitted and effective sets to keep.
func DropCapabilities(keep ...uintptr) error {
	kept := map[uintptr]bool{}
	var mask uint64
	for _, c := range keep {
		kept[c] = true
		mask |= 1 << c
	}
	all := func(trap, a1, a2, a3 uintptr) syscall.Errno {
		_, _, e := syscall.AllThreadsSyscall(trap, a1, a2, a3)
		return e
	}
	for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
		if kept[c] {
			continue
		}
		// Each drop stops the world; one the bounding set no longer has (runsc create
		// drops most before starting the sandbox: container.bootBoundingSet) is skipped.
		if in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, c, 0, 0, 0); err == nil && in == 0 {
			continue
		}
		if e := all(unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, c, 0); e != 0 && e != unix.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, e)
		}
	}
	if e := all(unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); e != 0 && e != unix.EINVAL {
		return fmt.Errorf("clearing ambient capabilities: %w", e)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	for i := range data {
		m := uint32(mask >> (32 * i))
		data[i].Inheritable = 0
		data[i].Permitted &= m
		data[i].Effective &= m
	}
	if e := all(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("capset: %w", e)
	}
	return nil
}

// PivotToEmptyRoot makes the root directory of this mount namespace (which must be the
// process's own, not the host's: see runsc/container) an empty read-only tmpfs: it makes
// every mount private, mounts a tmpfs on dir (any existing directory; it is covered only in
// this namespace), pivots into it and detaches the old root. Descriptors opened before stay
// usable; no host path is reachable afterwards.
func PivotToEmptyRoot(dir string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.Mount("stockade-root", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=16k,mode=0555"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	old := filepath.Join(dir, "old")
	if err := unix.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(dir, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/old", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Rmdir("/old"); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remounting the new root read-only: %w", err)
	}
	return nil
}

// PreparedFile is a file that will atomically replace dir/name, created (under a temporary
// name) before the process is confined, so that it can be committed afterwards without
// opening anything by path: Commit writes the descriptor and renames relative to a held
// directory descriptor.
type PreparedFile struct {
	dir       int
	f         *os.File
	tmp, name string
}

// PrepareFile creates the temporary file for dir/name.
func PrepareFile(dir, name string, perm os.FileMode) (*PreparedFile, error) {
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dir, err)
	}
	tmp := "." + name + ".prepared"
	fd, err := unix.Openat(d, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, uint32(perm))
	if err != nil {
		unix.Close(d)
		return nil, fmt.Errorf("creating %s/%s: %w", dir, tmp, err)
	}
	return &PreparedFile{dir: d, f: os.NewFile(uintptr(fd), tmp), tmp: tmp, name: name}, nil
}

// Commit writes data to the file and renames it to its final name. It can be called once.
func (p *PreparedFile) Commit(data []byte) error {
	if p.f == nil {
		return errors.New("prepared file already committed")
	}
	_, err := p.f.Write(data)
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err == nil {
		err = unix.Renameat(p.dir, p.tmp, p.dir, p.name)
	}
	unix.Close(p.dir)
	return err
}

// DirFD is the held directory descriptor (the sandbox's filter allows renameat on it only).
func (p *PreparedFile) DirFD() int { return p.dir }
