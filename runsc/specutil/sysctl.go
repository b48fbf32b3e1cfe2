package specutil

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ipcSysctls are the sysctls Linux keeps per ipc namespace (besides fs.mqueue.*).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// domainnameSysctl is the one sysctl the sentry models: the uts namespace's NIS domain name.
const domainnameSysctl = "kernel.domainname"

// domainnameMax is the longest domain name Linux keeps (__NEW_UTS_LEN); a longer write to
// /proc/sys/kernel/domainname is cut there.
const domainnameMax = 64

// checkSysctls refuses linux.sysctl keys that are not namespaced, as runc does: a sysctl
// outside every namespace would change the host (or, in the sentry, every container of the
// sandbox), which a container's config must not do. uts says whether the spec has a uts
// namespace; the sandbox always has its own ipc and network namespaces (or joins a pod's).
func checkSysctls(spec *specs.Spec, uts, joining bool) error {
	if spec.Linux == nil {
		return nil
	}
	keys := make([]string, 0, len(spec.Linux.Sysctl))
	for k := range spec.Linux.Sysctl {
		keys = append(keys, k)
	}
	// Sorted, so that the error names the same key every time.
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
		case strings.HasPrefix(k, "net."):
		case k == domainnameSysctl:
			if !uts && !joining {
				return fmt.Errorf("%s: linux.sysctl %q needs a uts namespace in linux.namespaces", ConfigName, k)
			}
		case k == "kernel.hostname":
			// Namespaced, but the spec has a field for it.
			return fmt.Errorf("%s: linux.sysctl %q is not allowed: set the \"hostname\" field instead", ConfigName, k)
		default:
			return fmt.Errorf("%s: linux.sysctl %q is not namespaced: a container may not set it", ConfigName, k)
		}
	}
	return nil
}

// sysctlDomainname returns the domain name linux.sysctl sets (as Linux stores a write of
// it: up to the first newline, at most 64 bytes), and whether it sets one.
func sysctlDomainname(spec *specs.Spec) (string, bool) {
	if spec.Linux == nil {
		return "", false
	}
	v, ok := spec.Linux.Sysctl[domainnameSysctl]
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v = v[:i]
	}
	if len(v) > domainnameMax {
		v = v[:domainnameMax]
	}
	return v, true
}

// UnmodelledSysctls returns, sorted, the linux.sysctl keys that are accepted but have no
// effect: the sentry has no network sysctls, SysV IPC or POSIX message queues yet.
func UnmodelledSysctls(spec *specs.Spec) []string {
	if spec.Linux == nil {
		return nil
	}
	var keys []string
	for k := range spec.Linux.Sysctl {
		if k != domainnameSysctl {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
