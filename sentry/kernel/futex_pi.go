package kernel

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Priority-inheritance futexes (FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI,
// FUTEX_UNLOCK_PI) follow Linux's protocol exactly, without the priority boosting: the word
// holds the owner's TID, FUTEX_WAITERS when the kernel has waiters (the owner must then unlock
// through the kernel) and FUTEX_OWNER_DIED when a previous owner died holding it. The kernel
// keeps a futexPIState per contended word: its owner as the kernel sees it and the waiters
// (futexWaiter.pi), queued in the same FIFO as FUTEX_WAIT's, so that mixing the two kinds on
// one word fails with EINVAL as in Linux. An unlock hands the lock directly to the first
// waiter (the word becomes its TID | FUTEX_WAITERS); the death of an owner grants it to the
// first waiter, which then writes its TID with FUTEX_OWNER_DIED itself (Linux's fixup), from
// its own address space.
//
// Everything here runs under futexManager.mu, a leaf: the word's address (Uint32At) and key
// are computed before taking it, and an owner's Task is looked up (Kernel.mu) before too,
// then checked against the word again under the lock.

// Bits of a PI (and robust) futex word.
const (
	futexWaitersBit   = 0x80000000
	futexOwnerDiedBit = 0x40000000
	futexTIDMask      = 0x3fffffff
)

// How a PI waiter was given the lock (futexWaiter.granted).
const (
	// futexGrantedHandoff: FUTEX_UNLOCK_PI wrote the waiter's TID and dequeued it.
	futexGrantedHandoff = 1
	// futexGrantedOwnerDied: the owner died; the waiter, still queued, writes its TID.
	futexGrantedOwnerDied = 2
)

// A task's futex state for PI ownership (taskFutex.state), as Linux's futex_state.
const (
	futexStateOK = iota
	// futexStateExiting: the task is releasing its robust list and PI futexes; lockers
	// wait for it to finish rather than fail with ESRCH.
	futexStateExiting
	// futexStateDead: released; a word still naming the task is stale (ESRCH).
	futexStateDead
)

// futexPIState is the kernel's state of one contended PI futex.
type futexPIState struct {
	key futexKey
	// owner is the task holding the lock as the kernel sees it; nil from the death of an
	// owner until the waiter it was granted to fixes the word. Guarded by futexManager.mu.
	owner *Task
	// waiters counts the queued waiters attached to the state (including a granted one
	// not yet dequeued). Guarded by futexManager.mu.
	waiters int
}

// taskFutex is a task's PI and exit state.
type taskFutex struct {
	// state is futexState*. Guarded by futexManager.mu.
	state int
	// dead, if not nil, is closed when state leaves futexStateExiting; lockers that met
	// the task exiting wait on it. Guarded by futexManager.mu.
	dead chan struct{}
	// owned are the PI states whose owner is the task. Guarded by futexManager.mu.
	owned map[*futexPIState]struct{}
}

// setOwnerLocked makes t the owner of ps (nil: none).
//
// Preconditions: futexManager.mu is held.
func (ps *futexPIState) setOwnerLocked(t *Task) {
	if ps.owner != nil {
		delete(ps.owner.futex.owned, ps)
	}
	ps.owner = t
	if t != nil && ps.waiters > 0 {
		if t.futex.owned == nil {
			t.futex.owned = make(map[*futexPIState]struct{})
		}
		t.futex.owned[ps] = struct{}{}
	}
}

// detachLocked removes waiter w of ps from its queue; the state goes away with its last
// waiter.
//
// Preconditions: futexManager.mu is held; w is queued.
func (m *futexManager) detachLocked(w *futexWaiter) {
	ps := w.pi
	q := m.queueLocked(w.key, false)
	q.remove(w)
	m.dropIfEmptyLocked(w.key, q)
	ps.waiters--
	if ps.waiters == 0 && ps.owner != nil {
		delete(ps.owner.futex.owned, ps)
	}
}

// piAttempt is the outcome of one try at taking a PI futex under the manager's lock.
type piAttempt int

const (
	piAcquired piAttempt = iota
	piQueued
	// piRetry: the word changed since it was read; read it again.
	piRetry
	// piContended: the lock is held; wait on the PI state returned.
	piContended
	// piOwnerExiting: the owner is releasing its futexes; wait for it, then retry.
	piOwnerExiting
	piFailed
)

// FutexLockPI implements FUTEX_LOCK_PI, FUTEX_LOCK_PI2 (deadline: zero for none) and, with
// try, FUTEX_TRYLOCK_PI. An interrupted wait returns ERESTARTNOINTR: the syscall restarts
// with its absolute deadline.
func (t *Task) FutexLockPI(addr uintptr, deadline time.Time, try bool) error {
	m := &t.k.futexes
	for {
		word, err := t.mm.Uint32At(addr, true)
		if err != nil {
			return err
		}
		key := t.futexKey(addr)
		// Look the owner up before the leaf lock; lockPILocked checks the word still
		// names it.
		seen := atomic.LoadUint32(word)
		var owner *Task
		if pid := int32(seen & futexTIDMask); pid != 0 && pid != t.vtid.Load() {
			owner = t.PIDNamespace().TaskWithID(pid)
		}
		m.mu.Lock()
		res, w, err := m.lockPILocked(t, key, word, seen, owner, try)
		var dead chan struct{}
		if res == piOwnerExiting {
			if owner.futex.dead == nil {
				owner.futex.dead = make(chan struct{})
			}
			dead = owner.futex.dead
		}
		m.mu.Unlock()
		switch res {
		case piAcquired:
			return nil
		case piFailed:
			return err
		case piRetry:
			continue
		case piOwnerExiting:
			<-dead
			continue
		}
		return t.futexBlockPI(w, word, deadline)
	}
}

// lockPILocked is one attempt of FutexLockPI: seen is the word as read before the lock,
// owner the task its TID named then.
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) lockPILocked(t *Task, key futexKey, word *uint32, seen uint32, owner *Task, try bool) (piAttempt, *futexWaiter, error) {
	res, ps, err := m.lockPIAtomicLocked(t, key, word, seen, owner, false)
	if res != piContended {
		return res, nil, err
	}
	if try {
		return piFailed, nil, unix.EAGAIN
	}
	w := m.queuePILocked(t, key, ps)
	ps.registerLocked()
	return piQueued, w, nil
}

// lockPIAtomicLocked is Linux's futex_lock_pi_atomic and attach checks for task x (the
// caller, or the first waiter FUTEX_CMP_REQUEUE_PI takes the lock for): piAcquired (the
// word is x's; with setWaiters, FUTEX_WAITERS is set and ps is a new state owned by x for
// waiters to come), or piContended with the state x must wait on (a new one has no waiters
// yet: the caller queues them, then registers it).
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) lockPIAtomicLocked(x *Task, key futexKey, word *uint32, seen uint32, owner *Task, setWaiters bool) (piAttempt, *futexPIState, error) {
	uval := atomic.LoadUint32(word)
	if uval != seen {
		return piRetry, nil, nil
	}
	pid := int32(uval & futexTIDMask)
	if pid == x.vtid.Load() {
		return piFailed, nil, unix.EDEADLK
	}
	if q := m.queueLocked(key, false); q != nil && q.head != nil {
		// Waiters exist: join the first one's PI state if the word agrees with it.
		ps := q.head.pi
		if ps == nil {
			return piFailed, nil, unix.EINVAL // FUTEX_WAIT waiters: not a PI futex
		}
		switch {
		case uval&futexOwnerDiedBit != 0 && ps.owner == nil:
			if pid != 0 {
				return piFailed, nil, unix.EINVAL
			}
		case uval&futexOwnerDiedBit != 0 && pid == 0:
		case ps.owner == nil || pid != ps.owner.vtid.Load():
			return piFailed, nil, unix.EINVAL
		}
		return piContended, ps, nil
	}
	if pid == 0 {
		// Free (perhaps with FUTEX_OWNER_DIED or a stale FUTEX_WAITERS): take it,
		// keeping FUTEX_OWNER_DIED for the new owner to see.
		nv := uval&futexOwnerDiedBit | uint32(x.vtid.Load())
		if setWaiters {
			nv |= futexWaitersBit
		}
		if !atomic.CompareAndSwapUint32(word, uval, nv) {
			return piRetry, nil, nil
		}
		if setWaiters {
			return piAcquired, &futexPIState{key: key, owner: x}, nil
		}
		return piAcquired, nil, nil
	}
	// First waiter: set FUTEX_WAITERS so that the owner unlocks through the kernel, then
	// attach to the owner (the bit stays even if that fails, as in Linux).
	if uval&futexWaitersBit == 0 {
		if !atomic.CompareAndSwapUint32(word, uval, uval|futexWaitersBit) {
			return piRetry, nil, nil
		}
	}
	if owner == nil || owner.futex.state == futexStateDead {
		// No such task, or one that released its futexes already: the word is stale
		// (no robust list, or a corrupt one) unless it changed meanwhile.
		if atomic.LoadUint32(word) != uval|futexWaitersBit {
			return piRetry, nil, nil
		}
		return piFailed, nil, unix.ESRCH
	}
	if owner.futex.state == futexStateExiting {
		return piOwnerExiting, nil, nil
	}
	return piContended, &futexPIState{key: key, owner: owner}, nil
}

// registerLocked records ps in its owner's set once it has waiters.
//
// Preconditions: futexManager.mu is held.
func (ps *futexPIState) registerLocked() {
	if ps.owner != nil && ps.waiters > 0 {
		ps.setOwnerLocked(ps.owner)
	}
}

// queuePILocked queues t as a waiter of ps.
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) queuePILocked(t *Task, key futexKey, ps *futexPIState) *futexWaiter {
	w := &futexWaiter{key: key, bitset: ^uint32(0), t: t, pi: ps, woken: make(chan struct{}, 1)}
	m.queueLocked(key, true).push(w)
	ps.waiters++
	return w
}

// futexBlockPI waits until the lock is handed to w's task, the deadline, or an interruption.
func (t *Task) futexBlockPI(w *futexWaiter, word *uint32, deadline time.Time) error {
	err := t.BlockOn(w.woken, deadline)
	m := &t.k.futexes
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.takeGrantLocked(t, w, word) {
		return nil
	}
	if err == nil {
		err = unix.EINTR // not reached: woken only when granted
	}
	// Timed out or interrupted: leave. FUTEX_WAITERS stays in the word; the owner's unlock
	// clears it.
	m.detachLocked(w)
	if err == ERESTARTSYS || err == unix.EINTR {
		return ERESTARTNOINTR
	}
	return err
}

// takeGrantLocked reports whether the lock was given to w's task t, whatever its wait
// returned. A grant after the owner's death leaves the word to t, who writes its TID with
// FUTEX_OWNER_DIED (Linux's fixup_pi_state_owner) through word, its own view of it.
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) takeGrantLocked(t *Task, w *futexWaiter, word *uint32) bool {
	switch w.granted {
	case futexGrantedHandoff:
		// Given by FUTEX_UNLOCK_PI or FUTEX_CMP_REQUEUE_PI, which wrote the word.
		return true
	case futexGrantedOwnerDied:
		for {
			uval := atomic.LoadUint32(word)
			nv := uval&futexOwnerDiedBit | uint32(t.vtid.Load()) | futexWaitersBit | futexOwnerDiedBit
			if atomic.CompareAndSwapUint32(word, uval, nv) {
				break
			}
		}
		ps := w.pi
		m.detachLocked(w)
		ps.setOwnerLocked(t)
		return true
	}
	return false
}

// FutexUnlockPI implements FUTEX_UNLOCK_PI: the caller must own the word (EPERM); the first
// waiter, if any, becomes the owner (its TID | FUTEX_WAITERS), otherwise the word becomes 0.
func (t *Task) FutexUnlockPI(addr uintptr) error {
	m := &t.k.futexes
	for {
		var uval uint32
		if addr%4 != 0 {
			// As Linux, ownership is checked before alignment.
			var b [4]byte
			if _, err := t.mm.CopyIn(addr, b[:]); err != nil {
				return err
			}
			uval = uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
			if int32(uval&futexTIDMask) != t.vtid.Load() {
				return unix.EPERM
			}
			return unix.EINVAL
		}
		rword, err := t.mm.Uint32At(addr, false)
		if err != nil {
			return err
		}
		uval = atomic.LoadUint32(rword)
		if int32(uval&futexTIDMask) != t.vtid.Load() {
			return unix.EPERM
		}
		word, err := t.mm.Uint32At(addr, true)
		if err != nil {
			return err
		}
		key := t.futexKey(addr)
		m.mu.Lock()
		retry, err := m.unlockPILocked(t, key, word, uval)
		m.mu.Unlock()
		if !retry {
			return err
		}
	}
}

// unlockPILocked is one attempt of FutexUnlockPI with the word read as uval; retry means
// it changed under a waiter setting FUTEX_WAITERS.
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) unlockPILocked(t *Task, key futexKey, word *uint32, uval uint32) (retry bool, err error) {
	q := m.queueLocked(key, false)
	if q == nil || q.head == nil {
		// No waiters: release, FUTEX_WAITERS and FUTEX_OWNER_DIED included. A word
		// changed meanwhile is left to user space.
		if !atomic.CompareAndSwapUint32(word, uval, 0) {
			return false, unix.EAGAIN
		}
		return false, nil
	}
	top := q.head
	ps := top.pi
	if ps == nil || ps.owner != t {
		// Not a PI futex, or one the kernel thinks someone else owns: user space
		// wrote the word itself.
		return false, unix.EINVAL
	}
	if !atomic.CompareAndSwapUint32(word, uval, futexWaitersBit|uint32(top.t.vtid.Load())) {
		if atomic.LoadUint32(word)&futexTIDMask == uval {
			return true, nil
		}
		return false, unix.EINVAL
	}
	ps.setOwnerLocked(nil)
	top.granted = futexGrantedHandoff
	m.detachLocked(top)
	ps.setOwnerLocked(top.t)
	top.woken <- struct{}{}
	return false, nil
}

// futexExitBegin marks the task as releasing its futexes (at exit and execve): PI lockers
// that find its TID wait for futexExitEnd instead of failing with ESRCH.
func (t *Task) futexExitBegin() {
	m := &t.k.futexes
	m.mu.Lock()
	t.futex.state = futexStateExiting
	m.mu.Unlock()
}

// futexExitEnd grants every PI futex the task still owns to its first waiter, with
// FUTEX_OWNER_DIED (Linux's exit_pi_state_list), and sets the task's futex state: dead at
// exit, OK again after execve.
func (t *Task) futexExitEnd(dead bool) {
	m := &t.k.futexes
	m.mu.Lock()
	defer m.mu.Unlock()
	for ps := range t.futex.owned {
		ps.setOwnerLocked(nil)
		if q := m.queueLocked(ps.key, false); q != nil {
			for w := q.head; w != nil; w = w.next {
				if w.pi == ps && w.granted == 0 {
					w.granted = futexGrantedOwnerDied
					w.woken <- struct{}{}
					break
				}
			}
		}
	}
	t.futex.owned = nil
	t.futex.state = futexStateOK
	if dead {
		t.futex.state = futexStateDead
	}
	if t.futex.dead != nil {
		close(t.futex.dead)
		t.futex.dead = nil
	}
}
