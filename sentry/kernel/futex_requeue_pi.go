package kernel

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI: a condition variable (a plain futex)
// whose waiters are moved, when signalled, onto the PI futex of its mutex, so that they wake
// owning it. The waiter queues on key1 marked requeuePI with the PI futex's key2; the
// requeuer takes the PI futex for the first waiter if it is free (the waiter wakes owning
// it), and moves the others (or all, if it is held) to key2 as PI waiters of its state,
// where FUTEX_UNLOCK_PI hands it to them one by one.

// FutexWaitRequeuePI implements FUTEX_WAIT_REQUEUE_PI: wait on addr (while it holds val)
// to be requeued to the PI futex addr2 and granted it. An interruption before the requeue
// restarts the syscall (ERESTARTNOINTR); after it, it fails with EAGAIN, as in Linux.
func (t *Task) FutexWaitRequeuePI(addr uintptr, val uint32, deadline time.Time, addr2 uintptr) error {
	word, err := t.mm.Uint32At(addr, false)
	if err != nil {
		return err
	}
	word2, err := t.mm.Uint32At(addr2, true)
	if err != nil {
		return err
	}
	k1, k2 := t.futexKey(addr), t.futexKey(addr2)
	if k1 == k2 {
		return unix.EINVAL
	}
	m := &t.k.futexes
	w := &futexWaiter{key: k1, bitset: ^uint32(0), t: t, requeuePI: true, key2: k2, woken: make(chan struct{}, 1)}
	m.mu.Lock()
	if atomic.LoadUint32(word) != val {
		m.mu.Unlock()
		return unix.EAGAIN
	}
	m.queueLocked(k1, true).push(w)
	m.mu.Unlock()

	err = t.BlockOn(w.woken, deadline)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.takeGrantLocked(t, w, word2) {
		return nil
	}
	if w.pi == nil {
		// Still on addr.
		q := m.queueLocked(w.key, false)
		q.remove(w)
		m.dropIfEmptyLocked(w.key, q)
		switch err {
		case unix.ETIMEDOUT:
			return err
		case ERESTARTSYS, unix.EINTR:
			return ERESTARTNOINTR
		}
		return unix.EAGAIN
	}
	// Requeued, not granted yet.
	m.detachLocked(w)
	if err == unix.ETIMEDOUT {
		return err
	}
	return unix.EAGAIN
}

// FutexCmpRequeuePI implements FUTEX_CMP_REQUEUE_PI: if the word at addr holds val, take
// the PI futex at addr2 for the first FUTEX_WAIT_REQUEUE_PI waiter if it is free (waking
// it), and move up to nRequeue others (nRequeue+1 if it was held) onto it. It returns how
// many were woken or moved. The caller checks nWake == 1 and addr != addr2.
func (t *Task) FutexCmpRequeuePI(addr, addr2 uintptr, nRequeue int, val uint32) (int, error) {
	word, err := t.mm.Uint32At(addr, false)
	if err != nil {
		return 0, err
	}
	word2, err := t.mm.Uint32At(addr2, true)
	if err != nil {
		return 0, err
	}
	k1, k2 := t.futexKey(addr), t.futexKey(addr2)
	if k1 == k2 {
		return 0, unix.EINVAL
	}
	m := &t.k.futexes
	for {
		seen := atomic.LoadUint32(word2)
		var owner *Task
		if pid := int32(seen & futexTIDMask); pid != 0 {
			owner = t.PIDNamespace().TaskWithID(pid)
		}
		m.mu.Lock()
		n, res, err := m.cmpRequeuePILocked(k1, k2, word, word2, val, seen, owner, nRequeue)
		var dead chan struct{}
		if res == piOwnerExiting {
			if owner.futex.dead == nil {
				owner.futex.dead = make(chan struct{})
			}
			dead = owner.futex.dead
		}
		m.mu.Unlock()
		switch res {
		case piRetry:
			continue
		case piOwnerExiting:
			<-dead
			continue
		}
		return n, err
	}
}

// cmpRequeuePILocked is one attempt of FutexCmpRequeuePI.
//
// Preconditions: futexManager.mu is held.
func (m *futexManager) cmpRequeuePILocked(k1, k2 futexKey, word, word2 *uint32, val, seen uint32, owner *Task, nRequeue int) (int, piAttempt, error) {
	if atomic.LoadUint32(word) != val {
		return 0, piFailed, unix.EAGAIN
	}
	q1 := m.queueLocked(k1, false)
	if q1 == nil || q1.head == nil {
		return 0, piFailed, nil
	}
	top := q1.head
	if !top.requeuePI || top.pi != nil || top.key2 != k2 {
		return 0, piFailed, unix.EINVAL
	}
	res, ps, err := m.lockPIAtomicLocked(top.t, k2, word2, seen, owner, nRequeue > 0)
	count := 0
	switch res {
	case piAcquired:
		q1.remove(top)
		top.granted = futexGrantedHandoff
		top.woken <- struct{}{}
		count = 1
	case piContended:
	default:
		m.dropIfEmptyLocked(k1, q1)
		return 0, res, err
	}
	// With the lock taken for the first waiter, up to nRequeue more; otherwise the first
	// waiter too.
	for w := q1.head; w != nil && count-1 < nRequeue; {
		next := w.next
		if !w.requeuePI || w.pi != nil || w.key2 != k2 {
			err = unix.EINVAL
			break
		}
		q1.remove(w)
		w.key = k2
		w.pi = ps
		ps.waiters++
		m.queueLocked(k2, true).push(w)
		count++
		w = next
	}
	m.dropIfEmptyLocked(k1, q1)
	if ps != nil {
		ps.registerLocked()
	}
	if err != nil {
		return 0, piFailed, err
	}
	return count, piFailed, nil
}
