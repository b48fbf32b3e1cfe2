package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// process is a host process: its pid and its command line, arguments joined by spaces.
type process struct {
	pid     int
	args    []string
	cmdline string
}

// processes lists the host's processes (those that exit while being read are skipped).
func processes() []process {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	var ps []process
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
		ps = append(ps, process{pid: pid, args: args, cmdline: strings.Join(args, " ")})
	}
	return ps
}

// bootProcesses maps a sandbox id to the pids of the `runsc ... boot --bundle=B ID`
// processes (the sentry: runsc re-executes itself with the boot command, the id last).
func bootProcesses() map[string][]int {
	m := map[string][]int{}
	for _, p := range processes() {
		boot, bundle := false, false
		for _, a := range p.args {
			boot = boot || a == "boot"
			bundle = bundle || strings.HasPrefix(a, "--bundle=")
		}
		if boot && bundle {
			id := p.args[len(p.args)-1]
			m[id] = append(m[id], p.pid)
		}
	}
	return m
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []process {
	var ps []process
	for _, p := range processes() {
		if strings.Contains(p.cmdline, s) {
			ps = append(ps, p)
		}
	}
	return ps
}

// mountsMentioning lists the mount points (of the host's mount namespace) whose path
// contains s.
func mountsMentioning(s string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []string{"reading /proc/self/mountinfo: " + err.Error()}
	}
	var ms []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.Contains(f[4], s) {
			ms = append(ms, f[4])
		}
	}
	return ms
}
