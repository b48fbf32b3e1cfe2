// Command goprog is the static Go program of the differential tests: it
// exercises the Go runtime's use of threads, futexes, signals and memory in
// the sandbox and prints only results that are the same on every run.
//
// It starts 64 goroutines that do deterministic work and pass results over
// channels, guards a shared map with a mutex, fills and checksums a 100 MiB
// allocation, and checks that time.Sleep(50ms) lets at least 50ms pass.
// The exit status is 1 if any check failed.
package main

import (
	"errors"
	"fmt"
	"hash/crc64"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	workers = 64
	steps   = 20000
	bigSize = 100 << 20
)

// collatzSteps returns the total number of Collatz steps for the numbers in
// [from, from+n): CPU-bound work with a known, deterministic answer.
func collatzSteps(from, n uint64) uint64 {
	var total uint64
	for x := from; x < from+n; x++ {
		for v := x; v > 1; total++ {
			if v%2 == 0 {
				v /= 2
			} else {
				v = 3*v + 1
			}
		}
	}
	return total
}

type result struct {
	id    int
	steps uint64
}

func main() {
	failed := false
	check := func(name string, ok bool) {
		if ok {
			fmt.Printf("%s: ok\n", name)
		} else {
			fmt.Printf("%s: FAIL\n", name)
			failed = true
		}
	}

	// Goroutines: work fanned out over a channel, results fanned back in,
	// and a mutex-guarded map that every goroutine writes to.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		seen    = map[int]int{}
		counter int
	)
	jobs := make(chan int)
	results := make(chan result, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				s := collatzSteps(uint64(id*steps+1), steps/workers)
				mu.Lock()
				seen[id]++
				for j := 0; j < 1000; j++ {
					counter++
				}
				mu.Unlock()
				runtime.Gosched()
				results <- result{id, s}
			}
		}()
	}
	go func() {
		for i := 0; i < workers; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var all []result
	for r := range results {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	var total uint64
	for _, r := range all {
		total += r.steps
	}
	fmt.Printf("goroutines=%d results=%d\n", workers, len(all))
	fmt.Printf("collatz steps=%d\n", total)
	fmt.Printf("first=%d last=%d\n", all[0].steps, all[len(all)-1].steps)
	fmt.Printf("counter=%d\n", counter)
	check("every job done exactly once", len(seen) == workers && func() bool {
		for _, n := range seen {
			if n != 1 {
				return false
			}
		}
		return true
	}())

	// A 100 MiB allocation, filled with a pattern and checksummed.
	big := make([]byte, bigSize)
	zero := true
	for i := 0; i < len(big); i += 4096 {
		if big[i] != 0 {
			zero = false
		}
	}
	check("100 MiB allocation zeroed", zero)
	for i := range big {
		big[i] = byte(i*31 + i>>12)
	}
	fmt.Printf("100 MiB crc64=%016x\n", crc64.Checksum(big, crc64.MakeTable(crc64.ECMA)))
	big = nil
	runtime.GC()

	// Sleeping really sleeps.
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	elapsed := time.Since(start)
	check("time.Sleep(50ms) takes at least 50ms", elapsed >= 50*time.Millisecond)
	check("time.Sleep(50ms) takes under 5s", elapsed < 5*time.Second)

	// A timer and a ticker through select.
	tick := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	timeout := time.After(2 * time.Second)
loop:
	for {
		select {
		case <-tick.C:
			ticks++
			if ticks == 3 {
				break loop
			}
		case <-timeout:
			break loop
		}
	}
	tick.Stop()
	check("ticker fired 3 times", ticks == 3)

	// Signals: os/signal receives a SIGUSR1 sent to the process, through the runtime's
	// handler and its signal-forwarding goroutine.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case s := <-sigs:
		check("signal.Notify got SIGUSR1", s == syscall.SIGUSR1)
	case <-time.After(5 * time.Second):
		check("signal.Notify got SIGUSR1", false)
	}
	signal.Stop(sigs)

	// os/exec: fork+exec of a host program through the sandbox's own filesystem, with a
	// pipe for its output and wait for its exit status.
	out, err := exec.Command("/bin/echo", "from", "exec").Output()
	check("os/exec output", err == nil && string(out) == "from exec\n")
	err = exec.Command("/bin/sh", "-c", "exit 7").Run()
	var ee *exec.ExitError
	check("os/exec exit status 7", errors.As(err, &ee) && ee.ExitCode() == 7)

	// Asynchronous preemption: with one P, a goroutine spinning without calls is preempted
	// only by a SIGURG the runtime sends to its thread, so that this goroutine runs again.
	prev := runtime.GOMAXPROCS(1)
	var spin sync.WaitGroup
	var stopSpin atomic.Bool
	spin.Add(1)
	go func() {
		defer spin.Done()
		for !stopSpin.Load() {
		}
	}()
	time.Sleep(20 * time.Millisecond)
	stopSpin.Store(true)
	spin.Wait()
	runtime.GOMAXPROCS(prev)
	check("a spinning goroutine was preempted", true)

	if failed {
		os.Exit(1)
	}
}
