package kernel

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPIDNamespaceNumbers: a process of a child namespace has a number in it (the first is
// 1) and one in each ancestor; it has none in a sibling namespace; numbers are allocated
// per namespace; process groups follow their maker's numbers; nesting stops at 32 levels
// (ENOSPC) and a namespace whose init has exited takes no process.
func TestPIDNamespaceNumbers(t *testing.T) {
	k := &Kernel{}
	k.root = newPIDNamespace(k, nil)
	alloc := func(ns *PIDNamespace) pidIDs {
		t.Helper()
		ids, err := k.allocIDsLocked(ns)
		if err != nil {
			t.Fatalf("allocIDsLocked: %v", err)
		}
		tg := &ThreadGroup{k: k}
		tg.proc.children = map[*ThreadGroup]struct{}{}
		k.registerProcessLocked(tg, ids, nil)
		return ids
	}
	root := k.root
	first := alloc(root)
	if first.in(root) != 1 || root.init == nil {
		t.Fatalf("first root process: %v, init %v", first.nums, root.init)
	}
	alloc(root)
	child, err := root.NewChild()
	if err != nil {
		t.Fatal(err)
	}
	sibling, _ := root.NewChild()
	a := alloc(child)
	b := alloc(child)
	if got := a.nums; !slices.Equal(got, []int32{3, 1}) {
		t.Fatalf("first process of the child namespace: %v, want [3 1]", got)
	}
	if b.in(child) != 2 || b.in(root) != 4 || b.in(sibling) != 0 {
		t.Fatalf("second process: child %d root %d sibling %d", b.in(child), b.in(root), b.in(sibling))
	}
	c := alloc(sibling)
	if c.in(sibling) != 1 || c.in(child) != 0 || c.in(root) != 5 {
		t.Fatalf("sibling's init: %v", c.nums)
	}
	if child.init != child.tgs[1] || !child.tgs[1].unkillable {
		t.Fatal("the child namespace's first process is not its unkillable init")
	}
	if root.tgs[4] != child.tgs[2] {
		t.Fatal("one process, two numbers: not the same process")
	}
	// A process group made in the child namespace has numbers in it and the root; one
	// made in the root has none in the child.
	pg := child.tgs[2].proc.pgrp
	if child.IDOfProcessGroup(pg) != 2 || root.IDOfProcessGroup(pg) != 4 || root.pgrps[4] != pg || child.pgrps[2] != pg {
		t.Fatalf("group ids: child %d root %d", child.IDOfProcessGroup(pg), root.IDOfProcessGroup(pg))
	}
	if child.IDOfProcessGroup(root.tgs[1].proc.pgrp) != 0 {
		t.Fatal("a root group has a number in the child namespace")
	}
	if got := root.IDsOfProcessGroup(child.tgs[2], root.tgs[1].proc.pgrp); !slices.Equal(got, []int32{1, 0}) {
		t.Fatalf("NSpgid of a child-namespace process in a root group: %v, want [1 0]", got)
	}
	if got := root.IDsOfThreadGroup(child.tgs[2]); !slices.Equal(got, []int32{4, 2}) {
		t.Fatalf("NStgid: %v, want [4 2]", got)
	}
	if got := child.IDsOfThreadGroup(root.tgs[1]); got != nil {
		t.Fatalf("NStgid of a root process seen from the child: %v, want none", got)
	}
	if !root.IsAncestorOf(child) || child.IsAncestorOf(root) || child.IsAncestorOf(sibling) {
		t.Fatal("IsAncestorOf")
	}

	// Nesting: levels 1..32 exist, a 33rd does not.
	ns := root
	for i := 1; i <= maxPIDNSLevel; i++ {
		if ns, err = ns.NewChild(); err != nil {
			t.Fatalf("level %d: %v", i, err)
		}
	}
	if _, err := ns.NewChild(); err != unix.ENOSPC {
		t.Fatalf("level %d: %v, want ENOSPC", maxPIDNSLevel+1, err)
	}
	deep := alloc(ns)
	if len(deep.nums) != maxPIDNSLevel+1 || deep.in(ns) != 1 {
		t.Fatalf("deepest process: %v", deep.nums)
	}

	// A dead namespace (and its descendants) takes no process.
	grandchild, _ := child.NewChild()
	child.dead = true
	for _, n := range []*PIDNamespace{child, grandchild} {
		if _, err := k.allocIDsLocked(n); err != errPIDNSDead || allocErrno(err) != unix.ENOMEM {
			t.Fatalf("allocation in a dead namespace: %v", err)
		}
	}
	if _, err := k.allocIDsLocked(sibling); err != nil {
		t.Fatalf("allocation in the sibling of a dead namespace: %v", err)
	}
}

// TestPIDNamespaceReaper: orphans are adopted by the nearest subreaper of their own
// namespace, else by the namespace's init, never by a subreaper outside it.
func TestPIDNamespaceReaper(t *testing.T) {
	k := &Kernel{}
	k.root = newPIDNamespace(k, nil)
	mk := func(ns *PIDNamespace, parent *ThreadGroup) *ThreadGroup {
		ids, err := k.allocIDsLocked(ns)
		if err != nil {
			t.Fatal(err)
		}
		tg := &ThreadGroup{k: k, parent: parent}
		k.registerProcessLocked(tg, ids, nil)
		return tg
	}
	init := mk(k.root, nil)
	k.init = init
	sub := mk(k.root, init)
	sub.proc.subreaper = true
	ns, _ := k.root.NewChild()
	nsInit := mk(ns, sub)
	mid := mk(ns, nsInit)
	leaf := mk(ns, mid)
	if r := k.reaperForLocked(leaf); r != nsInit {
		t.Fatalf("reaper of a namespace's orphan: %v, want its init", r.ids.nums)
	}
	mid.proc.subreaper = true
	if r := k.reaperForLocked(mk(ns, mid)); r != mid {
		t.Fatalf("reaper with a subreaper in the namespace: %v", r.ids.nums)
	}
	if r := k.reaperForLocked(mk(k.root, sub)); r != sub {
		t.Fatalf("root orphan: %v, want the subreaper", r.ids.nums)
	}
}
