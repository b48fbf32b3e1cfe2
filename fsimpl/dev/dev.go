// Package dev is the sandbox's /dev: a tmpfs (as Linux's devtmpfs is) populated with the
// character devices programs expect — null, zero, full, random, urandom, tty — the fd,
// stdin, stdout and stderr symlinks into /proc/self/fd (which resolve once procfs is
// mounted) and ptmx -> pts/ptmx (which resolves once devpts is mounted on /dev/pts).
// Device files open through tmpfs.Special's Opener.
package dev

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/fsimpl/tmpfs"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/tty"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "devtmpfs"

func init() {
	vfs.RegisterFilesystemType(Name, fsType{})
	tmpfs.RegisterCharDevices(CharOpener)
}

type fsType struct{}

// NewFilesystem implements vfs.FilesystemType.
func (fsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	if opts.Data == "" {
		opts.Data = "mode=755"
	}
	fs, root, err := tmpfs.New(opts)
	if err != nil {
		return nil, nil, err
	}
	if err := Populate(fs, root); err != nil {
		return nil, nil, err
	}
	return fs, root, nil
}

// device is one of the character devices the sandbox implements.
type device struct {
	name         string
	major, minor uint32
	open         tmpfs.Opener
}

var devices = []device{
	{"null", 1, 3, func(uint32) (vfs.FileDescriptionImpl, error) { return nullFD{}, nil }},
	{"zero", 1, 5, func(uint32) (vfs.FileDescriptionImpl, error) { return zeroFD{}, nil }},
	{"full", 1, 7, func(uint32) (vfs.FileDescriptionImpl, error) { return fullFD{}, nil }},
	{"random", 1, 8, func(uint32) (vfs.FileDescriptionImpl, error) { return randomFD{}, nil }},
	{"urandom", 1, 9, func(uint32) (vfs.FileDescriptionImpl, error) { return randomFD{}, nil }},
	// /dev/tty is the opener's controlling terminal (ENXIO without one).
	{"tty", 5, 0, func(flags uint32) (vfs.FileDescriptionImpl, error) {
		return tty.NewControllingTerminalFile(flags), nil
	}},
}

// CharOpener returns how the character device major:minor opens in the sandbox, or nil
// for a device the sandbox does not implement (whose node then opens with ENXIO, as a
// Linux device node without a driver does).
func CharOpener(major, minor uint32) tmpfs.Opener {
	for _, d := range devices {
		if d.major == major && d.minor == minor {
			return d.open
		}
	}
	return nil
}

// Populate makes the sandbox's devices, links and directories in root, a tmpfs's root: how
// a devtmpfs starts, and what runsc puts in a spec's tmpfs /dev (as runc creates the
// default devices in it).
func Populate(fs *tmpfs.Filesystem, root *tmpfs.Dir) error {
	for _, d := range devices {
		sp := fs.NewSpecial(vfs.CreateArgs{Mode: unix.S_IFCHR | 0666, Rdev: unix.Mkdev(d.major, d.minor)}, d.open)
		if err := root.Add(d.name, sp); err != nil {
			return err
		}
	}
	links := []struct{ name, target string }{
		{"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
		// The pseudo-terminal multiplexer of the devpts instance mounted on /dev/pts, as
		// OCI runtimes lay /dev out.
		{"ptmx", "pts/ptmx"},
	}
	for _, l := range links {
		if err := root.Add(l.name, fs.NewSymlink(l.target, 0, 0)); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name string
		mode uint32
	}{{"pts", 0755}, {"shm", 01777}} {
		if _, err := root.Mknod(d.name, vfs.CreateArgs{Mode: unix.S_IFDIR | d.mode}); err != nil {
			return err
		}
	}
	return nil
}

// nullFD is /dev/null: reads see end of file, writes vanish.
type nullFD struct{ vfs.DefaultImpl }

// Read implements vfs.FileDescriptionImpl.
func (nullFD) Read(*kernel.Task, []byte, int64) (int, error) { return 0, nil }

// Write implements vfs.FileDescriptionImpl.
func (nullFD) Write(_ *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	return len(src), off, nil
}

// zeroFD is /dev/zero: reads give zeros, writes vanish.
type zeroFD struct{ nullFD }

// Read implements vfs.FileDescriptionImpl.
func (zeroFD) Read(_ *kernel.Task, dst []byte, _ int64) (int, error) {
	clear(dst)
	return len(dst), nil
}

// fullFD is /dev/full: reads give zeros, writes fail with ENOSPC.
type fullFD struct{ zeroFD }

// Write implements vfs.FileDescriptionImpl.
func (fullFD) Write(_ *kernel.Task, src []byte, off int64, _ bool) (int, int64, error) {
	if len(src) == 0 {
		return 0, off, nil
	}
	return 0, off, unix.ENOSPC
}

// randomFD is /dev/random and /dev/urandom: the host's randomness; writes are accepted and
// ignored (they would only mix in entropy).
type randomFD struct{ nullFD }

// Read implements vfs.FileDescriptionImpl.
func (randomFD) Read(_ *kernel.Task, dst []byte, _ int64) (int, error) {
	return rand.Read(dst)
}
