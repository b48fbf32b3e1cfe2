package specutil

import (
	"reflect"
	"strings"
	"testing"
)

// TestSysctlValidation: only namespaced sysctls are accepted, as in runc; the error names
// the key and is one line.
func TestSysctlValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sysctl map[string]any
		noUTS  bool
		want   string // "" for accepted
	}{
		{"net (containerd's CRI defaults)", map[string]any{"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}, false, ""},
		{"ipc", map[string]any{"kernel.msgmax": "8192", "kernel.msgmnb": "1", "kernel.msgmni": "1", "kernel.sem": "1 2 3 4",
			"kernel.shmall": "1", "kernel.shmmax": "1", "kernel.shmmni": "1", "kernel.shm_rmid_forced": "1"}, false, ""},
		{"mqueue", map[string]any{"fs.mqueue.msg_max": "10"}, false, ""},
		{"domainname", map[string]any{"kernel.domainname": "example.org"}, false, ""},
		{"domainname without uts", map[string]any{"kernel.domainname": "example.org"}, true,
			`config.json: linux.sysctl "kernel.domainname" needs a uts namespace in linux.namespaces`},
		{"hostname", map[string]any{"kernel.hostname": "h"}, false,
			`config.json: linux.sysctl "kernel.hostname" is not allowed: set the "hostname" field instead`},
		{"unknown kernel", map[string]any{"kernel.foo": "1"}, false,
			`config.json: linux.sysctl "kernel.foo" is not namespaced: a container may not set it`},
		{"vm", map[string]any{"vm.swappiness": "10"}, false,
			`config.json: linux.sysctl "vm.swappiness" is not namespaced: a container may not set it`},
		{"fs not mqueue", map[string]any{"fs.file-max": "10"}, false,
			`config.json: linux.sysctl "fs.file-max" is not namespaced: a container may not set it`},
		{"ipc prefix is not enough", map[string]any{"kernel.shmmax2": "1"}, false,
			`config.json: linux.sysctl "kernel.shmmax2" is not namespaced: a container may not set it`},
		{"first bad key in order", map[string]any{"vm.a": "1", "kernel.b": "1", "net.core.somaxconn": "1"}, false,
			`config.json: linux.sysctl "kernel.b" is not namespaced: a container may not set it`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := goodSpec()
			l := m["linux"].(map[string]any)
			l["sysctl"] = tc.sysctl
			if tc.noUTS {
				delete(m, "hostname")
				l["namespaces"] = []any{map[string]any{"type": "pid"}}
			}
			dir := writeBundle(t, marshal(t, m))
			_, err := Load(dir)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Load error:\n got %v\nwant %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestSysctlDomainname: kernel.domainname becomes the container's domain name (over the
// domainname field, as runc writes sysctls last), stored as Linux stores a write of it; the
// other keys are reported as not modelled.
func TestSysctlDomainname(t *testing.T) {
	for _, tc := range []struct {
		field, sysctl, want string
	}{
		{"", "example.org", "example.org"},
		{"field.org", "sysctl.org", "sysctl.org"},
		{"", "nl.org\n", "nl.org"},
		{"", strings.Repeat("d", 70), strings.Repeat("d", 64)},
	} {
		m := goodSpec()
		m["domainname"] = tc.field
		m["linux"].(map[string]any)["sysctl"] = map[string]any{"kernel.domainname": tc.sysctl, "net.core.somaxconn": "1", "kernel.shmmax": "1"}
		dir := writeBundle(t, marshal(t, m))
		spec, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := ContainerConfig("c", spec, dir).Domainname; got != tc.want {
			t.Errorf("field %q sysctl %q: Domainname %q, want %q", tc.field, tc.sysctl, got, tc.want)
		}
		if got, want := UnmodelledSysctls(spec), []string{"kernel.shmmax", "net.core.somaxconn"}; !reflect.DeepEqual(got, want) {
			t.Errorf("UnmodelledSysctls %v, want %v", got, want)
		}
	}
	m := goodSpec()
	m["domainname"] = "field.org"
	spec, err := Load(writeBundle(t, marshal(t, m)))
	if err != nil {
		t.Fatal(err)
	}
	if got := ContainerConfig("c", spec, "/b").Domainname; got != "field.org" {
		t.Errorf("no sysctl: Domainname %q, want the field's", got)
	}
}
