package proc

import (
	"fmt"

	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// SysfsName is the filesystem type name of the minimal /sys.
const SysfsName = "sysfs"

// The minimal sysfs lives in this package because it is built from procfs's generated
// nodes (fixedDir, staticFile): a read-only tree with Linux's top-level directories, all
// empty except devices/system/cpu, whose online/possible/present files are what glibc's
// get_nprocs and sysconf(_SC_NPROCESSORS_*) and language runtimes read to count CPUs.
// fs/cgroup exists as the mount point OCI specs name. Anything else is ENOENT.
func init() { vfs.RegisterFilesystemType(SysfsName, sysfsType{}) }

type sysfsType struct{}

// NewFilesystem implements vfs.FilesystemType: Private is the *kernel.Kernel or Options,
// as for procfs.
func (sysfsType) NewFilesystem(v *vfs.VirtualFilesystem, opts vfs.MountOptions) (vfs.FilesystemImpl, vfs.DirInode, error) {
	o, err := privateOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	firstMount()
	fs := &Filesystem{k: o.Kernel, ns: o.Kernel.RootPIDNamespace(), v: v, sysfs: true}
	fs.nextIno.Store(1 << 32)
	return fs, fs.sysfsRoot(), nil
}

func (fs *Filesystem) sysfsRoot() *dir {
	cpus := fmt.Sprintf("0-%d", fs.k.NumCPU()-1)
	if fs.k.NumCPU() == 1 {
		cpus = "0"
	}
	empty := func(name string) node { return fs.subdir(name, nil) }
	return fs.fixedDir(fs.dirAttrs(), []node{
		empty("block"),
		empty("bus"),
		empty("class"),
		empty("dev"),
		fs.subdir("devices", []node{
			fs.subdir("system", []node{
				fs.subdir("cpu", []node{
					fs.text("online", cpus),
					fs.text("possible", cpus),
					fs.text("present", cpus),
				}),
			}),
		}),
		empty("firmware"),
		fs.subdir("fs", []node{empty("cgroup")}),
		empty("kernel"),
		empty("module"),
		empty("power"),
	})
}
