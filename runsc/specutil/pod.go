package specutil

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stockade-sandbox/stockade/runsc/boot"
)

// The annotations with which Kubernetes' container runtimes say which containers form a pod:
// the pod's first container (the pause container) is of type "sandbox" and starts the
// sandbox; each later one is of type "container" and names the sandbox's container, which
// it joins (runsc/boot/containers.go). containerd's CRI plugin and CRI-O spell them
// differently.
var podAnnotations = []struct{ typ, sandboxID string }{
	{"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"},
	{"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"},
}

// PodRole returns the container type the spec's annotations give (boot.ContainerTypeSandbox,
// boot.ContainerTypeContainer, or "" without annotations) and, for a joining container,
// the id of the sandbox's container.
func PodRole(spec *specs.Spec) (typ, sandboxID string, err error) {
	for _, a := range podAnnotations {
		t, ok := spec.Annotations[a.typ]
		if !ok {
			continue
		}
		id := spec.Annotations[a.sandboxID]
		switch t {
		case boot.ContainerTypeSandbox:
			return t, id, nil
		case boot.ContainerTypeContainer:
			if id == "" {
				return "", "", fmt.Errorf("%s: annotation %s is %q but %s is missing", ConfigName, a.typ, t, a.sandboxID)
			}
			return t, id, nil
		default:
			return "", "", fmt.Errorf("%s: annotation %s is %q, want %q or %q", ConfigName, a.typ, t, boot.ContainerTypeSandbox, boot.ContainerTypeContainer)
		}
	}
	return "", "", nil
}

// joins reports whether the spec's container joins an existing sandbox.
func joins(spec *specs.Spec) bool {
	t, _, err := PodRole(spec)
	return err == nil && t == boot.ContainerTypeContainer
}
