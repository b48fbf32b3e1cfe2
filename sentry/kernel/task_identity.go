package kernel

// SetClearChildTID records set_tid_address's address.
func (t *Task) SetClearChildTID(addr uintptr) { t.clearChildTID = addr }

// SetRobustList records set_robust_list's arguments.
func (t *Task) SetRobustList(head, length uintptr) { t.robustList, t.robustListLen = head, length }

// RobustList returns set_robust_list's arguments.
func (t *Task) RobustList() (head, length uintptr) { return t.robustList, t.robustListLen }

// PPID returns the parent's process id in the task's pid namespace: 0 for init, for a
// process without a parent, and for one whose parent is outside the namespace.
func (t *Task) PPID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if p := t.tg.parent; p != nil {
		return p.ids.in(t.tg.ids.ns)
	}
	return 0
}

// NumCPU is the number of CPUs the sandbox reports.
func (k *Kernel) NumCPU() int { return k.numCPU }
