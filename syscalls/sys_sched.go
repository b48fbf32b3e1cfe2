package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// Scheduling attributes: nice values (getpriority, setpriority) and the policy queries of
// sched(7). The sentry keeps and reports nice values but its tasks are goroutines: every
// task's policy is SCHED_OTHER (sentry/kernel/task_sched.go).

// Linux's setpriority(2) "which" values.
const (
	prioProcess = 0
	prioPGrp    = 1
	prioUser    = 2
)

// prioTargets returns the tasks getpriority and setpriority's which and who name, in the
// caller's pid namespace: a thread (PRIO_PROCESS: who is a tid, 0 the caller), the threads
// of a process group (PRIO_PGRP: 0 the caller's), or every visible thread whose real uid is
// who (PRIO_USER: 0 the caller's).
func prioTargets(t *kernel.Task, which, who int32) ([]*kernel.Task, error) {
	ns := t.PIDNamespace()
	switch which {
	case prioProcess:
		if who == 0 {
			return []*kernel.Task{t}, nil
		}
		if target := ns.TaskWithID(who); target != nil {
			return []*kernel.Task{target}, nil
		}
		return nil, nil
	case prioPGrp:
		pg := t.ThreadGroup().ProcessGroup()
		if who != 0 {
			pg = ns.ProcessGroupWithID(who)
		}
		if pg == nil {
			return nil, nil
		}
		var out []*kernel.Task
		for _, tg := range ns.ThreadGroups() {
			if tg.ProcessGroup() == pg {
				out = append(out, tg.Tasks()...)
			}
		}
		return out, nil
	case prioUser:
		uid := uint32(who)
		if who == 0 {
			uid = t.ThreadGroup().Creds().RealUID
		}
		var out []*kernel.Task
		for _, tg := range ns.ThreadGroups() {
			if tg.Creds().RealUID == uid {
				out = append(out, tg.Tasks()...)
			}
		}
		return out, nil
	}
	return nil, unix.EINVAL
}

// Getpriority implements Linux syscall getpriority(2). As in Linux, the value returned is
// 20-nice (1..40) of the highest-priority target: the C library turns it back into a nice
// value.
func Getpriority(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	targets, err := prioTargets(t, args.Int(0), args.Int(1))
	if err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, unix.ESRCH
	}
	best := int32(kernel.MaxNice)
	for _, target := range targets {
		best = min(best, target.Nice())
	}
	return uintptr(20 - best), nil
}

// Setpriority implements Linux syscall setpriority(2): every target the caller may change
// gets the new nice value. As in Linux, the result is ESRCH if no task matched, else the
// last refusal (EPERM, EACCES) if any, else success.
func Setpriority(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	targets, err := prioTargets(t, args.Int(0), args.Int(1))
	if err != nil {
		return 0, err
	}
	n := int(args.Int(2))
	err = unix.ESRCH
	for _, target := range targets {
		if e := t.MaySetNice(target, n); e != nil {
			err = e
			continue
		}
		if err == unix.ESRCH {
			err = nil
		}
		target.SetNice(n)
	}
	return 0, err
}

// schedTarget is the task a sched_* query names in the caller's pid namespace: pid 0 is
// the caller; a negative pid is EINVAL.
func schedTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	switch {
	case pid < 0:
		return nil, unix.EINVAL
	case pid == 0:
		return t, nil
	}
	if target := t.PIDNamespace().TaskWithID(pid); target != nil {
		return target, nil
	}
	return nil, unix.ESRCH
}

// SchedGetscheduler implements Linux syscall sched_getscheduler(2): SCHED_OTHER.
func SchedGetscheduler(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if _, err := schedTarget(t, args.Int(0)); err != nil {
		return 0, err
	}
	return unix.SCHED_NORMAL, nil
}

// SchedGetparam implements Linux syscall sched_getparam(2): SCHED_OTHER's static priority,
// 0.
func SchedGetparam(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	if args.Pointer(1) == 0 {
		return 0, unix.EINVAL
	}
	if _, err := schedTarget(t, args.Int(0)); err != nil {
		return 0, err
	}
	var prio int32
	return 0, copyOutStruct(t, args.Pointer(1), &prio)
}

// priorityRange is the static priorities a policy allows, as sched_get_priority_max(2)
// and sched_get_priority_min(2) report them.
func priorityRange(policy int32) (lo, hi uintptr, err error) {
	switch policy {
	case unix.SCHED_FIFO, unix.SCHED_RR:
		return 1, 99, nil
	case unix.SCHED_NORMAL, unix.SCHED_BATCH, unix.SCHED_IDLE, unix.SCHED_DEADLINE:
		return 0, 0, nil
	}
	return 0, 0, unix.EINVAL
}

// SchedGetPriorityMax implements Linux syscall sched_get_priority_max(2).
func SchedGetPriorityMax(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	_, hi, err := priorityRange(args.Int(0))
	return hi, err
}

// SchedGetPriorityMin implements Linux syscall sched_get_priority_min(2).
func SchedGetPriorityMin(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	lo, _, err := priorityRange(args.Int(0))
	return lo, err
}
