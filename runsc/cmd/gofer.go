package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
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
	trees   int
	mountNS bool
}

type mountList []string

func (m *mountList) String() string     { return strings.Join(*m, ",") }
func (m *mountList) Set(s string) error { *m = append(*m, s); return nil }

func (*Gofer) Name() string     { return "gofer" }
func (*Gofer) Synopsis() string { return "serve a container's files to the sandbox (internal)" }
func (*Gofer) Usage() string {
	return `gofer --root DIR[:ro|:rw] [--mount DIR:ro|rw ...] --fd N [--mount-trees M] --mount-ns

Serves the directory tree DIR (attach name "/") and each --mount DIR (a directory or a
regular file; attach name DIR, as written) on the inherited SOCK_SEQPACKET socket N, until
the peer hangs up. With --mount-trees M, the root and each --mount, in order, are detached
mount trees (open_tree clones, made by runsc, which may walk paths a gofer in a user
namespace may not) at descriptors M, M+1, ..., and the paths only name them; without it,
the gofer clones the paths itself.

It must run in a mount namespace of its own (--mount-ns; runsc starts it so): there it
pivots into a read-only tmpfs holding a bind mount of each thing it serves and a procfs of
its own, then sets no_new_privs, keeps only CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
and FSETID (as root of its user namespace, if any), and installs its seccomp filter.
`
}

func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.root, "root", "", "root filesystem directory, optionally suffixed :ro or :rw (default rw)")
	f.Var(&g.mounts, "mount", "bind mount source DIR:ro or DIR:rw; repeatable")
	f.IntVar(&g.fd, "fd", -1, "inherited socket to serve")
	f.IntVar(&g.trees, "mount-trees", -1, "the root's and each --mount's detached mount trees, in order, are at descriptors starting at this one")
	f.BoolVar(&g.mountNS, "mount-ns", false, "runsc started the gofer in a mount namespace of its own, where it may pivot_root (required)")
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
	if g.trees >= 0 {
		if g.trees <= 2 || g.trees == g.fd || (g.fd > g.trees && g.fd < g.trees+len(mounts)) {
			return usage("--mount-trees %d overlaps the standard descriptors or --fd", g.trees)
		}
		for i := range mounts {
			mounts[i].File = os.NewFile(uintptr(g.trees+i), mounts[i].Path)
		}
	}
	fail := func(err error) subcommands.ExitStatus {
		fmt.Fprintf(os.Stderr, "runsc: gofer: %v\n", err)
		return subcommands.ExitFailure
	}
	// BEGIN confinement (docs/gofer.md, docs/security.md)
	if err := checkOwnMountNamespace(g.mountNS); err != nil {
		return fail(err)
	}
	if err := pivotGoferRoot(mounts); err != nil {
		return fail(fmt.Errorf("building its root: %w", err))
	}
	srv, err := gofer.NewServer(mounts)
	for _, m := range mounts {
		m.File.Close() // the server holds its own copies
	}
	if err != nil {
		return fail(err)
	}
	defer srv.Close()
	srv.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := confineAllThreads(); err != nil {
		if err == syscall.ENOTSUP {
			err = errors.New("this runsc links cgo, and a Go program with cgo cannot set credentials on all its threads: build it with CGO_ENABLED=0")
		}
		return fail(fmt.Errorf("confining: %w", err))
	}
	unix.Umask(0) // modes are the sentry's
	if nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || nnp != 1 {
		return fail(fmt.Errorf("confining: no_new_privs is not set (%d, %v)", nnp, err))
	}
	// END confinement
	// BEGIN seccomp (runsc/cmd/boot_confine.go, docs/security.md)
	if err := installGoferFilter(); err != nil {
		return fail(fmt.Errorf("confining: %w", err))
	}
	// END seccomp
	if err := srv.Serve(g.fd); err != nil {
		return fail(err)
	}
	return subcommands.ExitSuccess
}

// goferCaps are the capabilities the gofer keeps (when run as root): to give files the
// owners and modes the sentry asks for, whoever owns the directory.
var goferCaps = []uintptr{unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH,
	unix.CAP_FOWNER, unix.CAP_FSETID}

// confineAllThreads sets no_new_privs and, as root, reduces the capabilities to goferCaps
// on every thread of the process (syscall.AllThreadsSyscall: credentials are per thread,
// and the Go runtime has started several). It returns ENOTSUP, having changed nothing,
// when the binary links cgo, where AllThreadsSyscall is unsupported.
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
	// Effective and permitted become goferCaps, inheritable empty.
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
