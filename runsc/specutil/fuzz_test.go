package specutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzSpec feeds config.json bytes through everything runsc derives from a spec before a
// sandbox exists: Parse, Validate, and for a spec Validate accepts, the boot config, the
// gofer's spec, resources, cgroup, hooks, namespaces and sysctls. None may panic on any
// input (the brief: bad input gets a clear error, never a crash); an error is fine. The
// seeds run as part of `go test`; `go test -fuzz FuzzSpec ./runsc/specutil` explores.
func FuzzSpec(f *testing.F) {
	seeds := []any{goodSpec(), Default()}
	full := goodSpec()
	full["mounts"] = []any{
		map[string]any{"destination": "/proc", "type": "proc", "source": "proc"},
		map[string]any{"destination": "/data", "type": "bind", "source": "/tmp", "options": []any{"rbind", "ro", "rslave"}},
		map[string]any{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": []any{"size=1k", "mode=1777"}},
	}
	full["annotations"] = map[string]any{"io.kubernetes.cri.container-type": "sandbox"}
	l := full["linux"].(map[string]any)
	l["namespaces"] = append(l["namespaces"].([]any), map[string]any{"type": "user"}, map[string]any{"type": "cgroup"})
	l["uidMappings"] = []any{map[string]any{"containerID": 0, "hostID": 1000, "size": 10}}
	l["gidMappings"] = []any{map[string]any{"containerID": 0, "hostID": 1000, "size": 10}}
	l["resources"] = map[string]any{"memory": map[string]any{"limit": 1 << 20}, "pids": map[string]any{"limit": 5},
		"cpu": map[string]any{"shares": 2, "quota": 1000, "period": 100000, "cpus": "0"}}
	l["sysctl"] = map[string]any{"kernel.domainname": "d", "net.ipv4.ping_group_range": "0 0"}
	l["cgroupsPath"] = "/stockade-fuzz"
	full["process"].(map[string]any)["capabilities"] = map[string]any{"bounding": []any{"CAP_CHOWN"}, "effective": []any{"CAP_KILL", "CAP_NOPE"}}
	full["process"].(map[string]any)["rlimits"] = []any{map[string]any{"type": "RLIMIT_NOFILE", "hard": 20, "soft": 10}}
	full["process"].(map[string]any)["terminal"] = true
	full["process"].(map[string]any)["consoleSize"] = map[string]any{"height": 1 << 20, "width": 80}
	full["hooks"] = map[string]any{"prestart": []any{map[string]any{"path": "/bin/true", "timeout": -1}}}
	seeds = append(seeds, full)
	for _, s := range seeds {
		data, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"process":{"args":["x"],"user":{}},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"user","path":"/proc/self/ns/user"}]}}`))
	f.Add([]byte(`{"process":null,"root":{"path":""},"mounts":[{}],"linux":{"resources":{"memory":{"limit":-1}}}}`))
	f.Add([]byte(`{"ociVersion":"0.1","process":{"args":[""],"cwd":"rel"},"root":{"path":"/"},"linux":{}}`))

	bundle := f.TempDir()
	if err := os.MkdirAll(filepath.Join(bundle, "rootfs", "bin"), 0o755); err != nil {
		f.Fatal(err)
	}
	// The structured seeds are valid, so that the fuzzer starts from specs that reach
	// derive.
	for i, s := range seeds {
		data, _ := json.Marshal(s)
		spec, err := Parse(data)
		if err == nil {
			err = Validate(spec, bundle)
		}
		if err != nil {
			f.Fatalf("seed %d is refused: %v", i, err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data)
		if err != nil {
			return
		}
		if err := Validate(spec, bundle); err != nil {
			return
		}
		derive(spec, bundle)
	})
}

// derive computes what create derives from a valid spec.
func derive(spec *specs.Spec, bundle string) {
	c := ContainerConfig("fuzz", spec, bundle)
	c.GoferSpec()
	Resources(spec)
	Hooks(spec)
	NewCgroupNS(spec)
	for _, typ := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.PIDNamespace} {
		NSPath(spec, typ)
	}
	UnmodelledSysctls(spec)
	PodRole(spec)
	Cgroup(spec, "fuzz", false)
	Cgroup(spec, "fuzz", true)
}
