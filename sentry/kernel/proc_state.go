package kernel

import (
	"sort"
	"time"
)

// Read-only views of process state for /proc (fsimpl/proc). Each takes the locks it needs
// and returns a snapshot; nothing here changes the kernel.

// Processes returns every process that has not been reaped (zombies included), sorted by
// pid in the root namespace.
func (k *Kernel) Processes() []*ThreadGroup {
	k.mu.Lock()
	out := make([]*ThreadGroup, 0, len(k.root.tgs))
	for _, tg := range k.root.tgs {
		out = append(out, tg)
	}
	k.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].tgid < out[j].tgid })
	return out
}

// NumTasks returns the number of live tasks.
func (k *Kernel) NumTasks() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.root.tasks)
}

// LastPID returns the most recently allocated thread id of ns (/proc/loadavg's last
// field).
func (ns *PIDNamespace) LastPID() int32 {
	ns.k.mu.Lock()
	defer ns.k.mu.Unlock()
	return max(1, ns.next-1)
}

// BootTime returns when the kernel started.
func (k *Kernel) BootTime() time.Time { return k.start }

// IsZombie reports whether tg has exited and waits to be reaped.
func (tg *ThreadGroup) IsZombie() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.proc.zombie
}

// ExitSignal returns the signal sent to the parent when tg exits.
func (tg *ThreadGroup) ExitSignal() int {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.proc.exitSignal
}

// Tasks returns tg's live tasks, sorted by thread id.
func (tg *ThreadGroup) Tasks() []*Task {
	tg.mu.Lock()
	out := make([]*Task, 0, len(tg.tasks))
	for t := range tg.tasks {
		out = append(out, t)
	}
	tg.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].tid < out[j].tid })
	return out
}

// SignalDispositions returns the sets (bit n-1 for signal n) of ignored signals and of
// signals with a handler.
func (tg *ThreadGroup) SignalDispositions() (ignored, caught uint64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for i, a := range tg.actions {
		switch a.Handler {
		case sigDFL:
		case sigIGN:
			ignored |= 1 << i
		default:
			caught |= 1 << i
		}
	}
	return ignored, caught
}

// SharedPendingSignals returns the process-directed pending signals.
func (tg *ThreadGroup) SharedPendingSignals() uint64 {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.pending.set
}

// QueuedSignals returns the number of queued signals (counted against RLIMIT_SIGPENDING).
func (tg *ThreadGroup) QueuedSignals() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.sigQueued
}

// ProcessCPUTime returns the CPU time of tg's exited and live tasks, and of its reaped
// children.
func (tg *ThreadGroup) ProcessCPUTime() (self, children CPUTime) {
	tg.k.mu.Lock()
	self, children = tg.proc.cpu, tg.proc.childCPU
	tg.k.mu.Unlock()
	for _, t := range tg.Tasks() {
		self = self.Add(t.CPUClock())
	}
	return self, children
}

// ThreadPendingSignals returns the signals pending for t itself (not its process).
func (t *Task) ThreadPendingSignals() uint64 {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.sig.pending.set
}

// StartTime returns the kernel uptime at which t started.
func (t *Task) StartTime() time.Duration { return time.Duration(t.proc.started.Load()) }

// Blocked reports whether t is sleeping in a blocking syscall.
func (t *Task) Blocked() bool { return t.proc.blocked.Load() }

// Exiting reports whether t is on its way out.
func (t *Task) Exiting() bool { return t.exiting.Load() }

// ExitState returns tg's exit status and whether it is exiting or has exited.
func (tg *ThreadGroup) ExitState() (ExitStatus, bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.exitStatus, tg.exiting
}
