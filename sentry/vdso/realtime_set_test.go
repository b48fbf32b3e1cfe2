package vdso

import "testing"

func TestRealtimeSetHooks(t *testing.T) {
	var a, b int
	stopA := OnRealtimeSet(func() { a++ })
	stopB := OnRealtimeSet(func() { b++ })
	notifyRealtimeSet()
	stopA()
	notifyRealtimeSet()
	stopB()
	notifyRealtimeSet()
	if a != 1 || b != 2 {
		t.Fatalf("hook calls: a=%d b=%d, want 1 and 2", a, b)
	}
}
