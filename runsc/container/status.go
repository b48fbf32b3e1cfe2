package container

import "fmt"

// Status is a container's lifecycle status, as `runsc state` reports it.
type Status string

// The statuses.
const (
	// Creating: `runsc create` is setting up the sandbox.
	Creating Status = "creating"
	// Created: the sandbox is ready; init has not started.
	Created Status = "created"
	// Running: init runs.
	Running Status = "running"
	// Paused: every process is frozen.
	Paused Status = "paused"
	// Stopped: the sandbox has exited (or died).
	Stopped Status = "stopped"
)

// Statuses lists every status.
var Statuses = []Status{Creating, Created, Running, Paused, Stopped}

// transitions is the whole state machine: every allowed change of status and what causes
// it. Any change not listed here is an error.
var transitions = map[Status]map[Status]string{
	Creating: {
		Created: "create: the sandbox is ready",
		Stopped: "create failed, or the sandbox died during setup",
	},
	Created: {
		Running: "start",
		Stopped: "kill before start, or the sandbox died",
	},
	Running: {
		Paused:  "pause",
		Stopped: "init exited, or was killed",
	},
	Paused: {
		Running: "resume",
		Stopped: "the sandbox was killed (SIGKILL)",
	},
	Stopped: {},
}

// CanTransition reports whether a container may go from one status to another.
func CanTransition(from, to Status) bool {
	_, ok := transitions[from][to]
	return ok
}

// Op is a command that acts on an existing container.
type Op string

// The operations.
const (
	OpStart  Op = "start"
	OpKill   Op = "kill"
	OpDelete Op = "delete"
	OpPause  Op = "pause"
	OpResume Op = "resume"
	OpWait   Op = "wait"
	OpState  Op = "state"
)

// Ops lists every operation.
var Ops = []Op{OpStart, OpKill, OpDelete, OpPause, OpResume, OpWait, OpState}

// allowed lists, for each operation, the statuses it may act on. A forced delete acts on
// any status (it kills the sandbox first); an unforced one only on a container that no
// longer runs anything (runc also deletes a created container, killing its sandbox).
var allowed = map[Op][]Status{
	OpStart:  {Created},
	OpKill:   {Created, Running, Paused},
	OpDelete: {Created, Stopped},
	OpPause:  {Running},
	OpResume: {Paused},
	OpWait:   {Created, Running, Paused, Stopped},
	OpState:  {Creating, Created, Running, Paused, Stopped},
}

// StateError is the error for an operation a container's status does not allow.
type StateError struct {
	Op     Op
	ID     string
	Status Status
}

func (e *StateError) Error() string {
	if e.Op == OpKill && e.Status == Stopped {
		// runc's words: containerd's shims read them as "nothing left to signal", which
		// a kill racing with init's exit (CRI's StopContainer) must not fail on.
		return fmt.Sprintf("cannot kill container %s: container not running", e.ID)
	}
	return fmt.Sprintf("cannot %s container %s: container is %s", e.Op, e.ID, e.Status)
}

// CheckOp returns a *StateError unless op may act on a container with status s.
func CheckOp(op Op, id string, s Status) error {
	for _, a := range allowed[op] {
		if a == s {
			return nil
		}
	}
	return &StateError{Op: op, ID: id, Status: s}
}

// checkTransition returns an error unless from → to is in the state machine.
func checkTransition(id string, from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return fmt.Errorf("container %s: invalid status change from %s to %s", id, from, to)
}
