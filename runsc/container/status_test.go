package container

import (
	"strings"
	"testing"
)

// TestStateMachineTransitions checks every pair of statuses against the written-down
// transitions.
func TestStateMachineTransitions(t *testing.T) {
	want := map[[2]Status]bool{
		{Creating, Created}: true,
		{Creating, Stopped}: true,
		{Created, Running}:  true,
		{Created, Stopped}:  true,
		{Running, Paused}:   true,
		{Running, Stopped}:  true,
		{Paused, Running}:   true,
		{Paused, Stopped}:   true,
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			got := CanTransition(from, to)
			if got != want[[2]Status{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, !got)
			}
			err := checkTransition("c", from, to)
			if (err == nil) != got {
				t.Errorf("checkTransition(%s, %s) = %v, disagrees with CanTransition", from, to, err)
			}
			if err != nil && !strings.Contains(err.Error(), "from "+string(from)+" to "+string(to)) {
				t.Errorf("checkTransition(%s, %s) error %q does not name the change", from, to, err)
			}
		}
	}
}

// TestOpsAllowedByStatus checks every operation against every status, and the message of
// a refused one.
func TestOpsAllowedByStatus(t *testing.T) {
	ok := map[Op][]Status{
		OpStart:  {Created},
		OpKill:   {Created, Running, Paused},
		OpDelete: {Created, Stopped},
		OpPause:  {Running},
		OpResume: {Paused},
		OpWait:   {Created, Running, Paused, Stopped},
		OpState:  Statuses,
	}
	for _, op := range Ops {
		for _, s := range Statuses {
			want := false
			for _, a := range ok[op] {
				want = want || a == s
			}
			err := CheckOp(op, "box", s)
			if (err == nil) != want {
				t.Errorf("CheckOp(%s, %s) = %v, want allowed=%v", op, s, err, want)
			}
			if err != nil {
				msg := "cannot " + string(op) + " container box: container is " + string(s)
				if op == OpKill && s == Stopped {
					// runc's words, which containerd's shims recognise.
					msg = "cannot kill container box: container not running"
				}
				if err.Error() != msg {
					t.Errorf("CheckOp(%s, %s) = %q, want %q", op, s, err, msg)
				}
			}
		}
	}
}

func TestValidateID(t *testing.T) {
	for _, id := range []string{"a", "abc-123", "A_b.c+d", strings.Repeat("f", 64), "..a"} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "../x", "/abs", "sp ace", "new\nline", strings.Repeat("x", 256)} {
		if err := ValidateID(id); err == nil {
			t.Errorf("ValidateID(%q) = nil, want an error", id)
		}
	}
}
