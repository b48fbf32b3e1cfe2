package container

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// procStat returns a process's state letter and start time (in clock ticks since boot,
// field 22 of /proc/PID/stat): with the pid, the start time identifies a process even if
// its pid is reused later.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may contain anything: the fields
	// after it start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := bytes.Fields(data[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	return fields[0][0], start, nil
}

// processStartTime returns pid's start time.
func processStartTime(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// alive reports whether the process pid that started at start still runs (a zombie does
// not count: it has exited and only waits for its parent).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	state, s, err := procStat(pid)
	return err == nil && s == start && state != 'Z' && state != 'X'
}

// waitGone waits up to d for the process (pid, start) to exit. It reports whether it did.
func waitGone(pid int, start uint64, d time.Duration) bool {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return !alive(pid, start)
	}
	defer unix.Close(pfd)
	// The pidfd refers to whatever process has pid now: make sure it is ours.
	if !alive(pid, start) {
		return true
	}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(pfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return !alive(pid, start)
		}
		if n > 0 {
			return true
		}
	}
}

// killProcess sends sig to the process (pid, start) if it is still that process.
func killProcess(pid int, start uint64, sig unix.Signal) error {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return nil
		}
		return err
	}
	defer unix.Close(pfd)
	if !alive(pid, start) {
		return nil
	}
	if err := unix.PidfdSendSignal(pfd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return err
	}
	return nil
}

// sessionPIDs lists the live processes of session sid (a sandbox is its session's leader,
// with the platform's stub processes).
func sessionPIDs(sid int) []int {
	if sid <= 0 {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(data[i+1:])
		// f[0] is the state, f[3] the session.
		if len(f) > 3 && string(f[3]) == strconv.Itoa(sid) && f[0][0] != 'Z' {
			out = append(out, pid)
		}
	}
	return out
}
