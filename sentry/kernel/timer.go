package kernel

import (
	"math"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/vdso"
)

// Clocks and timers.
//
// A Clock reads nanoseconds on its own timeline: the host's wall and monotonic clocks
// (which the application cannot tell apart from Linux's), or a CPU clock of a task or a
// process (timer_cpuclock.go). A Timer expires when its clock reaches a value, optionally
// reloading with an interval, and reports each expiration batch (with the number of
// intervals that passed) to its owner: an itimer, a POSIX timer or a timerfd.
//
// Wall-clock timers use Go timers (time.AfterFunc) and re-read their clock when they fire.
// CPU-clock timers are sampled: while at least one is armed, a per-process goroutine reads
// CPU time every cpuTimerTick (5 ms) and fires those that expired, so a CPU timer is late by
// at most about one tick (Linux checks at the scheduler tick too). Nothing is sampled while
// no CPU timer is armed.
//
// Locking: Timer.mu is taken before Kernel.mu, ThreadGroup.mu and taskCPUClock.mu (reading
// a CPU clock) and before tgTimers.mu; ThreadGroup.mu is taken before tgTimers.mu (signal
// dequeue looks up a POSIX timer); nothing takes Timer.mu or ThreadGroup.mu with
// tgTimers.mu held. Expiration callbacks run with no timer lock held.

// cpuTimerTick is how often armed CPU-clock timers are checked.
const cpuTimerTick = 5 * time.Millisecond

// minRearm is the shortest wait between two firings of a periodic wall-clock timer.
const minRearm = 100 * time.Microsecond

// Clock is a clock timers and clock_gettime read.
type Clock interface {
	// Now returns the clock's current value in nanoseconds.
	Now() int64
}

// WallClock is a clock of the wall-clock kind (CLOCK_REALTIME, CLOCK_MONOTONIC,
// CLOCK_BOOTTIME...): the sandbox's own for those the vDSO computes (vdso.Now), the host's
// for the others.
type WallClock int32

// Now implements Clock.
func (c WallClock) Now() int64 {
	if ns, ok := vdso.Now(int32(c)); ok {
		return ns
	}
	var ts unix.Timespec
	if unix.ClockGettime(int32(c), &ts) != nil {
		return 0
	}
	return ts.Nano()
}

// CPU clock kinds (the low bits of a CPU clock id: CPUCLOCK_PROF, VIRT, SCHED).
const (
	CPUProf  = 0 // user + system
	CPUVirt  = 1 // user only
	CPUSched = 2 // user + system (what clock_gettime reports)
)

// CPUClock is the CPU clock of a task (Task set) or of a process.
type CPUClock struct {
	Task *Task
	TG   *ThreadGroup
	Kind int
}

// Now implements Clock.
func (c CPUClock) Now() int64 {
	var v CPUTime
	if c.Task != nil {
		v = c.Task.CPUClock()
	} else {
		v = c.TG.ProcessCPUClock()
	}
	if c.Kind == CPUVirt {
		return int64(v.User)
	}
	return int64(v.User + v.Sys)
}

// owner returns the process whose sampler checks timers on c.
func (c CPUClock) owner() *ThreadGroup {
	if c.Task != nil {
		return c.Task.tg
	}
	return c.TG
}

// ResolveClock returns the clock a clockid_t names: the host clocks, CLOCK_PROCESS_CPUTIME_ID
// and CLOCK_THREAD_CPUTIME_ID, and the per-process and per-thread CPU clock ids of
// clock_getcpuclockid and pthread_getcpuclockid (negative: ~pid << 3 | kind, bit 2 for a
// thread). EINVAL for anything else. sameGroup requires a thread clock's task to be in the
// caller's process (timers; reading any thread's clock is allowed).
func (t *Task) ResolveClock(id int32, sameGroup bool) (Clock, error) {
	switch id {
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_RAW,
		unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC_COARSE, unix.CLOCK_BOOTTIME,
		unix.CLOCK_TAI:
		return WallClock(id), nil
	case unix.CLOCK_PROCESS_CPUTIME_ID:
		return CPUClock{TG: t.tg, Kind: CPUSched}, nil
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return CPUClock{Task: t, Kind: CPUSched}, nil
	}
	if id >= 0 {
		return nil, unix.EINVAL
	}
	kind := int(id & 3)
	if kind == 3 {
		return nil, unix.EINVAL
	}
	pid := ^(id >> 3)
	if id&4 != 0 {
		target := t
		if pid != 0 {
			target = t.PIDNamespace().TaskWithID(pid)
		}
		if target == nil || (sameGroup && target.tg != t.tg) {
			return nil, unix.EINVAL
		}
		return CPUClock{Task: target, Kind: kind}, nil
	}
	tg := t.tg
	if pid != 0 {
		tg = t.PIDNamespace().ThreadGroupWithID(pid)
	}
	if tg == nil {
		return nil, unix.EINVAL
	}
	return CPUClock{TG: tg, Kind: kind}, nil
}

// Timer is a one-shot or periodic timer on a Clock.
type Timer struct {
	clock Clock
	// fire is called with the number of expirations (at least 1) each time the timer
	// expires, with no timer lock held.
	fire func(n uint64)

	mu sync.Mutex
	// next is the clock value of the next expiration (0: disarmed), interval the reload
	// (0: one-shot). Guarded by mu.
	next, interval int64
	// gen counts arms and disarms, so that a stale Go timer does nothing. Guarded by mu.
	gen uint64
	// wall is the Go timer of a wall-clock timer. Guarded by mu.
	wall *time.Timer
	// stopped is set by Destroy: the timer never fires again. Guarded by mu.
	stopped bool
}

// NewTimer returns a disarmed timer on c that calls fire on expirations.
func NewTimer(c Clock, fire func(n uint64)) *Timer {
	return &Timer{clock: c, fire: fire}
}

// Clock returns the timer's clock.
func (tm *Timer) Clock() Clock { return tm.clock }

// Get returns the time left until the next expiration (0: disarmed) and the interval.
func (tm *Timer) Get() (value, interval time.Duration) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.getLocked()
}

func (tm *Timer) getLocked() (value, interval time.Duration) {
	if tm.next == 0 {
		return 0, time.Duration(tm.interval)
	}
	// An expired timer not yet processed reports 1 ns left, never 0 (which means disarmed).
	return time.Duration(max(tm.next-tm.clock.Now(), 1)), time.Duration(tm.interval)
}

// Set arms the timer to expire after value (at clock value value if abs), then every
// interval; a zero value disarms it. It returns the previous setting, as Get.
func (tm *Timer) Set(value, interval time.Duration, abs bool) (oldValue, oldInterval time.Duration) {
	tm.mu.Lock()
	oldValue, oldInterval = tm.getLocked()
	if tm.stopped {
		tm.mu.Unlock()
		return
	}
	tm.gen++
	if tm.wall != nil {
		tm.wall.Stop()
		tm.wall = nil
	}
	tm.interval = int64(interval)
	if value == 0 {
		tm.next = 0
		tm.mu.Unlock()
		tm.unregisterCPU()
		return
	}
	now := tm.clock.Now()
	if abs {
		tm.next = max(int64(value), 1)
	} else {
		tm.next = satAdd(now, int64(value))
	}
	gen := tm.gen
	if _, ok := tm.clock.(CPUClock); !ok {
		tm.scheduleLocked(now, gen)
	}
	tm.mu.Unlock()
	if _, ok := tm.clock.(CPUClock); ok {
		tm.registerCPU()
	}
	return
}

// satAdd returns a + b for b >= 0, saturating at the largest int64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// scheduleLocked starts a Go timer for a wall-clock timer's next expiration.
//
// Preconditions: tm.mu is held; the timer is armed.
func (tm *Timer) scheduleLocked(now int64, gen uint64) {
	// At most one Go timer is pending: a check run by Poll, or by a timer that fired,
	// replaces the one still to come.
	if tm.wall != nil {
		tm.wall.Stop()
	}
	tm.wall = time.AfterFunc(time.Duration(max(tm.next-now, 0)), func() { tm.check(gen) })
}

// check fires the timer if its clock has reached the next expiration, and reloads or
// disarms it. gen 0 means "whatever the generation" (the CPU sampler).
func (tm *Timer) check(gen uint64) {
	tm.mu.Lock()
	if tm.stopped || tm.next == 0 || (gen != 0 && gen != tm.gen) {
		tm.mu.Unlock()
		return
	}
	_, cpu := tm.clock.(CPUClock)
	now := tm.clock.Now()
	if now < tm.next {
		if !cpu {
			tm.scheduleLocked(now, tm.gen)
		}
		tm.mu.Unlock()
		return
	}
	n := uint64(1)
	if tm.interval > 0 {
		n += uint64((now - tm.next) / tm.interval)
		if tm.interval > (math.MaxInt64-tm.next)/int64(n) {
			tm.next, tm.interval = 0, 0 // the next expiration is past the end of time
		} else {
			tm.next += int64(n) * tm.interval
		}
		if !cpu && tm.next != 0 {
			// A tiny interval does not make the timer goroutine spin: it wakes at most
			// every minRearm, and the expirations in between are counted in n.
			tm.scheduleLocked(min(now, tm.next-int64(minRearm)), tm.gen)
		}
	} else {
		tm.next = 0
	}
	disarmed := tm.next == 0
	tm.mu.Unlock()
	if disarmed && cpu {
		tm.unregisterCPU()
	}
	tm.fire(n)
}

// Poll fires the timer now if its clock has passed the next expiration, with every
// period elapsed since counted, as Linux's timerfd read forwards the timer
// (hrtimer_forward_now) instead of waiting for the Go timer, which a loaded host may run
// late (and which wakes at most every minRearm).
func (tm *Timer) Poll() {
	tm.mu.Lock()
	due := !tm.stopped && tm.next != 0 && tm.clock.Now() >= tm.next
	gen := tm.gen
	tm.mu.Unlock()
	if due {
		tm.check(gen)
	}
}

// Destroy disarms the timer for good.
func (tm *Timer) Destroy() {
	tm.mu.Lock()
	tm.stopped = true
	tm.next = 0
	tm.gen++
	if tm.wall != nil {
		tm.wall.Stop()
		tm.wall = nil
	}
	tm.mu.Unlock()
	tm.unregisterCPU()
}

func (tm *Timer) registerCPU() {
	if c, ok := tm.clock.(CPUClock); ok {
		c.owner().timers.addCPUTimer(tm)
	}
}

func (tm *Timer) unregisterCPU() {
	if c, ok := tm.clock.(CPUClock); ok {
		c.owner().timers.removeCPUTimer(tm)
	}
}

// tgTimers are a process's timers.
type tgTimers struct {
	mu sync.Mutex
	// itimers are ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF (nil until first set).
	// Guarded by mu.
	itimers [3]*Timer
	// posix are the POSIX timers by id, and nextID the next id to try. Guarded by mu.
	posix  map[int32]*posixTimer
	nextID int32
	// cpu are the armed CPU-clock timers the sampler checks; sampling is set while the
	// sampler goroutine runs. Guarded by mu.
	cpu      map[*Timer]struct{}
	sampling bool
	// cpuFloor is the highest process CPU time reported (ProcessCPUClock). Guarded by mu.
	cpuFloor CPUTime
	// dead is set when the process has exited: no timer may be armed. Guarded by mu.
	dead bool
}

func (ts *tgTimers) addCPUTimer(tm *Timer) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dead {
		return
	}
	if ts.cpu == nil {
		ts.cpu = make(map[*Timer]struct{})
	}
	ts.cpu[tm] = struct{}{}
	if !ts.sampling {
		ts.sampling = true
		go ts.sample()
	}
}

func (ts *tgTimers) removeCPUTimer(tm *Timer) {
	ts.mu.Lock()
	delete(ts.cpu, tm)
	ts.mu.Unlock()
}

// sample is the CPU-timer sampler goroutine: it runs while CPU timers are armed.
func (ts *tgTimers) sample() {
	tick := time.NewTicker(cpuTimerTick)
	defer tick.Stop()
	var batch []*Timer
	for range tick.C {
		ts.mu.Lock()
		if len(ts.cpu) == 0 || ts.dead {
			ts.sampling = false
			ts.mu.Unlock()
			return
		}
		batch = batch[:0]
		for tm := range ts.cpu {
			batch = append(batch, tm)
		}
		ts.mu.Unlock()
		for _, tm := range batch {
			tm.check(0)
		}
	}
}

// stopTimers destroys every timer of the process (the last task has exited).
func (tg *ThreadGroup) stopTimers() {
	ts := &tg.timers
	ts.mu.Lock()
	ts.dead = true
	var all []*Timer
	for _, tm := range ts.itimers {
		if tm != nil {
			all = append(all, tm)
		}
	}
	for id, pt := range ts.posix {
		all = append(all, pt.timer)
		delete(ts.posix, id)
	}
	ts.mu.Unlock()
	for _, tm := range all {
		tm.Destroy()
	}
}
