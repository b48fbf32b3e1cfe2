package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Features implements `runsc features`: the OCI runtime-spec features document (runc's
// `features`), which containerd's shim reads for its -info. It lists what runsc acts on,
// not everything it accepts: a spec field that is parsed and ignored is not a feature.
type Features struct{}

func (*Features) Name() string     { return "features" }
func (*Features) Synopsis() string { return "show the enabled features (JSON)" }
func (*Features) Usage() string {
	return `features

Prints the OCI runtime-spec "features" document (JSON): the spec versions runsc takes, the
hooks, mount options, namespaces and capabilities it honours, and which of cgroups,
seccomp, AppArmor, SELinux and Intel RDT it implements. Options it accepts but ignores are
not listed.
`
}
func (*Features) SetFlags(*flag.FlagSet) {}

func (*Features) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		return fail("features: takes no arguments")
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "    ")
	if err := enc.Encode(runtimeFeatures()); err != nil {
		return fail("features: %v", err)
	}
	return subcommands.ExitSuccess
}

// runtimeFeatures is the document `runsc features` prints.
func runtimeFeatures() *features.Features {
	yes, no := true, false
	return &features.Features{
		// Validate takes any 1.x; the field set is that of the spec package runsc is built with.
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		// The options runsc/boot's mounts act on; atime and sync options are accepted and
		// have no effect in the sandbox, and filesystem data (size=, mode=) is not listed
		// here by the spec's definition.
		MountOptions: []string{"bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec"},
		Linux: &features.Linux{
			// The sandbox always gives the container these (the sentry's own, and a host
			// network namespace that linux.namespaces may name), and a user namespace
			// with linux.uidMappings and gidMappings when asked (the gofer's); cgroup
			// and time namespaces in the spec are not acted on.
			Namespaces:   []string{"mount", "network", "pid", "ipc", "uts", "user"},
			Capabilities: specutil.CapNames(),
			// runsc/cgroup writes linux.resources to v1 or v2 itself; --systemd-cgroup only
			// reads a systemd-style cgroupsPath, without asking systemd.
			Cgroup: &features.Cgroup{V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no, Rdma: &no},
			// linux.seccomp is not applied: the sandbox's own filter confines the sentry,
			// and the application's syscalls never reach the host kernel.
			Seccomp:         &features.Seccomp{Enabled: &no},
			Apparmor:        &features.Apparmor{Enabled: &no},
			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &no}},
		},
		Annotations: map[string]string{
			"dev.stockade.runsc.version": RuntimeVersion,
			"dev.stockade.runsc.commit":  commitString(),
		},
	}
}
