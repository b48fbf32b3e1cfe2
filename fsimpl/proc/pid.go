package proc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/mm"
	"github.com/stockade-sandbox/stockade/sentry/vfs"
)

// target is what a per-process or per-thread file describes: the process, and the thread
// (nil for /proc/<pid>/ files, which describe the process through its leader).
type target struct {
	fs *Filesystem
	tg *kernel.ThreadGroup
	t  *kernel.Task
}

// task returns the thread the file describes: the given one, or the process's leader
// (nil for a zombie).
func (x target) task() *kernel.Task {
	if x.t != nil {
		return x.t
	}
	return x.tg.Leader()
}

// alive reports whether the process (or thread) is still there: not reaped (a zombie
// counts), and for a thread not exited.
func (x target) alive() bool {
	if x.fs.k.ProcessByPID(x.tg.TGID()) != x.tg {
		return false
	}
	if x.t != nil {
		return x.fs.k.TaskByTID(x.t.TID()) == x.t
	}
	return true
}

func (x target) owner() (uint32, uint32) {
	c := x.tg.Creds()
	return c.EffectiveUID, c.EffectiveGID
}

func (x target) attrs(mode uint32) attrs {
	return attrs{ino: x.fs.ino(), mode: mode, owner: x.owner, valid: x.alive}
}

// processDir is /proc/<pid>.
func (fs *Filesystem) processDir(tg *kernel.ThreadGroup) *dir {
	x := target{fs: fs, tg: tg}
	nodes := x.nodes()
	nodes = append(nodes, node{"task", unix.DT_DIR, func() vfs.Inode { return x.taskListDir() }})
	d := fs.fixedDir(x.attrs(unix.S_IFDIR|0555), sortNodes(nodes))
	d.ino = pidIno(tg.TGID(), 0)
	return d
}

// taskListDir is /proc/<pid>/task.
func (x target) taskListDir() *dir {
	d := &dir{attrs: x.attrs(unix.S_IFDIR | 0555)}
	d.list = func() []vfs.Dirent {
		var out []vfs.Dirent
		for _, t := range x.tg.Tasks() {
			out = append(out, vfs.Dirent{Name: strconv.Itoa(int(x.fs.ns.IDOfTask(t))), Type: unix.DT_DIR, Ino: pidIno(x.tg.TGID(), t.TID())})
		}
		return out
	}
	d.lookup = func(name string) (vfs.Inode, error) {
		tid, err := strconv.ParseInt(name, 10, 32)
		if err != nil || strconv.Itoa(int(tid)) != name {
			return nil, unix.ENOENT
		}
		t := x.fs.ns.TaskWithID(int32(tid))
		if t == nil || t.ThreadGroup() != x.tg {
			return nil, unix.ENOENT
		}
		tx := target{fs: x.fs, tg: x.tg, t: t}
		td := x.fs.fixedDir(tx.attrs(unix.S_IFDIR|0555), sortNodes(tx.nodes()))
		td.ino = pidIno(x.tg.TGID(), t.TID())
		return td, nil
	}
	return d
}

func sortNodes(n []node) []node {
	for i := 1; i < len(n); i++ {
		for j := i; j > 0 && n[j].name < n[j-1].name; j-- {
			n[j], n[j-1] = n[j-1], n[j]
		}
	}
	return n
}

// nodes are the files of a process or thread directory.
func (x target) nodes() []node {
	reg := func(name string, mode uint32, gen func(t *kernel.Task) ([]byte, error)) node {
		return node{name, unix.DT_REG, func() vfs.Inode {
			return &file{attrs: x.attrs(unix.S_IFREG | mode), gen: gen}
		}}
	}
	link := func(name string, target func(r *kernel.Task) (string, error)) node {
		return node{name, unix.DT_LNK, func() vfs.Inode {
			return &symlink{attrs: x.attrs(unix.S_IFLNK | 0777), target: target}
		}}
	}
	return []node{
		reg("stat", 0444, x.stat),
		reg("status", 0444, x.status),
		reg("statm", 0444, x.statm),
		reg("cmdline", 0444, func(*kernel.Task) ([]byte, error) { return x.memRange(false) }),
		reg("environ", 0400, func(*kernel.Task) ([]byte, error) { return x.memRange(true) }),
		{"comm", unix.DT_REG, func() vfs.Inode {
			return &file{attrs: x.attrs(unix.S_IFREG | 0644), gen: x.comm, write: x.setComm}
		}},
		reg("maps", 0444, x.maps),
		link("exe", x.exe),
		link("cwd", func(r *kernel.Task) (string, error) { return x.fsPath(r, false) }),
		link("root", func(r *kernel.Task) (string, error) { return x.fsPath(r, true) }),
		{"fd", unix.DT_DIR, func() vfs.Inode { return x.fdDir(false) }},
		{"fdinfo", unix.DT_DIR, func() vfs.Inode { return x.fdDir(true) }},
		reg("mounts", 0444, func(r *kernel.Task) ([]byte, error) { return x.mounts(r, false) }),
		reg("mountinfo", 0444, func(r *kernel.Task) ([]byte, error) { return x.mounts(r, true) }),
		reg("limits", 0444, x.limits),
		reg("cgroup", 0444, func(*kernel.Task) ([]byte, error) { return []byte("0::/\n"), nil }),
		{"oom_score_adj", unix.DT_REG, func() vfs.Inode {
			return &file{attrs: x.attrs(unix.S_IFREG | 0644), gen: x.oomScoreAdj, write: x.setOOMScoreAdj}
		}},
		reg("oom_score", 0444, func(*kernel.Task) ([]byte, error) { return []byte("0\n"), nil }),
		reg("uid_map", 0444, func(*kernel.Task) ([]byte, error) { return idMap(x.fs.k.UIDMap()), nil }),
		reg("gid_map", 0444, func(*kernel.Task) ([]byte, error) { return idMap(x.fs.k.GIDMap()), nil }),
		reg("loginuid", 0444, func(*kernel.Task) ([]byte, error) { return []byte("4294967295"), nil }),
	}
}

// stateLetter is the task state: Z for a zombie, T when stopped by job control, S when
// blocked in a syscall, R otherwise.
func (x target) stateLetter(r *kernel.Task) (byte, string) {
	t := x.task()
	switch {
	case t == nil || x.tg.IsZombie():
		return 'Z', "zombie"
	case t.Stopped():
		return 'T', "stopped"
	case t != r && t.Blocked():
		return 'S', "sleeping"
	default:
		return 'R', "running"
	}
}

// mmOf returns the thread's address space, or nil (zombie, not yet loaded).
func (x target) mmOf() *mm.MemoryManager {
	t := x.task()
	if t == nil || x.tg.IsZombie() {
		return nil
	}
	return t.MM()
}

// memUsage sums the VMAs (virtual size, and the stack's) and the resident bytes.
func memUsage(m *mm.MemoryManager) (vsize, stack, rss uint64) {
	if m == nil {
		return 0, 0, 0
	}
	for _, v := range m.VMAs() {
		vsize += uint64(v.End - v.Start)
		if v.Name == "[stack]" {
			stack += uint64(v.End - v.Start)
		}
	}
	return vsize, stack, m.ResidentBytes()
}

func (x target) name() string {
	if t := x.task(); t != nil {
		return t.Name()
	}
	return ""
}

// ttyDevice is a controlling terminal that reports its device and foreground group
// (sentry/tty's Terminal).
type ttyDevice interface {
	DeviceNumber() (major, minor uint32)
	ForegroundProcessGroup() *kernel.ProcessGroup
}

// controllingTTY returns stat's tty_nr and tpgid: the process's controlling terminal's
// device number, encoded as Linux's new_encode_dev, and its foreground process group's id
// in ns; 0 and -1 without one.
func controllingTTY(ns *kernel.PIDNamespace, tg *kernel.ThreadGroup) (ttyNr uint32, tpgid int32) {
	d, ok := tg.ControllingTerminal().(ttyDevice)
	if !ok {
		return 0, -1
	}
	major, minor := d.DeviceNumber()
	return minor&0xff | major<<8 | (minor&^0xff)<<12, ns.IDOfProcessGroup(d.ForegroundProcessGroup())
}

// stat is /proc/<pid>/stat in Linux's 52-field format.
func (x target) stat(r *kernel.Task) ([]byte, error) {
	tg := x.tg
	state, _ := x.stateLetter(r)
	ns := x.fs.ns
	var ppid int32
	if p := tg.Parent(); p != nil {
		ppid = ns.IDOfThreadGroup(p)
	}
	var self, children kernel.CPUTime
	var start uint64
	var sigPending, sigBlocked uint64
	if x.t != nil {
		self = x.t.CPUClock()
	} else {
		self, children = tg.ProcessCPUTime()
	}
	if t := x.task(); t != nil {
		start = ticks(t.StartTime().Nanoseconds())
		sigPending = t.ThreadPendingSignals() | tg.SharedPendingSignals()
		sigBlocked = t.SigMask()
	}
	ignored, caught := tg.SignalDispositions()
	m := x.mmOf()
	vsize, _, rss := memUsage(m)
	var ei mm.ExecInfo
	if m != nil {
		ei = m.ExecInfo()
	}
	rsslim := tg.Rlimit(unix.RLIMIT_RSS).Cur
	exitCode := 0
	if es, exited := tg.ExitState(); exited && tg.IsZombie() {
		exitCode = int(es.WaitStatus())
	}
	nthreads := len(tg.Tasks())
	if nthreads == 0 && tg.IsZombie() {
		nthreads = 1
	}
	ttyNr, tpgid := controllingTTY(ns, tg)
	pgid, sid := ns.IDOfProcessGroup(tg.ProcessGroup()), ns.IDOfSession(tg.Session())
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d (%s) %c %d %d %d %d %d %d ", x.pid(), x.name(), state, ppid, pgid, sid, ttyNr, tpgid, 0x400040)
	fmt.Fprintf(&sb, "0 0 0 0 %d %d %d %d ", ticks(self.User.Nanoseconds()), ticks(self.Sys.Nanoseconds()),
		ticks(children.User.Nanoseconds()), ticks(children.Sys.Nanoseconds()))
	var nice int32
	if t := x.task(); t != nil {
		nice = t.Nice()
	}
	fmt.Fprintf(&sb, "%d %d %d 0 %d %d %d %d ", 20+nice, nice, nthreads, start, vsize, rss/4096, rsslim)
	// startcode endcode startstack kstkesp kstkeip
	sb.WriteString("0 0 0 0 0 ")
	fmt.Fprintf(&sb, "%d %d %d %d ", sigPending, sigBlocked, ignored, caught)
	// wchan nswap cnswap
	sb.WriteString("0 0 0 ")
	fmt.Fprintf(&sb, "%d 0 0 0 0 0 0 ", tg.ExitSignal())
	// start_data end_data start_brk arg_start arg_end env_start env_end exit_code
	fmt.Fprintf(&sb, "0 0 0 %d %d %d %d %d\n", ei.ArgStart, ei.ArgEnd, ei.EnvStart, ei.EnvEnd, exitCode)
	return []byte(sb.String()), nil
}

// pid is the id the file shows in its first field, in the instance's pid namespace: the
// thread's for task/<tid>/ files.
func (x target) pid() int32 {
	if x.t != nil {
		return x.fs.ns.IDOfTask(x.t)
	}
	return x.fs.ns.IDOfThreadGroup(x.tg)
}

// nsIDs formats ids as status's NS* lines do: tab-separated, from the instance's
// namespace down to the process's own.
func nsIDs(ids []int32) string {
	var sb strings.Builder
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte('\t')
		}
		sb.WriteString(strconv.Itoa(int(id)))
	}
	return sb.String()
}

// statm is sizes in pages: size resident shared text lib data dt.
func (x target) statm(*kernel.Task) ([]byte, error) {
	vsize, stack, rss := memUsage(x.mmOf())
	return []byte(fmt.Sprintf("%d %d 0 0 0 %d 0\n", vsize/4096, rss/4096, (vsize-stack)/4096)), nil
}

func (x target) status(r *kernel.Task) ([]byte, error) {
	tg := x.tg
	c := tg.Creds()
	letter, word := x.stateLetter(r)
	ns := x.fs.ns
	var ppid int32
	if p := tg.Parent(); p != nil {
		ppid = ns.IDOfThreadGroup(p)
	}
	umask := uint32(022)
	var sigPnd, sigBlk uint64
	fdSize := 64
	t := x.task()
	if t != nil {
		if fsc := vfs.TaskFSContext(t); fsc != nil {
			umask = fsc.Umask()
		}
		sigPnd, sigBlk = t.ThreadPendingSignals(), t.SigMask()
		if fdt := t.FDTable(); fdt != nil {
			if fds := fdt.FDsInRange(0, ^uint32(0)); len(fds) > 0 {
				for fdSize < int(fds[len(fds)-1])+1 {
					fdSize *= 2
				}
			}
		}
	}
	ignored, caught := tg.SignalDispositions()
	vsize, stack, rss := memUsage(x.mmOf())
	capEff, capPrm, capInh := c.Capabilities()
	threads := len(tg.Tasks())
	var sb strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	w("Name:\t%s\n", x.name())
	w("Umask:\t%04o\n", umask)
	w("State:\t%c (%s)\n", letter, word)
	w("Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", ns.IDOfThreadGroup(tg), x.pid(), ppid)
	w("Uid:\t%d\t%d\t%d\t%d\n", c.RealUID, c.EffectiveUID, c.SavedUID, c.EffectiveUID)
	w("Gid:\t%d\t%d\t%d\t%d\n", c.RealGID, c.EffectiveGID, c.SavedGID, c.EffectiveGID)
	w("FDSize:\t%d\nGroups:\t\n", fdSize)
	nspid := ns.IDsOfThreadGroup(tg)
	if x.t != nil {
		nspid = ns.IDsOfTask(x.t)
	}
	w("NStgid:\t%s\nNSpid:\t%s\nNSpgid:\t%s\nNSsid:\t%s\n", nsIDs(ns.IDsOfThreadGroup(tg)), nsIDs(nspid),
		nsIDs(ns.IDsOfProcessGroup(tg, tg.ProcessGroup())), nsIDs(ns.IDsOfSession(tg, tg.Session())))
	if x.mmOf() != nil {
		// VmPeak is not tracked: the current size stands in for it.
		w("VmPeak:\t%8d kB\nVmSize:\t%8d kB\nVmLck:\t%8d kB\nVmPin:\t%8d kB\n", vsize>>10, vsize>>10, 0, 0)
		w("VmHWM:\t%8d kB\nVmRSS:\t%8d kB\n", rss>>10, rss>>10)
		w("RssAnon:\t%8d kB\nRssFile:\t%8d kB\nRssShmem:\t%8d kB\n", rss>>10, 0, 0)
		w("VmData:\t%8d kB\nVmStk:\t%8d kB\nVmExe:\t%8d kB\nVmLib:\t%8d kB\n", (vsize-stack)>>10, stack>>10, 0, 0)
		w("VmPTE:\t%8d kB\nVmSwap:\t%8d kB\n", 0, 0)
	}
	w("Threads:\t%d\n", threads)
	w("SigQ:\t%d/%d\n", tg.QueuedSignals(), tg.Rlimit(unix.RLIMIT_SIGPENDING).Cur)
	w("SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n",
		sigPnd, tg.SharedPendingSignals(), sigBlk, ignored, caught)
	w("CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n", capInh, capPrm, capEff, c.Caps.Bounding, c.Caps.Ambient)
	nnp := 0
	if t != nil && t.NoNewPrivs() {
		nnp = 1
	}
	w("NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", nnp)
	w("Cpus_allowed_list:\t0-%d\n", x.fs.k.NumCPU()-1)
	w("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	return []byte(sb.String()), nil
}

// memRange reads the argv (or envp) strings from the process's memory, as Linux does
// (what the program may have overwritten since is what is shown).
func (x target) memRange(env bool) ([]byte, error) {
	m := x.mmOf()
	if m == nil {
		return nil, nil
	}
	ei := m.ExecInfo()
	lo, hi := ei.ArgStart, ei.ArgEnd
	if env {
		lo, hi = ei.EnvStart, ei.EnvEnd
	}
	if hi <= lo || hi-lo > 1<<20 {
		return nil, nil
	}
	buf := make([]byte, hi-lo)
	n, err := m.CopyIn(lo, buf)
	if err != nil && n == 0 {
		return nil, nil
	}
	return buf[:n], nil
}

func (x target) comm(*kernel.Task) ([]byte, error) { return []byte(x.name() + "\n"), nil }

// setComm is PR_SET_NAME through /proc: a thread of the writer's own process only. As in
// Linux, the bytes up to a NUL are the name, a trailing newline included.
func (x target) setComm(r *kernel.Task, data []byte) error {
	if r == nil || r.ThreadGroup() != x.tg {
		return unix.EINVAL
	}
	t := x.task()
	if t == nil {
		return unix.ESRCH
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	t.SetName(string(data))
	return nil
}

// maps is /proc/<pid>/maps. Offsets, devices and inodes are not tracked per mapping and
// show as 0.
func (x target) maps(*kernel.Task) ([]byte, error) {
	m := x.mmOf()
	if m == nil {
		return nil, nil
	}
	var sb strings.Builder
	for _, v := range m.VMAs() {
		perm := []byte("---p")
		if v.Perms.Read {
			perm[0] = 'r'
		}
		if v.Perms.Write {
			perm[1] = 'w'
		}
		if v.Perms.Execute {
			perm[2] = 'x'
		}
		if v.Shared {
			perm[3] = 's'
		}
		line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d ", v.Start, v.End, perm, 0, 0, 0, 0)
		if v.Name != "" {
			for len(line) < 73 {
				line += " "
			}
			line += v.Name
		}
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
	return []byte(sb.String()), nil
}

// readerRoot returns the root paths are shown relative to: the reader's, else the
// target's.
func (x target) readerRoot(r *kernel.Task) (vfs.VirtualDentry, *vfs.FSContext) {
	for _, t := range []*kernel.Task{r, x.task()} {
		if t == nil {
			continue
		}
		if fsc := vfs.TaskFSContext(t); fsc != nil {
			return fsc.Root(), fsc
		}
	}
	return vfs.VirtualDentry{}, nil
}

// exe is the executable's path: that of the file it was loaded from when it came through
// the VFS, else the path execve was given.
func (x target) exe(r *kernel.Task) (string, error) {
	m := x.mmOf()
	if m == nil {
		return "", unix.ENOENT
	}
	ei := m.ExecInfo()
	if fd, ok := ei.File.(*vfs.FileDescription); ok {
		if root, fsc := x.readerRoot(r); fsc != nil {
			p, _ := fsc.VFS().PathFrom(root, fd.VirtualDentry())
			return p, nil
		}
	}
	if ei.Path == "" {
		return "", unix.ENOENT
	}
	return ei.Path, nil
}

// fsPath is the target's working directory (or root).
func (x target) fsPath(r *kernel.Task, root bool) (string, error) {
	t := x.task()
	if t == nil {
		return "", unix.ENOENT
	}
	fsc := vfs.TaskFSContext(t)
	if fsc == nil {
		return "", unix.ENOENT
	}
	vd := fsc.Cwd()
	if root {
		vd = fsc.Root()
	}
	rroot, _ := x.readerRoot(r)
	p, ok := fsc.VFS().PathFrom(rroot, vd)
	if !ok && !root {
		p = "(unreachable)" + p
	}
	return p, nil
}

// mounts is /proc/<pid>/mounts or mountinfo, from the target's mount namespace, with
// paths relative to the reader's root.
func (x target) mounts(r *kernel.Task, info bool) ([]byte, error) {
	t := x.task()
	if t == nil {
		return nil, nil
	}
	fsc := vfs.TaskFSContext(t)
	if fsc == nil {
		return nil, nil
	}
	root, _ := x.readerRoot(r)
	v := fsc.VFS()
	ns := fsc.Root().Mount.Namespace()
	var sb strings.Builder
	for _, e := range ns.Mounts() {
		m := e.Mount
		p, ok := v.PathFrom(root, e.Point)
		if e.Parent == m {
			p, ok = v.PathFrom(root, vfs.VirtualDentry{Mount: m, Dentry: m.Root()})
		}
		if !ok {
			continue
		}
		fsType := m.Filesystem().TypeName()
		src := m.Filesystem().Source()
		opts := mountOpts(m.Flags())
		if info {
			dev := m.Filesystem().Dev()
			optional := ""
			if m.Unbindable() {
				optional = " unbindable"
			}
			fmt.Fprintf(&sb, "%d %d %d:%d %s %s %s%s - %s %s %s\n", m.ID(), e.Parent.ID(), unix.Major(dev), unix.Minor(dev),
				m.RootPath(), p, opts, optional, fsType, src, superOpts(m.Flags()))
		} else {
			fmt.Fprintf(&sb, "%s %s %s %s 0 0\n", src, p, fsType, opts)
		}
	}
	return []byte(sb.String()), nil
}

func mountOpts(f uint32) string {
	s := "rw"
	if f&unix.MS_RDONLY != 0 {
		s = "ro"
	}
	for _, o := range []struct {
		bit  uint32
		name string
	}{{unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}, {unix.MS_NOATIME, "noatime"}} {
		if f&o.bit != 0 {
			s += "," + o.name
		}
	}
	if f&unix.MS_NOATIME == 0 {
		s += ",relatime"
	}
	return s
}

func superOpts(f uint32) string {
	if f&unix.MS_RDONLY != 0 {
		return "ro"
	}
	return "rw"
}

// limitNames are /proc/<pid>/limits' rows, by RLIMIT number.
var limitNames = [...]struct{ name, unit string }{
	{"Max cpu time", "seconds"}, {"Max file size", "bytes"}, {"Max data size", "bytes"},
	{"Max stack size", "bytes"}, {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
	{"Max processes", "processes"}, {"Max open files", "files"}, {"Max locked memory", "bytes"},
	{"Max address space", "bytes"}, {"Max file locks", "locks"}, {"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"}, {"Max nice priority", ""}, {"Max realtime priority", ""},
	{"Max realtime timeout", "us"},
}

func (x target) limits(*kernel.Task) ([]byte, error) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	val := func(v uint64) string {
		if v == linux.RLIM_INFINITY {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	for i, l := range limitNames {
		if i >= linux.RLIM_NLIMITS {
			break
		}
		rl := x.tg.Rlimit(i)
		fmt.Fprintf(&sb, "%-25s %-20s %-20s ", l.name, val(rl.Cur), val(rl.Max))
		if l.unit != "" {
			fmt.Fprintf(&sb, "%-10s", l.unit)
		}
		sb.WriteByte('\n')
	}
	return []byte(sb.String()), nil
}

func (x target) oomScoreAdj(*kernel.Task) ([]byte, error) {
	return []byte(strconv.Itoa(int(x.tg.OOMScoreAdj())) + "\n"), nil
}

func (x target) setOOMScoreAdj(_ *kernel.Task, data []byte) error {
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < -1000 || n > 1000 {
		return unix.EINVAL
	}
	x.tg.SetOOMScoreAdj(int32(n))
	return nil
}

// idMap formats a user namespace's id map as Linux does /proc/PID/uid_map: inside,
// outside and count, each right-aligned in ten columns.
func idMap(m []kernel.IDMapEntry) []byte {
	var b []byte
	for _, e := range m {
		b = fmt.Appendf(b, "%10d %10d %10d\n", e.Inside, e.Outside, e.Count)
	}
	return b
}
