package kernel

import "golang.org/x/sys/unix"

// Scheduling attributes. Tasks run as goroutines scheduled by Go's runtime, so a nice
// value is kept and reported (getpriority, /proc/<pid>/stat) but weighs nothing; every
// task's policy is SCHED_OTHER.

// The range of nice values: MinNice is the highest priority.
const (
	MinNice = -20
	MaxNice = 19
)

// Nice returns the task's nice value.
func (t *Task) Nice() int32 { return t.proc.nice.Load() }

// SetNice sets the task's nice value, clamped to [MinNice, MaxNice] as setpriority(2) does.
func (t *Task) SetNice(n int) {
	t.proc.nice.Store(int32(min(max(n, MinNice), MaxNice)))
}

// MaySetNice is Linux's set_one_prio check of t setting target's nice value to n: t's
// effective uid must be target's real or effective uid unless t holds CAP_SYS_NICE
// (EPERM), and lowering the value needs CAP_SYS_NICE or an RLIMIT_NICE that allows it
// (EACCES; target's limit, whose n allows a nice value of 20-n).
func (t *Task) MaySetNice(target *Task, n int) error {
	c, tc := t.tg.Creds(), target.tg.Creds()
	if c.EffectiveUID != tc.RealUID && c.EffectiveUID != tc.EffectiveUID && !c.HasCap(unix.CAP_SYS_NICE) {
		return unix.EPERM
	}
	n = min(max(n, MinNice), MaxNice)
	if n < int(target.Nice()) && uint64(20-n) > target.tg.Rlimit(unix.RLIMIT_NICE).Cur && !c.HasCap(unix.CAP_SYS_NICE) {
		return unix.EACCES
	}
	return nil
}
