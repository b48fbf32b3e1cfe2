package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewPaths(t *testing.T) {
	for _, tc := range []struct {
		path, id string
		systemd  bool
		want     string
		err      string
	}{
		{"", "c1", false, "/c1", ""},
		{"/a/b", "c1", false, "/a/b", ""},
		{"a/b/../c", "c1", false, "/a/c", ""},
		{"system.slice:docker:abc", "c1", true, "/system.slice/docker-abc.scope", ""},
		{":runsc:abc", "c1", true, "/system.slice/runsc-abc.scope", ""},
		{"user.slice::my.slice", "c1", true, "/user.slice/my.slice", ""},
		{"/plain/path", "c1", true, "", "must be slice:prefix:name"},
		{"/", "c1", false, "", "names the root cgroup"},
	} {
		cg, err := New(tc.path, tc.id, tc.systemd)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q, systemd=%v) = %v, want error %q", tc.path, tc.systemd, err, tc.err)
			}
			continue
		}
		if err != nil || cg.Path != tc.want {
			t.Errorf("New(%q, systemd=%v) = %+v, %v; want path %s", tc.path, tc.systemd, cg, err, tc.want)
		}
	}
}

// fakeV1 makes a v1 layout under a temporary Root with the controllers' files present.
func fakeV1(t *testing.T) {
	t.Helper()
	old := Root
	Root = t.TempDir()
	t.Cleanup(func() { Root = old })
	for _, c := range v1Controllers {
		if err := os.MkdirAll(filepath.Join(Root, c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(Root, "cpuset", "cpuset.cpus"), []byte("0-3\n"), 0o644)
	os.WriteFile(filepath.Join(Root, "cpuset", "cpuset.mems"), []byte("0\n"), 0o644)
}

func read(t *testing.T, parts ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{Root}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestApplyV1 checks which files the v1 limits go to, and that a new cpuset cgroup
// inherits its parent's cpus and mems.
func TestApplyV1(t *testing.T) {
	fakeV1(t)
	cg := &Cgroup{Path: "/x/c"}
	if err := cg.Create(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, "cpuset", "x", "c", "cpuset.cpus"); got != "0-3" {
		t.Fatalf("inherited cpuset.cpus %q", got)
	}
	mem, swap, quota := int64(1<<20), int64(2<<20), int64(5000)
	shares, period := uint64(100), uint64(10000)
	pids := int64(0)
	r := Resources{MemoryLimit: &mem, MemorySwap: &swap, CPUShares: &shares, CPUQuota: &quota, CPUPeriod: &period, CPUs: "1", Mems: "0", PidsLimit: &pids}
	if r.Empty() {
		t.Fatal("Empty")
	}
	if err := cg.Apply(r); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/x/c/memory.limit_in_bytes": "1048576", "memory/x/c/memory.memsw.limit_in_bytes": "2097152",
		"cpu/x/c/cpu.shares": "100", "cpu/x/c/cpu.cfs_quota_us": "5000", "cpu/x/c/cpu.cfs_period_us": "10000",
		"cpuset/x/c/cpuset.cpus": "1", "cpuset/x/c/cpuset.mems": "0",
	} {
		if got := read(t, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	var m Resources
	m.Merge(Resources{CPUs: "2", MemoryLimit: &mem})
	if m.CPUs != "2" || m.MemoryLimit != &mem || m.PidsLimit != nil || (&Resources{}).Empty() != true {
		t.Fatalf("Merge: %+v", m)
	}
}

// TestApplyV2 checks the v2 files and conversions (shares to weight, quota and period
// to cpu.max, memsw to swap.max).
func TestApplyV2(t *testing.T) {
	old := Root
	Root = t.TempDir()
	t.Cleanup(func() { Root = old })
	cg := &Cgroup{Path: "/c", V2: true}
	if err := os.MkdirAll(filepath.Join(Root, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	mem, swap, quota := int64(1<<20), int64(3<<20), int64(20000)
	shares := uint64(1024)
	pids := int64(9)
	if err := cg.Apply(Resources{MemoryLimit: &mem, MemorySwap: &swap, CPUShares: &shares, CPUQuota: &quota, PidsLimit: &pids, CPUs: "1", Mems: "0"}); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"c/memory.max": "1048576", "c/memory.swap.max": "2097152", "c/cpu.weight": "39",
		"c/cpu.max": "20000 100000", "c/cpuset.cpus": "1", "c/cpuset.mems": "0",
	} {
		if got := read(t, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// The pids limit is the sentry's to enforce: the host's pids.max would count the
	// sandbox's own threads.
	if _, err := os.Stat(filepath.Join(Root, "c", "pids.max")); !os.IsNotExist(err) {
		t.Errorf("pids.max written: %v", err)
	}
}

// TestApplyV1MemoryAndDevices: swappiness and the OOM killer go to the memory controller,
// device rules to devices.allow and devices.deny in their order (the fake files keep the
// last write), written as the kernel takes them.
func TestApplyV1MemoryAndDevices(t *testing.T) {
	fakeV1(t)
	cg := &Cgroup{Path: "/d"}
	if err := cg.Create(); err != nil {
		t.Fatal(err)
	}
	sw, off := uint64(10), true
	one, three := int64(1), int64(3)
	r := Resources{MemorySwappiness: &sw, DisableOOMKiller: &off, Devices: []DeviceRule{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: &one, Minor: &three, Access: "rwm"},
		{Allow: true, Type: "b", Major: &one, Access: "r"},
	}}
	if r.Empty() {
		t.Fatal("Empty")
	}
	if err := cg.Apply(r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ctl, file, want string }{
		{"memory", "memory.swappiness", "10"}, {"memory", "memory.oom_control", "1"},
		{"devices", "devices.deny", "a *:* rwm"}, {"devices", "devices.allow", "b 1:* r"},
	} {
		if got := read(t, c.ctl, "d", c.file); got != c.want {
			t.Errorf("%s/%s = %q, want %q", c.ctl, c.file, got, c.want)
		}
	}
}
