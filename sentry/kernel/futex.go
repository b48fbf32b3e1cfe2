package kernel

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// futexKey identifies a futex word.
type futexKey struct {
	mm   uintptr
	addr uintptr
}

// futexWaiter is one task blocked in FUTEX_WAIT or FUTEX_LOCK_PI.
type futexWaiter struct {
	key    futexKey
	bitset uint32
	// t is the waiting task.
	t *Task
	// pi is the PI state a FUTEX_LOCK_PI waiter is attached to; nil for FUTEX_WAIT.
	// Guarded by futexManager.mu.
	pi *futexPIState
	// granted says how a PI waiter got the lock (futexGranted*). Guarded by
	// futexManager.mu.
	granted uint8
	// requeuePI marks a FUTEX_WAIT_REQUEUE_PI waiter, to be moved to the PI futex key2
	// (futex_requeue_pi.go).
	requeuePI bool
	key2      futexKey
	// woken is signalled (buffer 1) when the waiter is dequeued by a wake.
	woken chan struct{}
	prev  *futexWaiter
	next  *futexWaiter
	// queued is true while the waiter is on a queue. Guarded by futexManager.mu.
	queued bool
}

// futexQueue is a FIFO of waiters on one key.
type futexQueue struct {
	head, tail *futexWaiter
}

func (q *futexQueue) push(w *futexWaiter) {
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	w.queued = true
}

func (q *futexQueue) remove(w *futexWaiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}

// futexManager holds every futex wait queue of the kernel. mu is a leaf lock.
type futexManager struct {
	mu      sync.Mutex
	waiters map[futexKey]*futexQueue
}

func (m *futexManager) queueLocked(k futexKey, create bool) *futexQueue {
	q := m.waiters[k]
	if q == nil && create {
		q = &futexQueue{}
		m.waiters[k] = q
	}
	return q
}

func (m *futexManager) dropIfEmptyLocked(k futexKey, q *futexQueue) {
	if q.head == nil {
		delete(m.waiters, k)
	}
}

// wake wakes up to n waiters on k whose bitset intersects bitset, and returns how many.
// EINVAL means that a PI waiter came first (the word is a PI futex, which only
// FUTEX_UNLOCK_PI may release); the waiters before it are woken all the same, as in Linux.
func (m *futexManager) wake(k futexKey, n int, bitset uint32) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wakeLocked(k, n, bitset)
}

func (m *futexManager) wakeLocked(k futexKey, n int, bitset uint32) (int, error) {
	q := m.queueLocked(k, false)
	if q == nil {
		return 0, nil
	}
	// As Linux, the count is checked after each wake: n = 0 wakes one.
	woken := 0
	var err error
	for w := q.head; w != nil; {
		next := w.next
		if w.pi != nil || w.requeuePI {
			err = unix.EINVAL
			break
		}
		if w.bitset&bitset != 0 {
			q.remove(w)
			w.woken <- struct{}{}
			if woken++; woken >= n {
				break
			}
		}
		w = next
	}
	m.dropIfEmptyLocked(k, q)
	if err != nil {
		return 0, err
	}
	return woken, nil
}

// requeue wakes up to nWake waiters on from and moves up to nRequeue others to to. If check
// is set, it first verifies under the lock that the word at from still holds val.
func (m *futexManager) requeue(from, to futexKey, word *uint32, check bool, val uint32, nWake, nRequeue int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if check && atomic.LoadUint32(word) != val {
		return 0, unix.EAGAIN
	}
	q := m.queueLocked(from, false)
	if q == nil {
		return 0, nil
	}
	// One pass, as Linux's: wake the first nWake, move the next nRequeue; a PI waiter
	// (never requeued by these operations) stops the pass with EINVAL.
	var dst *futexQueue
	done := 0
	var err error
	for w := q.head; w != nil && done < nWake+nRequeue; {
		next := w.next
		if w.pi != nil || w.requeuePI {
			err = unix.EINVAL
			break
		}
		q.remove(w)
		if done < nWake {
			w.woken <- struct{}{}
		} else {
			if dst == nil {
				dst = m.queueLocked(to, true)
			}
			w.key = to
			dst.push(w)
		}
		done++
		w = next
	}
	m.dropIfEmptyLocked(from, q)
	if err != nil {
		return 0, err
	}
	return done, nil
}

// FutexWait blocks the task while the word at addr holds val, until a wake with a matching
// bitset, the deadline (zero: none), or an interruption.
func (t *Task) FutexWait(addr uintptr, val uint32, bitset uint32, deadline time.Time) error {
	if bitset == 0 {
		return unix.EINVAL
	}
	word, err := t.mm.Uint32At(addr, false)
	if err != nil {
		return err
	}
	m := &t.k.futexes
	w := &futexWaiter{key: t.futexKey(addr), bitset: bitset, t: t, woken: make(chan struct{}, 1)}
	m.mu.Lock()
	if atomic.LoadUint32(word) != val {
		m.mu.Unlock()
		return unix.EAGAIN
	}
	m.queueLocked(w.key, true).push(w)
	m.mu.Unlock()

	err = t.BlockOn(w.woken, deadline)
	if err == nil {
		return nil
	}
	// Timed out or interrupted: leave the queue, unless a wake got there first.
	m.mu.Lock()
	if !w.queued {
		m.mu.Unlock()
		return nil
	}
	q := m.queueLocked(w.key, false)
	q.remove(w)
	m.dropIfEmptyLocked(w.key, q)
	m.mu.Unlock()
	return err
}

// FutexWake wakes up to n waiters on addr with a matching bitset.
func (t *Task) FutexWake(addr uintptr, n int, bitset uint32) (int, error) {
	if bitset == 0 {
		return 0, unix.EINVAL
	}
	return t.k.futexes.wake(t.futexKey(addr), n, bitset)
}

// FutexRequeue implements FUTEX_REQUEUE and FUTEX_CMP_REQUEUE.
func (t *Task) FutexRequeue(addr, addr2 uintptr, check bool, val uint32, nWake, nRequeue int) (int, error) {
	word, err := t.mm.Uint32At(addr, false)
	if err != nil {
		return 0, err
	}
	return t.k.futexes.requeue(t.futexKey(addr), t.futexKey(addr2), word, check, val, nWake, nRequeue)
}

// FutexWakeOp implements FUTEX_WAKE_OP: atomically apply op to the word at addr2, wake up to
// n waiters on addr, and if the old value of addr2 satisfies the comparison in op, wake up to
// n2 waiters on addr2.
func (t *Task) FutexWakeOp(addr, addr2 uintptr, n, n2 int, op uint32) (int, error) {
	word2, err := t.mm.Uint32At(addr2, true)
	if err != nil {
		return 0, err
	}
	opType := (op >> 28) & 0x7
	cmp := (op >> 24) & 0xf
	oparg := (op >> 12) & 0xfff
	cmparg := op & 0xfff
	if op&(8<<28) != 0 { // FUTEX_OP_OPARG_SHIFT
		if oparg > 31 {
			return 0, unix.EINVAL
		}
		oparg = 1 << oparg
	}
	// Keys first: a shared key consults the memory manager, which the futex manager's
	// lock (a leaf) must not be held across.
	k1, k2 := t.futexKey(addr), t.futexKey(addr2)
	m := &t.k.futexes
	m.mu.Lock()
	defer m.mu.Unlock()
	var old uint32
	for {
		old = atomic.LoadUint32(word2)
		var nv uint32
		switch opType {
		case 0: // SET
			nv = oparg
		case 1: // ADD
			nv = old + oparg
		case 2: // OR
			nv = old | oparg
		case 3: // ANDN
			nv = old &^ oparg
		case 4: // XOR
			nv = old ^ oparg
		default:
			return 0, unix.ENOSYS
		}
		if atomic.CompareAndSwapUint32(word2, old, nv) {
			break
		}
	}
	var cond bool
	switch cmp {
	case 0:
		cond = old == cmparg
	case 1:
		cond = old != cmparg
	case 2:
		cond = int32(old) < int32(cmparg)
	case 3:
		cond = int32(old) <= int32(cmparg)
	case 4:
		cond = int32(old) > int32(cmparg)
	case 5:
		cond = int32(old) >= int32(cmparg)
	default:
		return 0, unix.ENOSYS
	}
	woken, err := m.wakeLocked(k1, n, ^uint32(0))
	if err != nil || !cond {
		return woken, err
	}
	woken2, err := m.wakeLocked(k2, n2, ^uint32(0))
	if err != nil {
		return 0, err
	}
	return woken + woken2, nil
}
