package kernel

import (
	"syscall"
	"testing"

	"github.com/stockade-sandbox/stockade/abi/linux"
)

// TestOrphanedProcessGroup checks POSIX's definition: a group is orphaned unless some
// member's parent is in another group of the same session; zombies do not count.
func TestOrphanedProcessGroup(t *testing.T) {
	s1, s2 := &Session{sid: 1}, &Session{sid: 2}
	shell := newPGrp(pidIDs{nums: []int32{1}}, s1)
	job := newPGrp(pidIDs{nums: []int32{5}}, s1)
	other := newPGrp(pidIDs{nums: []int32{9}}, s2)
	mk := func(pg *ProcessGroup, parent *ThreadGroup) *ThreadGroup {
		tg := &ThreadGroup{parent: parent}
		tg.proc.pgrp = pg
		pg.members[tg] = struct{}{}
		return tg
	}
	sh := mk(shell, nil)
	a := mk(job, sh)
	b := mk(job, a)
	if job.orphanedLocked(nil) {
		t.Fatal("a job whose member's parent is the shell (same session, other group) is orphaned")
	}
	if !job.orphanedLocked(a) {
		t.Fatal("ignoring the member linked to the shell, the job is not orphaned")
	}
	a.proc.zombie = true
	if !job.orphanedLocked(nil) {
		t.Fatal("a zombie still links the job to its session")
	}
	b.parent = mk(other, nil)
	if !job.orphanedLocked(nil) {
		t.Fatal("a parent in another session makes the group orphaned")
	}
	if !shell.orphanedLocked(nil) {
		t.Fatal("init's group, whose parent is outside, is not orphaned")
	}
}

// TestSigContDiscardsStopSignals checks the send-time side effects of job control.
func TestSigContDiscardsStopSignals(t *testing.T) {
	tg := &ThreadGroup{tasks: map[*Task]struct{}{}}
	task := &Task{tg: tg}
	tg.tasks[task] = struct{}{}
	tstp, cont := int(syscall.SIGTSTP), int(syscall.SIGCONT)
	tg.pending.push(sigInfo(tstp))
	task.sig.pending.push(sigInfo(int(syscall.SIGSTOP)))
	tg.sigQueued = 2
	task.sig.stopped = true
	tg.jc.stopped = true
	wake, notify := tg.jobControlSendLocked(cont)
	if tg.pending.set != 0 || task.sig.pending.set != 0 || tg.sigQueued != 0 {
		t.Fatalf("SIGCONT left stop signals pending: %#x %#x (queued %d)", tg.pending.set, task.sig.pending.set, tg.sigQueued)
	}
	if len(wake) != 1 || notify != cldContinued || tg.jc.stopped || task.sig.stopped {
		t.Fatalf("SIGCONT: wake %d, notify %d, stopped %v/%v", len(wake), notify, tg.jc.stopped, task.sig.stopped)
	}
	tg.pending.push(sigInfo(cont))
	tg.sigQueued = 1
	if _, n := tg.jobControlSendLocked(tstp); n != 0 || tg.pending.set != 0 || tg.sigQueued != 0 {
		t.Fatalf("a stop signal left SIGCONT pending: %#x", tg.pending.set)
	}
}

func sigInfo(sig int) *linux.SignalInfo { return &linux.SignalInfo{Signo: int32(sig)} }
