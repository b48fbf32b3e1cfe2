package proc

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// Identity the sandbox reports (the same constants feed uname).
const (
	osRelease = kernel.LinuxRelease
	osVersion = kernel.LinuxVersion
)

// clockTicks is USER_HZ: the unit of times in stat files.
const clockTicks = 100

// newRoot returns /proc: the fixed entries and one directory per process.
func (fs *Filesystem) newRoot() *dir {
	fixed := fs.globalNodes()
	d := &dir{attrs: attrs{ino: 1, mode: unix.S_IFDIR | 0555}}
	d.list = func() []vfs.Dirent {
		var out []vfs.Dirent
		for _, n := range fixed {
			out = append(out, vfs.Dirent{Name: n.name, Type: n.typ, Ino: fs.ino()})
		}
		for _, tg := range fs.ns.ThreadGroups() {
			out = append(out, vfs.Dirent{Name: strconv.Itoa(int(fs.ns.IDOfThreadGroup(tg))), Type: unix.DT_DIR, Ino: pidIno(tg.TGID(), 0)})
		}
		return out
	}
	d.lookup = func(name string) (vfs.Inode, error) {
		for _, n := range fixed {
			if n.name == name {
				return n.make(), nil
			}
		}
		pid, err := strconv.ParseInt(name, 10, 32)
		if err != nil || pid <= 0 || strconv.Itoa(int(pid)) != name {
			return nil, unix.ENOENT
		}
		tg := fs.ns.ThreadGroupWithID(int32(pid))
		if tg == nil {
			return nil, unix.ENOENT
		}
		return fs.processDir(tg), nil
	}
	return d
}

// pidIno numbers a process or thread directory (Linux gives them fresh numbers too).
func pidIno(pid, tid int32) uint64 { return uint64(pid)<<16 ^ uint64(tid)<<40 | 0x2 }

// globalNodes are /proc's fixed entries, sorted by name.
func (fs *Filesystem) globalNodes() []node {
	reg := func(name string, gen func(t *kernel.Task) ([]byte, error)) node {
		return node{name, unix.DT_REG, func() vfs.Inode { return fs.newFile(0444, gen) }}
	}
	nodes := []node{
		{"self", unix.DT_LNK, func() vfs.Inode {
			return fs.newSymlink(func(t *kernel.Task) (string, error) {
				pid := int32(0)
				if t != nil {
					pid = fs.ns.IDOfThreadGroup(t.ThreadGroup())
				}
				if pid == 0 { // no task, or one outside the namespace
					return "", unix.ENOENT
				}
				return strconv.Itoa(int(pid)), nil
			})
		}},
		{"thread-self", unix.DT_LNK, func() vfs.Inode {
			return fs.newSymlink(func(t *kernel.Task) (string, error) {
				var pid, tid int32
				if t != nil {
					pid, tid = fs.ns.IDOfThreadGroup(t.ThreadGroup()), fs.ns.IDOfTask(t)
				}
				if pid == 0 || tid == 0 {
					return "", unix.ENOENT
				}
				return fmt.Sprintf("%d/task/%d", pid, tid), nil
			})
		}},
		{"mounts", unix.DT_LNK, func() vfs.Inode {
			return fs.newSymlink(func(*kernel.Task) (string, error) { return "self/mounts", nil })
		}},
		reg("meminfo", fs.meminfo),
		reg("cpuinfo", func(*kernel.Task) ([]byte, error) { return []byte(fs.cpuinfo), nil }),
		reg("uptime", fs.uptime),
		reg("loadavg", fs.loadavg),
		reg("stat", fs.stat),
		reg("vmstat", fs.vmstat),
		reg("filesystems", func(*kernel.Task) ([]byte, error) {
			var sb strings.Builder
			for _, n := range vfs.FilesystemTypes() {
				fmt.Fprintf(&sb, "nodev\t%s\n", n)
			}
			return []byte(sb.String()), nil
		}),
		reg("version", func(*kernel.Task) ([]byte, error) {
			return []byte(fmt.Sprintf("Linux version %s (stockade@stockade) (go) %s\n", osRelease, osVersion)), nil
		}),
		{"sys", unix.DT_DIR, func() vfs.Inode { return fs.sysDir() }},
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].name < nodes[j].name })
	return nodes
}

func (fs *Filesystem) dirAttrs() attrs {
	return attrs{ino: fs.ino(), mode: unix.S_IFDIR | 0555}
}

func (fs *Filesystem) subdir(name string, nodes []node) node {
	return node{name, unix.DT_DIR, func() vfs.Inode { return fs.fixedDir(fs.dirAttrs(), nodes) }}
}

func (fs *Filesystem) text(name, value string) node {
	return node{name, unix.DT_REG, fs.staticFile(value + "\n")}
}

// sysDir is /proc/sys: read-only values (writes are refused by the 0444 modes).
func (fs *Filesystem) sysDir() *dir {
	bootID := uuid()
	return fs.fixedDir(fs.dirAttrs(), []node{
		fs.subdir("fs", []node{
			fs.text("file-max", "9223372036854775807"),
			fs.text("nr_open", "1048576"),
			fs.text("pipe-max-size", "1048576"),
		}),
		fs.subdir("kernel", []node{
			// The highest capability number Linux 6.1 knows (CAP_CHECKPOINT_RESTORE);
			// libcap and moby/sys/capability size their sets by it.
			fs.text("cap_last_cap", "40"),
			{"domainname", unix.DT_REG, func() vfs.Inode {
				return fs.newFile(0444, func(*kernel.Task) ([]byte, error) { return []byte(fs.k.Domainname() + "\n"), nil })
			}},
			{"hostname", unix.DT_REG, func() vfs.Inode {
				return fs.newFile(0444, func(*kernel.Task) ([]byte, error) { return []byte(fs.k.Hostname() + "\n"), nil })
			}},
			fs.text("ngroups_max", "65536"),
			fs.text("osrelease", osRelease),
			fs.text("ostype", "Linux"),
			fs.text("pid_max", "4194304"),
			fs.subdir("random", []node{
				fs.text("boot_id", bootID),
				{"uuid", unix.DT_REG, func() vfs.Inode {
					return fs.newFile(0444, func(*kernel.Task) ([]byte, error) { return []byte(uuid() + "\n"), nil })
				}},
			}),
			fs.text("version", osVersion),
		}),
		fs.subdir("vm", []node{
			fs.text("max_map_count", "65530"),
			fs.text("mmap_min_addr", "65536"),
			fs.text("overcommit_memory", "0"),
		}),
	})
}

// uuid returns a random (version 4) UUID.
func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// memory returns the sandbox's total memory (the host's, or the container's limit if
// lower), what its memory file has allocated, and the difference.
func (fs *Filesystem) memory() (total, used, free uint64) {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		total = uint64(si.Totalram) * uint64(si.Unit)
	}
	// A container memory limit (its cgroup's) is the sandbox's total, as in a VM.
	if l := fs.k.MemoryLimit(); l != 0 && (total == 0 || l < total) {
		total = l
	}
	if fs.k.MemFile != nil {
		used = fs.k.MemFile.Allocated()
	}
	if total > used {
		free = total - used
	}
	return total, used, free
}

// vmstat is /proc/vmstat in pages and events, from the same figures as meminfo: the
// sandbox has no swap, page cache or block I/O, so those counters are 0. procps' vmstat
// (libproc2) refuses to run without this file.
func (fs *Filesystem) vmstat(*kernel.Task) ([]byte, error) {
	_, used, free := fs.memory()
	const page = 4096
	var sb strings.Builder
	for _, f := range []struct {
		name string
		v    uint64
	}{
		{"nr_free_pages", free / page},
		{"nr_zone_inactive_anon", 0},
		{"nr_zone_active_anon", used / page},
		{"nr_zone_inactive_file", 0},
		{"nr_zone_active_file", 0},
		{"nr_zone_unevictable", 0},
		{"nr_mlock", 0},
		{"nr_inactive_anon", 0},
		{"nr_active_anon", used / page},
		{"nr_inactive_file", 0},
		{"nr_active_file", 0},
		{"nr_unevictable", 0},
		{"nr_anon_pages", used / page},
		{"nr_mapped", 0},
		{"nr_file_pages", 0},
		{"nr_dirty", 0},
		{"nr_writeback", 0},
		{"nr_shmem", 0},
		{"pgpgin", 0},
		{"pgpgout", 0},
		{"pswpin", 0},
		{"pswpout", 0},
		{"pgfault", 0},
		{"pgmajfault", 0},
		{"oom_kill", 0},
	} {
		fmt.Fprintf(&sb, "%s %d\n", f.name, f.v)
	}
	return []byte(sb.String()), nil
}

// meminfo reports the host's memory as the total and the sandbox's memory file as what
// is used: MemFree is the total less the sandbox's allocations (the sandbox cannot see
// the host's other users).
func (fs *Filesystem) meminfo(*kernel.Task) ([]byte, error) {
	total, used, free := fs.memory()
	var sb strings.Builder
	kb := func(name string, v uint64) { fmt.Fprintf(&sb, "%-16s%8d kB\n", name+":", v>>10) }
	kb("MemTotal", total)
	kb("MemFree", free)
	kb("MemAvailable", free)
	kb("Buffers", 0)
	kb("Cached", 0)
	kb("SwapCached", 0)
	kb("Active", used)
	kb("Inactive", 0)
	kb("Active(anon)", used)
	kb("Inactive(anon)", 0)
	kb("Active(file)", 0)
	kb("Inactive(file)", 0)
	kb("Unevictable", 0)
	kb("Mlocked", 0)
	kb("SwapTotal", 0)
	kb("SwapFree", 0)
	kb("Dirty", 0)
	kb("Writeback", 0)
	kb("AnonPages", used)
	kb("Mapped", 0)
	kb("Shmem", 0)
	kb("CommitLimit", total)
	kb("Committed_AS", used)
	kb("VmallocTotal", 34359738367<<10)
	kb("VmallocUsed", 0)
	kb("VmallocChunk", 0)
	return []byte(sb.String()), nil
}

// busyTicks returns the CPU time of every process (live tasks and reaped children), in
// clock ticks, as user and system time.
func (fs *Filesystem) busyTicks() (user, sys uint64) {
	for _, tg := range fs.k.Processes() {
		self, children := tg.ProcessCPUTime()
		if tg.Parent() == nil {
			self = self.Add(children) // init's reaped descendants
		}
		user += ticks(self.User.Nanoseconds())
		sys += ticks(self.Sys.Nanoseconds())
	}
	return user, sys
}

func ticks(ns int64) uint64 {
	if ns < 0 {
		return 0
	}
	return uint64(ns) * clockTicks / 1e9
}

// uptime is the sandbox's uptime and the idle time of its CPUs.
func (fs *Filesystem) uptime(*kernel.Task) ([]byte, error) {
	up := fs.k.Uptime().Seconds()
	u, s := fs.busyTicks()
	idle := up*float64(fs.k.NumCPU()) - float64(u+s)/clockTicks
	return []byte(fmt.Sprintf("%.2f %.2f\n", up, max(idle, 0))), nil
}

// running counts tasks not blocked in a syscall and all tasks.
func (fs *Filesystem) running() (running, total int) {
	for _, tg := range fs.k.Processes() {
		for _, t := range tg.Tasks() {
			total++
			if !t.Blocked() {
				running++
			}
		}
	}
	return running, total
}

// loadavg has no load history: the averages are 0.
func (fs *Filesystem) loadavg(*kernel.Task) ([]byte, error) {
	r, n := fs.running()
	return []byte(fmt.Sprintf("0.00 0.00 0.00 %d/%d %d\n", r, n, fs.ns.LastPID())), nil
}

// stat is /proc/stat: CPU time split evenly over the CPUs, boot time, process counts.
func (fs *Filesystem) stat(*kernel.Task) ([]byte, error) {
	n := uint64(fs.k.NumCPU())
	u, s := fs.busyTicks()
	upTicks := ticks(fs.k.Uptime().Nanoseconds())
	idle := uint64(0)
	if upTicks*n > u+s {
		idle = upTicks*n - u - s
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "cpu  %d 0 %d %d 0 0 0 0 0 0\n", u, s, idle)
	for i := uint64(0); i < n; i++ {
		fmt.Fprintf(&sb, "cpu%d %d 0 %d %d 0 0 0 0 0 0\n", i, u/n, s/n, idle/n)
	}
	r, total := fs.running()
	fmt.Fprintf(&sb, "intr 0\nctxt 0\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		fs.k.BootTime().Unix(), fs.ns.LastPID(), r)
	_ = total
	return []byte(sb.String()), nil
}
