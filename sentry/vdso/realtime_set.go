package vdso

import "sync"

// Steps of the sandbox's CLOCK_REALTIME. The sandbox cannot set its clock, but it follows
// the host's: when the host's realtime clock is set, the sandbox's line is stepped to it
// (update). That is a "clock was set" event, which timerfds armed with
// TFD_TIMER_CANCEL_ON_SET report as ECANCELED.
//
// Lock order: timekeeper.mu, then realtimeSet.mu. Hooks run without realtimeSet.mu held, so
// they may take their own locks (and register or cancel hooks).
var realtimeSet struct {
	mu    sync.Mutex
	next  uint64
	hooks map[uint64]func()
}

// OnRealtimeSet registers f, called whenever CLOCK_REALTIME is stepped, until the returned
// cancel function is called.
func OnRealtimeSet(f func()) (cancel func()) {
	realtimeSet.mu.Lock()
	defer realtimeSet.mu.Unlock()
	if realtimeSet.hooks == nil {
		realtimeSet.hooks = make(map[uint64]func())
	}
	id := realtimeSet.next
	realtimeSet.next++
	realtimeSet.hooks[id] = f
	return func() {
		realtimeSet.mu.Lock()
		delete(realtimeSet.hooks, id)
		realtimeSet.mu.Unlock()
	}
}

// notifyRealtimeSet calls every registered hook.
func notifyRealtimeSet() {
	realtimeSet.mu.Lock()
	hooks := make([]func(), 0, len(realtimeSet.hooks))
	for _, f := range realtimeSet.hooks {
		hooks = append(hooks, f)
	}
	realtimeSet.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}
