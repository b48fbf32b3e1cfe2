package kernel

import (
	"errors"
	"strings"
	"time"
)

// Figures about the whole sandbox for the host's tools (`runsc ps`, `runsc events`).
// Each is a snapshot taken under the locks it needs; nothing here changes the kernel.

// ProcessInfo describes one live process, for `runsc ps`.
type ProcessInfo struct {
	// PID and PPID are pids in the namespace listed (0: no parent there).
	PID, PPID int32
	UID       uint32
	// Start is the kernel uptime at which the process started.
	Start time.Duration
	// CPU is the CPU time of the process's tasks (live and exited).
	CPU CPUTime
	// Name is the command name (comm); Cmd the argument vector as the process's memory
	// holds it now, space-separated (empty for a process that has none).
	Name, Cmd string
	// Threads is the number of live tasks.
	Threads int
	// HostPID is the host pid of the process that runs the leader's (or, once it has
	// exited, another live task's) application code, 0 if none (platform.HostProcess).
	HostPID int32
	// Container is the id of the process's container (kernel_containers.go).
	Container string
}

// ProcessList describes every live process (zombies excluded), sorted by pid, with the
// sandbox's (root namespace's) pids.
func (k *Kernel) ProcessList() []ProcessInfo { return k.ProcessListIn(k.root) }

// ProcessListIn describes the live processes of pid namespace ns (those of its
// descendants included), sorted by their pid there, with ns's pids.
func (k *Kernel) ProcessListIn(ns *PIDNamespace) []ProcessInfo {
	var out []ProcessInfo
	for _, tg := range ns.ThreadGroups() {
		if tg.IsZombie() {
			continue
		}
		l := tg.Leader()
		if l == nil {
			continue
		}
		pi := ProcessInfo{PID: ns.IDOfThreadGroup(tg), UID: tg.Creds().RealUID, Name: l.Name(), Threads: len(tg.Tasks()), Container: tg.container}
		if p := tg.Parent(); p != nil {
			pi.PPID = ns.IDOfThreadGroup(p)
		}
		pi.Start = l.StartTime()
		pi.CPU, _ = tg.ProcessCPUTime()
		pi.Cmd = argvOf(l)
		pi.HostPID = int32(l.HostPID())
		for _, t := range tg.Tasks() {
			if pi.HostPID != 0 {
				break
			}
			pi.HostPID = int32(t.HostPID())
		}
		out = append(out, pi)
	}
	return out
}

// argvOf reads t's argument vector from its memory, as /proc/PID/cmdline does.
func argvOf(t *Task) string {
	m := t.MM()
	if m == nil {
		return ""
	}
	ei := m.ExecInfo()
	lo, hi := ei.ArgStart, ei.ArgEnd
	if hi <= lo || hi-lo > 64<<10 {
		return ""
	}
	buf := make([]byte, hi-lo)
	n, _ := m.CopyIn(lo, buf)
	return strings.TrimSpace(strings.ReplaceAll(string(buf[:n]), "\x00", " "))
}

// Stats are figures about the whole sandbox, for `runsc events`.
type Stats struct {
	// CPU is the CPU time of every live process, and of the exited processes their
	// ancestors have reaped.
	CPU CPUTime
	// MemoryUsage is the memory file's allocated bytes (application memory and tmpfs
	// data); MemoryLimit the limit set on it (0: none).
	MemoryUsage, MemoryLimit uint64
	// PidsLimit is the limit SetPidsLimit set (0: none).
	PidsLimit int64
	// Processes and Tasks count live processes and threads.
	Processes, Tasks int
}

// Stats returns the sandbox's figures.
func (k *Kernel) Stats() Stats { return k.stats(func(*ThreadGroup) bool { return true }) }

// ContainerStats returns the figures of container id's processes (CPU, processes, tasks)
// and the sandbox's memory, which its containers share.
func (k *Kernel) ContainerStats(id string) Stats {
	return k.stats(func(tg *ThreadGroup) bool { return tg.container == id })
}

func (k *Kernel) stats(include func(*ThreadGroup) bool) Stats {
	var s Stats
	all := true
	for _, tg := range k.Processes() {
		if !include(tg) {
			all = false
			continue
		}
		if !tg.IsZombie() {
			s.Tasks += len(tg.Tasks())
		}
		self, children := tg.ProcessCPUTime()
		s.CPU = s.CPU.Add(self)
		if tg.Parent() == nil {
			s.CPU = s.CPU.Add(children)
		}
		if !tg.IsZombie() {
			s.Processes++
		}
	}
	if all {
		s.Tasks = k.NumTasks()
	}
	if k.MemFile != nil {
		s.MemoryUsage = k.MemFile.Allocated()
	}
	s.MemoryLimit = k.MemoryLimit()
	s.PidsLimit = k.PidsLimit()
	return s
}

// SetMemoryLimit sets the sandbox's memory limit (the container's cgroup memory limit;
// 0: none): the memory file refuses allocations beyond it, and /proc/meminfo reports it
// as the total.
func (k *Kernel) SetMemoryLimit(limit uint64) {
	k.memLimit.Store(limit)
	if k.MemFile != nil {
		k.MemFile.SetLimit(limit)
	}
}

// MemoryLimit returns the limit SetMemoryLimit set (0: none).
func (k *Kernel) MemoryLimit() uint64 { return k.memLimit.Load() }

// errPidsLimit is allocTIDLocked's error when the pids limit is reached.
var errPidsLimit = errors.New("pids limit reached")

// SetPidsLimit sets the container's pids limit (its cgroup's pids.max; 0 or less: none):
// clone, fork and vfork fail with EAGAIN while the sandbox has that many live tasks
// (threads included, as the pids controller counts). The sentry enforces it because the
// host cgroup cannot: there it would count the sandbox's own host threads (the Go
// runtime's, the platform's stubs), not the application's tasks.
func (k *Kernel) SetPidsLimit(limit int64) {
	if limit < 0 {
		limit = 0
	}
	k.pidsLimit.Store(limit)
}

// PidsLimit returns the limit SetPidsLimit set (0: none).
func (k *Kernel) PidsLimit() int64 { return k.pidsLimit.Load() }
