package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"

	"github.com/google/subcommands"
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/gofer"
)

// Gofer implements `runsc gofer`: serve a container's root filesystem and bind mounts to the
// sentry over an inherited socket. docs/gofer.md describes the protocol and the confinement.
type Gofer struct {
	root    string
	mounts  mountList
	fd      int
	openFDs int
}

type mountList []string

func (m *mountList) String() string     { return strings.Join(*m, ",") }
func (m *mountList) Set(s string) error { *m = append(*m, s); return nil }

func (*Gofer) Name() string     { return "gofer" }
func (*Gofer) Synopsis() string { return "serve a container's files to the sandbox (internal)" }
func (*Gofer) Usage() string {
	return `gofer --root DIR[:ro|:rw] [--mount DIR:ro|rw ...] --fd N [--open-fds M]

Serves the directory tree DIR (attach name "/") and each --mount DIR (a directory or a
regular file; attach name DIR, as written) on the inherited SOCK_SEQPACKET socket N, until the peer hangs up. It first re-executes
itself with no_new_privs set and, as root, every capability but CHOWN, DAC_OVERRIDE,
DAC_READ_SEARCH, FOWNER, FSETID and SYS_CHROOT dropped; then, as root, it chroots into the
root directory once everything it serves is open. With --open-fds M, the root and each
--mount, in order, are already open at descriptors M, M+1, ... (runsc opens them before
it starts a gofer in a user namespace, which may not walk their paths), and the paths
only name them.
`
}

func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.root, "root", "", "root filesystem directory, optionally suffixed :ro or :rw (default rw)")
	f.Var(&g.mounts, "mount", "bind mount source DIR:ro or DIR:rw; repeatable")
	f.IntVar(&g.fd, "fd", -1, "inherited socket to serve")
	f.IntVar(&g.openFDs, "open-fds", -1, "the root and each --mount, in order, are open at descriptors starting at this one")
}

// splitMode splits "DIR:ro" or "DIR:rw"; with requireMode false a bare DIR is read-write.
func splitMode(s string, requireMode bool) (string, bool, error) {
	switch {
	case strings.HasSuffix(s, ":ro"):
		return strings.TrimSuffix(s, ":ro"), true, nil
	case strings.HasSuffix(s, ":rw"):
		return strings.TrimSuffix(s, ":rw"), false, nil
	case requireMode:
		return "", false, fmt.Errorf("mount %q: want DIR:ro or DIR:rw", s)
	}
	return s, false, nil
}

// Execute implements subcommands.Command.
func (g *Gofer) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	usage := func(format string, args ...any) subcommands.ExitStatus {
		fmt.Fprintf(os.Stderr, "runsc: gofer: "+format+"\n", args...)
		return subcommands.ExitUsageError
	}
	if g.root == "" || g.fd < 0 || f.NArg() != 0 {
		return usage("need --root and --fd and no arguments\nusage: runsc %s", g.Usage())
	}
	rootDir, rootRO, _ := splitMode(g.root, false)
	mounts := []gofer.Mount{{Name: "/", Path: rootDir, ReadOnly: rootRO}}
	for _, m := range g.mounts {
		dir, ro, err := splitMode(m, true)
		if err != nil {
			return usage("%v", err)
		}
		mounts = append(mounts, gofer.Mount{Name: dir, Path: dir, ReadOnly: ro})
	}
	if g.openFDs >= 0 {
		if g.openFDs <= 2 || g.openFDs == g.fd || (g.fd > g.openFDs && g.fd < g.openFDs+len(mounts)) {
			return usage("--open-fds %d overlaps the standard descriptors or --fd", g.openFDs)
		}
		for i := range mounts {
			mounts[i].File = os.NewFile(uintptr(g.openFDs+i), mounts[i].Path)
		}
	}
	if os.Getenv(confinedEnv) == "" {
		// Without cgo, every thread is confined in place; with it (AllThreadsSyscall is
		// then unsupported), a second image is started from one confined thread.
		if err := confineAllThreads(); err != nil {
			if err != syscall.ENOTSUP {
				fmt.Fprintf(os.Stderr, "runsc: gofer: confining: %v\n", err)
				return subcommands.ExitFailure
			}
			err := reexecConfined()
			fmt.Fprintf(os.Stderr, "runsc: gofer: confining: %v\n", err)
			return subcommands.ExitFailure
		}
	}
	os.Unsetenv(confinedEnv)
	srv, err := gofer.NewServer(mounts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "runsc: gofer: %v\n", err)
		return subcommands.ExitFailure
	}
	defer srv.Close()
	srv.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := confine(rootDir, mounts[0].File); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: gofer: confining: %v\n", err)
		return subcommands.ExitFailure
	}
	// The server holds its own copies.
	for _, m := range mounts {
		if m.File != nil {
			m.File.Close()
		}
	}
	// BEGIN seccomp (runsc/cmd/boot_confine.go, docs/security.md)
	if err := installGoferFilter(); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: gofer: confining: %v\n", err)
		return subcommands.ExitFailure
	}
	// END seccomp
	if err := srv.Serve(g.fd); err != nil {
		fmt.Fprintf(os.Stderr, "runsc: gofer: %v\n", err)
		return subcommands.ExitFailure
	}
	return subcommands.ExitSuccess
}

// goferCaps are the capabilities the gofer keeps (when run as root): to give files the
// owners and modes the sentry asks for, whoever owns the directory, and to chroot.
var goferCaps = []uintptr{unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH,
	unix.CAP_FOWNER, unix.CAP_FSETID, unix.CAP_SYS_CHROOT}

// confinedEnv marks the second image of the gofer, started by reexecConfined.
const confinedEnv = "STOCKADE_GOFER_CONFINED"

// reexecConfined sets no_new_privs and drops capabilities on one locked thread, then
// executes the runsc binary again from that thread. Credentials are per thread and a Go
// program cannot set them on all its threads when it links cgo (syscall.AllThreadsSyscall
// is then unsupported); after execve, every thread of the new image descends from the one
// that exec'd, so all of them have the reduced credentials. It returns only on failure.
func reexecConfined() error {
	runtime.LockOSThread() // never unlocked: on success this thread becomes the new image
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if os.Geteuid() == 0 {
		if err := dropCaps(); err != nil {
			return err
		}
	}
	env := append(os.Environ(), confinedEnv+"=1")
	return fmt.Errorf("re-executing %s: %w", "/proc/self/exe", unix.Exec("/proc/self/exe", os.Args, env))
}

// confineAllThreads sets no_new_privs and, as root, reduces the capabilities to goferCaps
// on every thread of the process (syscall.AllThreadsSyscall), saving the second execve
// of reexecConfined: a gofer start is on the path of every `runsc create`. It returns
// ENOTSUP, having changed nothing, when the binary links cgo.
func confineAllThreads() error {
	if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); e != 0 {
		if e == syscall.ENOTSUP {
			return e
		}
		return fmt.Errorf("no_new_privs: %w", e)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	keep := map[uintptr]bool{}
	for _, c := range goferCaps {
		keep[c] = true
	}
	for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
		if keep[c] {
			continue
		}
		if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, unix.PR_CAPBSET_DROP, c, 0); e != 0 && e != syscall.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, e)
		}
	}
	if _, _, e := syscall.AllThreadsSyscall6(syscall.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0); e != 0 && e != syscall.EINVAL {
		return fmt.Errorf("clearing ambient capabilities: %w", e)
	}
	// Effective and permitted become goferCaps (what the exec of reexecConfined leaves a
	// root process with a reduced bounding set), inheritable empty.
	var mask [2]uint32
	for _, c := range goferCaps {
		mask[c/32] |= 1 << (c % 32)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{{Effective: mask[0], Permitted: mask[0]}, {Effective: mask[1], Permitted: mask[1]}}
	if _, _, e := syscall.AllThreadsSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("capset: %w", e)
	}
	return nil
}

// dropCaps, on the calling thread only, empties the bounding set but for goferCaps and
// clears the inheritable and ambient sets, so that the execve that follows leaves root
// with goferCaps alone.
func dropCaps() error {
	keep := map[uintptr]bool{}
	for _, c := range goferCaps {
		keep[c] = true
	}
	for c := uintptr(0); c <= unix.CAP_LAST_CAP; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// confine runs in the second image once everything served is open: umask 0 (modes are the
// sentry's) and, as root, a chroot into the root so that a path bug cannot reach host files.
// It checks that no_new_privs came through the exec.
func confine(root string, rootFile *os.File) error {
	unix.Umask(0)
	if nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || nnp != 1 {
		return fmt.Errorf("no_new_privs is not set (%d, %v)", nnp, err)
	}
	if os.Geteuid() == 0 {
		// Go's threads share one fs_struct, so this applies to all of them. With the
		// root already open, it is entered through its descriptor, not its path.
		if rootFile != nil {
			if err := unix.Fchdir(int(rootFile.Fd())); err != nil {
				return fmt.Errorf("fchdir %s: %w", root, err)
			}
			if err := unix.Chroot("."); err != nil {
				return fmt.Errorf("chroot %s: %w", root, err)
			}
		} else if err := unix.Chroot(root); err != nil {
			return fmt.Errorf("chroot %s: %w", root, err)
		}
		if err := unix.Chdir("/"); err != nil {
			return fmt.Errorf("chdir /: %w", err)
		}
	}
	return nil
}
