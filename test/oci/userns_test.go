package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The container's ids 0-65535 are the host's 100000-165535, as docker's userns-remap
// makes them.
const (
	usernsHostBase = 100000
	usernsSize     = 65536
)

// newUsernsEnv is a busybox bundle whose config.json asks for a user namespace mapping
// the container's ids to usernsHostBase, with the capabilities a root process needs to
// own files (as Docker gives them) and a writable root. The bundle lives in a directory
// only the host's root may search, as runtime-tools' and containerd's do: the gofer, a
// host user of the mapping, must get the rootfs from runsc, not walk to it.
func newUsernsEnv(t *testing.T, script string) *env {
	e := newBusyboxEnv(t, script)
	if err := os.Chmod(e.bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	e.editSpec(func(m map[string]any) {
		m["root"].(map[string]any)["readonly"] = false
		caps := m["process"].(map[string]any)["capabilities"].(map[string]any)
		for _, set := range []string{"bounding", "effective", "permitted"} {
			caps[set] = append(caps[set].([]any), "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
		}
		l := m["linux"].(map[string]any)
		l["namespaces"] = append(l["namespaces"].([]any), map[string]any{"type": "user"})
		idmap := []any{map[string]any{"containerID": 0, "hostID": usernsHostBase, "size": usernsSize}}
		l["uidMappings"], l["gidMappings"] = idmap, idmap
	})
	return e
}

// owner is the host uid:gid of path.
func owner(t *testing.T, path string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
}

// TestUserNamespaceFiles: with linux.uidMappings and gidMappings, the container sees host
// files with its own ids (the host's unmapped root as the overflow id), the files it makes
// and the owners it sets are the mapped host ids, an id outside the mapping is EINVAL, a
// host root file is not the container root's to write (its CAP_DAC_OVERRIDE does not reach
// an unmapped owner), and /proc/self/uid_map shows the mapping: what runc gives a
// container in such a namespace. Through the root and through a bind mount.
func TestUserNamespaceFiles(t *testing.T) {
	t.Parallel()
	e := newUsernsEnv(t, `
bb=/bin/busybox
$bb stat -c '%u:%g %n' /data /data/mapped /data/hostroot /vol/mapped
cat /proc/self/uid_map /proc/self/gid_map
$bb touch /data/new /vol/new && $bb stat -c '%u:%g %n' /data/new /vol/new
$bb touch /data/chowned && $bb chown 5:6 /data/chowned && $bb stat -c '%u:%g %n' /data/chowned
$bb chown 70000 /data/chowned 2>/dev/null || echo "chown 70000: refused"
echo x 2>/dev/null >/data/hostroot || echo "write hostroot: refused"
id -u`)
	data := filepath.Join(e.bundle, "rootfs", "data")
	vol := filepath.Join(t.TempDir(), "vol")
	for _, d := range []string{data, vol} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "mapped"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{d, filepath.Join(d, "mapped")} {
			if err := os.Chown(p, usernsHostBase, usernsHostBase); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The image belongs to the container's root, as docker's userns-remap makes it (the
	// mount point /vol is made in it).
	if err := filepath.Walk(filepath.Join(e.bundle, "rootfs"), func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, usernsHostBase, usernsHostBase)
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "hostroot"), []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.addMount("/vol", "bind", vol, "rbind", "rw")
	r := e.must("--overlay=none", "run", "u")
	want := fmt.Sprintf(`0:0 /data
0:0 /data/mapped
65534:65534 /data/hostroot
0:0 /vol/mapped
%[1]s%[1]s0:0 /data/new
0:0 /vol/new
5:6 /data/chowned
chown 70000: refused
write hostroot: refused
0
`, fmt.Sprintf("%10d %10d %10d\n", 0, usernsHostBase, usernsSize))
	if r.stdout != want {
		t.Fatalf("in the container:\n%s\nwant:\n%s\nstderr: %s", r.stdout, want, r.stderr)
	}
	base := fmt.Sprint(usernsHostBase)
	for path, want := range map[string]string{
		filepath.Join(data, "new"):      base + ":" + base,
		filepath.Join(vol, "new"):       base + ":" + base,
		filepath.Join(data, "chowned"):  fmt.Sprintf("%d:%d", usernsHostBase+5, usernsHostBase+6),
		filepath.Join(data, "hostroot"): "0:0",
	} {
		if got := owner(t, path); got != want {
			t.Errorf("host owner of %s: %s, want %s", path, got, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(data, "hostroot")); string(b) != "host\n" {
		t.Errorf("host root's file was written: %q", b)
	}
}

// TestUserNamespaceProcesses: the sandbox runs in a user namespace of its own mapping only
// the caller (it touches no host file) and confines itself as always; the gofer runs in one
// with the spec's mappings, as their uid 0.
func TestUserNamespaceProcesses(t *testing.T) {
	t.Parallel()
	e := newUsernsEnv(t, "sleep 60")
	e.must("create", "u")
	e.must("start", "u")
	s := e.state("u")
	self, _ := os.Readlink("/proc/self/ns/user")
	if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", s.Pid)); ns == "" || ns == self {
		t.Errorf("sandbox %d user namespace %q, want a new one (ours %q)", s.Pid, ns, self)
	}
	if m, _ := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", s.Pid)); strings.Join(strings.Fields(string(m)), " ") != "0 0 1" {
		t.Errorf("sandbox uid_map %q, want 0 0 1 (the caller, root, only)", m)
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid))
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("sandbox status lacks %q:\n%s", want, status)
		}
	}
	goferPid, _ := rawState(t, e.root, "u")
	for _, f := range []string{"uid_map", "gid_map"} {
		m, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", goferPid, f))
		if got, want := strings.Join(strings.Fields(string(m)), " "), fmt.Sprintf("0 %d %d", usernsHostBase, usernsSize); got != want {
			t.Errorf("gofer %s %q, want %q", f, got, want)
		}
	}
	gstatus, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", goferPid))
	if want := fmt.Sprintf("Uid:\t%[1]d\t%[1]d\t%[1]d\t%[1]d\n", usernsHostBase); !strings.Contains(string(gstatus), want) {
		t.Errorf("gofer status lacks %q:\n%s", want, gstatus)
	}
	e.must("delete", "--force", "u")
}

// TestUserNamespaceBadSpec: what runc refuses is refused with a message naming it, and a
// user namespace we cannot give is refused rather than ignored; no state is left.
func TestUserNamespaceBadSpec(t *testing.T) {
	t.Parallel()
	e := newUsernsEnv(t, "true")
	idmap := func(cid, hid, size int) []any {
		return []any{map[string]any{"containerID": cid, "hostID": hid, "size": size}}
	}
	for _, tc := range []struct {
		name string
		edit func(l map[string]any)
		want string
	}{
		{"no uid mappings", func(l map[string]any) { delete(l, "uidMappings") }, "has a user namespace but linux.uidMappings or linux.gidMappings is empty"},
		{"mappings without namespace", func(l map[string]any) {
			l["namespaces"] = l["namespaces"].([]any)[:len(l["namespaces"].([]any))-1]
		}, "linux.uidMappings or linux.gidMappings is set but there is no user namespace"},
		{"path", func(l map[string]any) {
			ns := l["namespaces"].([]any)
			ns[len(ns)-1] = map[string]any{"type": "user", "path": "/proc/self/ns/user"}
		}, "joining user namespace /proc/self/ns/user is not supported"},
		{"no root", func(l map[string]any) { l["uidMappings"] = idmap(1, usernsHostBase, 10) }, `"linux.uidMappings" does not map id 0`},
		{"empty range", func(l map[string]any) { l["gidMappings"] = idmap(0, usernsHostBase, 0) }, `"linux.gidMappings[0]": containerID 0, hostID 100000, size 0 is not a range of 32-bit ids`},
		{"past 32 bits", func(l map[string]any) { l["uidMappings"] = idmap(0, 1<<32-10, 20) }, "is not a range of 32-bit ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(e.bundle, "config.json")
			data, _ := os.ReadFile(cfg)
			defer os.WriteFile(cfg, data, 0o644)
			e.t = t
			e.editSpec(func(m map[string]any) { tc.edit(m["linux"].(map[string]any)) })
			e.fails(tc.want, "create", "bad")
			if ents, _ := os.ReadDir(e.root); len(ents) != 0 {
				t.Fatalf("state left in the root: %v", ents)
			}
		})
	}
	// The env's cleanup runs runsc through e.t: the test's, not a finished subtest's
	// (whose temporary directories would never be removed).
	e.t = t
}
