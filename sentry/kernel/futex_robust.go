package kernel

import (
	"encoding/binary"
	"sync/atomic"
)

// Robust futex lists (set_robust_list(2)): user space (glibc's robust mutexes) keeps a
// linked list of the locks a thread holds; when the thread exits or execs, the kernel walks
// it and marks each lock whose word still holds the thread's TID with FUTEX_OWNER_DIED,
// waking one waiter, so that the next locker gets EOWNERDEAD instead of waiting forever.
//
// struct robust_list_head { struct robust_list *next; long futex_offset;
// struct robust_list *list_op_pending; }: entries point at each other (the list ends where
// it points back at the head); bit 0 of a pointer marks a PI futex; an entry's word is at
// entry + futex_offset.

// robustListLimit bounds the walk, against circular or huge lists (Linux's
// ROBUST_LIST_LIMIT).
const robustListLimit = 2048

// releaseFutexes runs Linux's futex cleanup for a task leaving its address space (exit, or
// execve with dead false): the robust list, then the PI futexes it still owns. The task's
// address space must still be its old one.
func (t *Task) releaseFutexes(dead bool) {
	t.futexExitBegin()
	if t.mm != nil && t.robustList != 0 {
		t.walkRobustList(t.robustList)
	}
	t.robustList, t.robustListLen = 0, 0
	t.futexExitEnd(dead)
}

// readWord reads the 8-byte word at addr.
func (t *Task) readWord(addr uintptr) (uint64, bool) {
	var b [8]byte
	if _, err := t.mm.CopyIn(addr, b[:]); err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

// walkRobustList walks the robust list at head. A bad pointer ends the walk (never more).
func (t *Task) walkRobustList(head uintptr) {
	next, ok := t.readWord(head)
	if !ok {
		return
	}
	offset, ok := t.readWord(head + 8)
	if !ok {
		return
	}
	pendingRaw, ok := t.readWord(head + 16)
	if !ok {
		return
	}
	entry, pi := uintptr(next&^1), next&1 != 0
	pending, pendingPI := uintptr(pendingRaw&^1), pendingRaw&1 != 0
	for limit := robustListLimit; entry != head; {
		// Read the next entry before the death handling may let another thread free
		// this one.
		nextRaw, nextOK := t.readWord(entry)
		// A pending lock may be on the list already: handle it once, below.
		if entry != pending {
			if !t.handleFutexDeath(entry+uintptr(offset), pi, false) {
				return
			}
		}
		if !nextOK {
			return
		}
		entry, pi = uintptr(nextRaw&^1), nextRaw&1 != 0
		if limit--; limit == 0 {
			break
		}
	}
	if pending != 0 {
		t.handleFutexDeath(pending+uintptr(offset), pendingPI, true)
	}
}

// handleFutexDeath marks the futex word at addr as abandoned if the task owns it: its TID
// becomes 0 with FUTEX_OWNER_DIED (FUTEX_WAITERS kept), and, for a non-PI futex with
// waiters, one waiter is woken (PI waiters are granted the lock by futexExitEnd). pending is
// set for list_op_pending, whose lock may be half taken or half released. It returns false
// if the word cannot be accessed, which ends the walk.
func (t *Task) handleFutexDeath(addr uintptr, pi, pending bool) bool {
	if addr%4 != 0 {
		return false
	}
	rword, err := t.mm.Uint32At(addr, false)
	if err != nil {
		return false
	}
	uval := atomic.LoadUint32(rword)
	owner := int32(uval & futexTIDMask)
	if pending && !pi && owner == 0 {
		// The thread died between releasing the word and waking a waiter, or while a
		// woken waiter: wake one, without touching the word.
		t.k.futexes.wake(t.futexKey(addr), 1, ^uint32(0))
		return true
	}
	if owner != t.vtid.Load() {
		return true
	}
	word, err := t.mm.Uint32At(addr, true)
	if err != nil {
		return false
	}
	for !atomic.CompareAndSwapUint32(word, uval, uval&futexWaitersBit|futexOwnerDiedBit) {
		uval = atomic.LoadUint32(word)
		if int32(uval&futexTIDMask) != t.vtid.Load() {
			return true
		}
	}
	if !pi && uval&futexWaitersBit != 0 {
		t.k.futexes.wake(t.futexKey(addr), 1, ^uint32(0))
	}
	return true
}
