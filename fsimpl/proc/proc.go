// Package proc is the sandbox's procfs: /proc generated from kernel state. It also holds
// the minimal sysfs (sysfs.go), built from the same generated nodes.
//
// Nothing is cached across opens: a file's contents are generated when it is first read
// after open (and again whenever it is read from offset 0), as Linux's seq files are, so a
// reader sees one consistent snapshot per pass. Directories list what exists at the time
// of the getdents that starts at offset 0.
//
// Layout: the fixed global files (global.go: meminfo, cpuinfo, uptime, loadavg, stat,
// filesystems, version, mounts, sys/...), "self" and "thread-self" (symlinks whose target
// depends on the task resolving them: vfs.TaskSymlinkInode), and one directory per process
// (pid.go) with a task/ directory of its threads, each holding the per-task files
// (stat, status, statm, cmdline, environ, comm, maps, exe, cwd, root, fd/, fdinfo/,
// mounts, mountinfo, limits, cgroup, oom_score_adj, loginuid). ns/ is not provided.
//
// Dentries of process and fd directories are revalidated on every walk (vfs.Revalidator),
// so a reaped process or a closed descriptor disappears and a reused pid shows the new
// process.
//
// The filesystem needs the kernel: pass it as vfs.MountOptions.Private (a *kernel.Kernel,
// or Options). Deviations from Linux: CPU information is the host's /proc/cpuinfo read
// when the filesystem instance is created (runsc/boot creates it at start, before the
// sandbox is confined; later instances reuse that copy), memory figures are the host's
// totals with the sandbox's memory file usage as "used" (meminfo), fd/N links are plain
// symlinks (following one re-resolves its path; pipes and anonymous files do not resolve),
// and a task's state is R (running application code), S (blocked in a syscall), T (stopped
// by job control), or Z.
//
// Locks: none of its own beyond the per-file snapshot mutex; it takes kernel locks only
// through kernel's accessors and never while the VFS calls it with Dentry.mu held except
// for the brief accessors (Kernel.mu, ThreadGroup.mu), which are never held while taking
// a VFS lock.
package proc

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Name is the filesystem type name.
const Name = "proc"

// Options configure a procfs instance (vfs.MountOptions.Private). A bare *kernel.Kernel
// is accepted too.
type Options struct {
	Kernel *kernel.Kernel
	// PIDNamespace is the pid namespace whose processes the instance shows, and in whose
	// numbers (the mounting task's, as Linux's; nil: the root namespace).
	PIDNamespace *kernel.PIDNamespace
	// CPUInfo is /proc/cpuinfo's text; empty: the host's, read once per sentry.
	CPUInfo string
}

func init() { vfs.RegisterFilesystemType(Name, fsType{}) }

type fsType struct{}

var (
	hostCPUInfoOnce sync.Once
	hostCPUInfo     string
)

// privateOptions reads a proc or sysfs mount's Private options: the *kernel.Kernel or
// Options. EINVAL without a kernel.
func privateOptions(opts vfs.MountOptions) (Options, error) {
	var o Options
	switch p := opts.Private.(type) {
	case *kernel.Kernel:
		o.Kernel = p
	case Options:
		o = p
	}
	if o.Kernel == nil {
		return Options{}, unix.EINVAL
	}
	return o, nil
}

// NewFilesystem implements vfs.FilesystemType.
func (fsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	o, err := privateOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	if o.CPUInfo == "" {
		hostCPUInfoOnce.Do(func() {
			if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
				hostCPUInfo = string(b)
			}
		})
		o.CPUInfo = hostCPUInfo
		if o.CPUInfo == "" {
			o.CPUInfo = syntheticCPUInfo(o.Kernel.NumCPU())
		}
	}
	firstMount()
	if o.PIDNamespace == nil {
		o.PIDNamespace = o.Kernel.RootPIDNamespace()
	}
	fs := &Filesystem{k: o.Kernel, ns: o.PIDNamespace, v: v, cpuinfo: o.CPUInfo, created: time.Now()}
	fs.nextIno.Store(1 << 32)
	return fs, fs.newRoot(), nil
}

// Filesystem is a procfs instance.
type Filesystem struct {
	k *kernel.Kernel
	// ns is the pid namespace the instance shows (Options.PIDNamespace).
	ns      *kernel.PIDNamespace
	v       *vfs.VirtualFilesystem
	cpuinfo string
	created time.Time
	// nextIno numbers inodes that have no natural number.
	nextIno atomic.Uint64
	// sysfs marks the minimal /sys instance (sysfs.go), which shares these nodes.
	sysfs bool
}

var _ vfs.FilesystemImpl = (*Filesystem)(nil)

// StatFS implements vfs.FilesystemImpl.
func (fs *Filesystem) StatFS() (unix.Statfs_t, error) {
	if fs.sysfs {
		return unix.Statfs_t{Type: unix.SYSFS_MAGIC, Bsize: 4096, Namelen: vfs.NameMax, Frsize: 4096}, nil
	}
	return unix.Statfs_t{Type: unix.PROC_SUPER_MAGIC, Bsize: 4096, Namelen: vfs.NameMax, Frsize: 4096}, nil
}

// Sync implements vfs.FilesystemImpl.
func (*Filesystem) Sync() error { return nil }

func (fs *Filesystem) ino() uint64 { return fs.nextIno.Add(1) }

func syntheticCPUInfo(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		s += fmt.Sprintf("processor\t: %d\nvendor_id\t: unknown\nmodel name\t: unknown\n\n", i)
	}
	return s
}
