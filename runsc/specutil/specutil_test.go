package specutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/boot"
)

// goodSpec is a minimal valid config.json, as a map so that tests can break it.
func goodSpec() map[string]any {
	return map[string]any{
		"ociVersion": "1.2.0",
		"process": map[string]any{
			"args": []any{"/bin/true"},
			"env":  []any{"PATH=/bin"},
			"cwd":  "/",
			"user": map[string]any{"uid": 0, "gid": 0},
		},
		"root":     map[string]any{"path": "rootfs"},
		"hostname": "box",
		"linux": map[string]any{
			"namespaces": []any{map[string]any{"type": "pid"}, map[string]any{"type": "uts"}},
		},
	}
}

func writeBundle(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func marshal(t *testing.T, m map[string]any) string {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadGoodSpec(t *testing.T) {
	dir := writeBundle(t, marshal(t, goodSpec()))
	spec, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	c := ContainerConfig("id", spec, dir)
	if c.Root != filepath.Join(dir, "rootfs") || c.Args[0] != "/bin/true" || c.Hostname != "box" || c.Cwd != "/" {
		t.Fatalf("ContainerConfig = %+v", c)
	}
}

func TestRlimitsAndMountsConverted(t *testing.T) {
	m := goodSpec()
	p := m["process"].(map[string]any)
	p["rlimits"] = []any{map[string]any{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}}
	p["user"] = map[string]any{"uid": 5, "gid": 6, "additionalGids": []any{7, 8}}
	p["noNewPrivileges"] = true
	m["mounts"] = []any{map[string]any{"destination": "/proc", "type": "proc", "source": "proc"}}
	m["annotations"] = map[string]any{"k": "v"}
	dir := writeBundle(t, marshal(t, m))
	spec, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := ContainerConfig("id", spec, dir)
	if len(c.Rlimits) != 1 || c.Rlimits[0].Resource != 7 || c.Rlimits[0].Cur != 10 || c.Rlimits[0].Max != 20 {
		t.Errorf("rlimits %+v", c.Rlimits)
	}
	if c.UID != 5 || c.GID != 6 || len(c.AdditionalGIDs) != 2 || !c.NoNewPrivileges {
		t.Errorf("user %d/%d %v nnp=%v", c.UID, c.GID, c.AdditionalGIDs, c.NoNewPrivileges)
	}
	if len(c.Mounts) != 1 || c.Mounts[0].Destination != "/proc" || c.Annotations["k"] != "v" {
		t.Errorf("mounts %+v annotations %v", c.Mounts, c.Annotations)
	}
	if o := c.Options(); o.Rlimits[7].Max != 20 || o.UID != 5 || o.Hostname != "box" {
		t.Errorf("Options = %+v", o)
	}
}

// TestBadSpecs: each broken config.json gives its own exact, one-line error.
func TestBadSpecs(t *testing.T) {
	edit := func(f func(m map[string]any)) string {
		m := goodSpec()
		f(m)
		return marshal(t, m)
	}
	proc := func(m map[string]any) map[string]any { return m["process"].(map[string]any) }
	tests := []struct {
		name, content, want string
	}{
		{"malformed", "{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": {,\n}", `config.json: malformed JSON at line 3, column 15 (offset 42): invalid character ',' looking for beginning of object key string`},
		{"wrong type", "{\n\"process\": {\"args\": \"sh\"}}", `config.json: line 2, column 24: process.args is a JSON string, want []string`},
		{"no process", edit(func(m map[string]any) { delete(m, "process") }), `config.json: "process" is missing (it says what the container runs)`},
		{"no args", edit(func(m map[string]any) { delete(proc(m), "args") }), `config.json: "process.args" is missing or empty`},
		{"empty args", edit(func(m map[string]any) { proc(m)["args"] = []any{} }), `config.json: "process.args" is missing or empty`},
		{"empty arg0", edit(func(m map[string]any) { proc(m)["args"] = []any{""} }), `config.json: "process.args[0]" is empty`},
		{"relative cwd", edit(func(m map[string]any) { proc(m)["cwd"] = "tmp" }), `config.json: "process.cwd" "tmp" must be an absolute path`},
		{"no cwd", edit(func(m map[string]any) { delete(proc(m), "cwd") }), `config.json: "process.cwd" is missing (it must be an absolute path)`},
		{"bad env", edit(func(m map[string]any) { proc(m)["env"] = []any{"NOEQUALS"} }), `config.json: "process.env[0]" "NOEQUALS" is not of the form NAME=VALUE`},
		{"bad rlimit", edit(func(m map[string]any) {
			proc(m)["rlimits"] = []any{map[string]any{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}}
		}), `config.json: "process.rlimits[0]": unknown rlimit type "RLIMIT_FOO"`},
		{"rlimit soft above hard", edit(func(m map[string]any) {
			proc(m)["rlimits"] = []any{map[string]any{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}}
		}), `config.json: "process.rlimits[0]": RLIMIT_NOFILE soft limit 2 is above the hard limit 1`},
		{"no root", edit(func(m map[string]any) { delete(m, "root") }), `config.json: "root.path" is missing`},
		{"empty root", edit(func(m map[string]any) { m["root"] = map[string]any{"path": ""} }), `config.json: "root.path" is missing`},
		{"root missing on disk", edit(func(m map[string]any) { m["root"] = map[string]any{"path": "nothere"} }), `config.json: root.path "nothere": BUNDLE/nothere does not exist`},
		{"root missing absolute", edit(func(m map[string]any) { m["root"] = map[string]any{"path": "/no/such/root"} }), `config.json: root.path "/no/such/root": /no/such/root does not exist`},
		{"root not a dir", edit(func(m map[string]any) { m["root"] = map[string]any{"path": "file"} }), `config.json: root.path "file": BUNDLE/file is not a directory`},
		{"unknown namespace", edit(func(m map[string]any) {
			m["linux"] = map[string]any{"namespaces": []any{map[string]any{"type": "uts"}, map[string]any{"type": "bogus"}}}
		}), `config.json: "linux.namespaces[1]": unknown namespace type "bogus"`},
		{"duplicate namespace", edit(func(m map[string]any) {
			m["linux"] = map[string]any{"namespaces": []any{map[string]any{"type": "uts"}, map[string]any{"type": "uts"}}}
		}), `config.json: "linux.namespaces[1]": namespace type "uts" is listed twice`},
		{"hostname without uts", edit(func(m map[string]any) { m["linux"] = map[string]any{} }), `config.json: "hostname" is set but there is no uts namespace in linux.namespaces`},
		{"bad rootfsPropagation", edit(func(m map[string]any) {
			m["linux"].(map[string]any)["rootfsPropagation"] = "sideways"
		}), `config.json: linux.rootfsPropagation "sideways" is not a propagation type ([r]shared, [r]slave, [r]private, [r]unbindable)`},
		{"domainname without uts", edit(func(m map[string]any) {
			delete(m, "hostname")
			m["domainname"] = "example.org"
			m["linux"] = map[string]any{}
		}), `config.json: "domainname" is set but there is no uts namespace in linux.namespaces`},
		{"windows", edit(func(m map[string]any) {
			delete(m, "linux")
			delete(m, "hostname")
			m["windows"] = map[string]any{"layerFolders": []any{"x"}}
		}), `config.json: the spec is for windows (it has a "windows" section and no "linux"): runsc runs only linux containers`},
		{"legacy platform os", edit(func(m map[string]any) { m["platform"] = map[string]any{"os": "windows", "arch": "amd64"} }), `config.json: platform.os is "windows": runsc runs only linux containers`},
		{"legacy platform arch", edit(func(m map[string]any) { m["platform"] = map[string]any{"os": "linux", "arch": "arm64"} }), `config.json: platform.arch is "arm64": this runsc runs only amd64 containers`},
		{"seccomp arch", edit(func(m map[string]any) {
			m["linux"].(map[string]any)["seccomp"] = map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "architectures": []any{"SCMP_ARCH_AARCH64"}}
		}), `config.json: linux.seccomp.architectures [SCMP_ARCH_AARCH64] does not include SCMP_ARCH_X86_64: runsc runs only x86-64 programs`},
		{"ociVersion", edit(func(m map[string]any) { m["ociVersion"] = "2.0.0" }), `config.json: unsupported ociVersion "2.0.0" (runsc implements 1.x)`},
		{"relative mount", edit(func(m map[string]any) { m["mounts"] = []any{map[string]any{"destination": "proc", "type": "proc"}} }), `config.json: "mounts[0].destination" "proc" must be an absolute path`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeBundle(t, tc.content)
			_, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded, want %q", tc.want)
			}
			want := strings.ReplaceAll(tc.want, "BUNDLE", dir)
			if err.Error() != want {
				t.Errorf("Load error:\n got %q\nwant %q", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestMissingConfig(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if want := "bundle " + dir + " has no config.json"; err == nil || err.Error() != want {
		t.Fatalf("Load = %v, want %q", err, want)
	}
	gone := filepath.Join(dir, "gone")
	if _, err := Load(gone); err == nil || err.Error() != "bundle "+gone+" does not exist" {
		t.Fatalf("Load of a missing bundle = %v", err)
	}
}

func TestDefaultSpecIsValid(t *testing.T) {
	m, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeBundle(t, string(m))
	if _, err := Load(dir); err != nil {
		t.Fatalf("the default spec does not load: %v", err)
	}
}

// TestBindSourceAndUmask: a relative bind source is relative to the bundle; the umask and
// the bind/ro options carry over.
func TestBindSourceAndUmask(t *testing.T) {
	spec := Default()
	umask := uint32(0o27)
	spec.Process.User.Umask = &umask
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/data", Type: "none", Source: "data/", Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/abs", Type: "bind", Source: "/srv"})
	c := ContainerConfig("id", spec, "/bundle")
	if c.Umask == nil || *c.Umask != 0o27 {
		t.Fatalf("umask %v", c.Umask)
	}
	n := len(c.Mounts)
	if m := c.Mounts[n-2]; m.Source != "/bundle/data" || !m.IsBind() || !m.ReadOnly() {
		t.Fatalf("relative bind mount: %+v", m)
	}
	if m := c.Mounts[n-1]; m.Source != "/srv" || !m.IsBind() || m.ReadOnly() {
		t.Fatalf("bind mount: %+v", m)
	}
	if gs := c.GoferSpec(); len(gs.Mounts) != 2 || gs.Mounts[0] != (boot.GoferMount{Path: "/bundle/data", ReadOnly: true}) || !gs.RootReadOnly {
		t.Fatalf("gofer spec: %+v", gs)
	}
}

// TestCapSetsAbsentAreEmpty: absent process.capabilities are five empty sets, as runc
// gives, not nil (which would be the sentry's default by uid: everything for root).
func TestCapSetsAbsentAreEmpty(t *testing.T) {
	c := CapSets(nil)
	if c == nil || c.Effective != 0 || c.Permitted != 0 || c.Inheritable != 0 || c.Bounding != 0 || c.Ambient != 0 {
		t.Fatalf("CapSets(nil) = %+v, want empty sets", c)
	}
	got := CapSets(&specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "cap_chown", "CAP_NOT_A_CAP"}, Ambient: []string{"CAP_KILL"}})
	if got.Bounding != 1<<5|1<<0 || got.Ambient != 1<<5 || got.Effective != 0 {
		t.Fatalf("CapSets = %+v, want bounding KILL|CHOWN, ambient KILL", got)
	}
}

// TestPodRole: both runtimes' annotations, and their errors.
func TestPodRole(t *testing.T) {
	for _, tc := range []struct {
		ann           map[string]string
		typ, sandbox  string
		wantErrSubstr string
	}{
		{nil, "", "", ""},
		{map[string]string{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "p"}, "sandbox", "p", ""},
		{map[string]string{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "p"}, "container", "p", ""},
		{map[string]string{"io.kubernetes.cri-o.ContainerType": "container", "io.kubernetes.cri-o.SandboxID": "q"}, "container", "q", ""},
		{map[string]string{"io.kubernetes.cri.container-type": "container"}, "", "", "sandbox-id is missing"},
		{map[string]string{"io.kubernetes.cri-o.ContainerType": "pod"}, "", "", `is "pod"`},
	} {
		typ, sb, err := PodRole(&specs.Spec{Annotations: tc.ann})
		if tc.wantErrSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSubstr) {
				t.Errorf("%v: error %v, want %q", tc.ann, err, tc.wantErrSubstr)
			}
			continue
		}
		if err != nil || typ != tc.typ || sb != tc.sandbox {
			t.Errorf("%v: %q %q %v, want %q %q", tc.ann, typ, sb, err, tc.typ, tc.sandbox)
		}
	}
}

// TestJoiningContainerPIDNamespace: a joining container shares the sandbox's pid namespace
// only when its spec's pid entry has a path (shareProcessNamespace); else it gets its own.
func TestJoiningContainerPIDNamespace(t *testing.T) {
	joining := map[string]string{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "p"}
	sandbox := map[string]string{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "p"}
	for _, tc := range []struct {
		ann   map[string]string
		ns    []specs.LinuxNamespace
		share bool
	}{
		{joining, []specs.LinuxNamespace{{Type: specs.PIDNamespace}}, false},
		{joining, []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"}}, true},
		{joining, []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}}, false},
		{joining, nil, false},
		{sandbox, []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"}}, false},
	} {
		spec := &specs.Spec{Annotations: tc.ann, Process: &specs.Process{Args: []string{"sh"}}, Root: &specs.Root{Path: "rootfs"},
			Linux: &specs.Linux{Namespaces: tc.ns}}
		if got := ContainerConfig("c", spec, "/b").SharesPIDNamespace; got != tc.share {
			t.Errorf("%v %v: SharesPIDNamespace %v, want %v", tc.ann["io.kubernetes.cri.container-type"], tc.ns, got, tc.share)
		}
	}
}
