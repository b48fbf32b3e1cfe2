package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// sentryUname is `uname -v` inside a Stockade sandbox.
const sentryUname = "#1 SMP Stockade"

// run is one pass over the pod's life. The ids are set as the calls that create them
// succeed, and cleared as the calls that remove them do.
type run struct {
	o   options
	rt  cri.RuntimeServiceClient
	img cri.ImageServiceClient

	podConfig *cri.PodSandboxConfig
	pod       string
	sleeper   string // a shell that loops until SIGTERM, then exits 0
	exiter    string // prints its uname, waits for /tmp/release, then exits 3
	// removed holds every id created, for the final check.
	removed []string
	failed  bool
}

// all runs every scenario in order and reports whether all passed. A pod left by a failed
// scenario is stopped and removed on the way out, as the kubelet would.
func (r *run) all() bool {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"version", r.version},
		{"image-status", r.imageStatus},
		{"run-pod", r.runPod},
		{"pod-network", r.podNetwork},
		{"create", r.create},
		{"start", r.start},
		{"one-sentry", r.oneSentry},
		{"exec-sync", r.execSync},
		{"pid-namespace", r.pidNamespace},
		{"exit-code", r.exitCode},
		{"stop-container", r.stopContainer},
		{"remove-containers", r.removeContainers},
		{"stop-pod", r.stopPod},
		{"remove-pod", r.removePod},
		{"nothing-left", r.nothingLeft},
	}
	for _, s := range steps {
		start := time.Now()
		err := s.fn()
		secs := time.Since(start).Seconds()
		if err != nil {
			r.failed = true
			fmt.Printf("FAIL     %-17s (%.1fs)  %v\n", s.name, secs, err)
		} else {
			fmt.Printf("PASS     %-17s (%.1fs)\n", s.name, secs)
		}
	}
	if r.pod != "" {
		ctx, cancel := call()
		defer cancel()
		r.rt.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: r.pod})
		r.rt.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: r.pod})
	}
	return !r.failed
}

var errNoPod = errors.New("no pod (an earlier scenario failed)")

func (r *run) version() error {
	ctx, cancel := call()
	defer cancel()
	v, err := r.rt.Version(ctx, &cri.VersionRequest{Version: "v1"})
	if err != nil {
		return fmt.Errorf("Version: %w", err)
	}
	if v.RuntimeName != "containerd" || v.RuntimeApiVersion != "v1" {
		return fmt.Errorf("Version: runtime %q API %q, want containerd v1", v.RuntimeName, v.RuntimeApiVersion)
	}
	return nil
}

// imageStatus: the kubelet asks before pulling (pull policy IfNotPresent); both images are
// imported by the script, as there is no registry.
func (r *run) imageStatus() error {
	for _, ref := range []string{r.o.image, r.o.pauseImage} {
		ctx, cancel := call()
		st, err := r.img.ImageStatus(ctx, &cri.ImageStatusRequest{Image: &cri.ImageSpec{Image: ref}})
		cancel()
		if err != nil {
			return fmt.Errorf("ImageStatus %s: %w", ref, err)
		}
		if st.Image == nil {
			return fmt.Errorf("ImageStatus %s: not present", ref)
		}
	}
	return nil
}

// namespaces are the kubelet's defaults: network and IPC per pod (or the node's network
// with hostNetwork), a PID namespace per container.
func (r *run) namespaces() *cri.NamespaceOption {
	ns := &cri.NamespaceOption{Network: cri.NamespaceMode_POD, Pid: cri.NamespaceMode_CONTAINER, Ipc: cri.NamespaceMode_POD}
	if r.o.hostNetwork {
		ns.Network = cri.NamespaceMode_NODE
	}
	return ns
}

func (r *run) runPod() error {
	uid := fmt.Sprintf("stk-%d", os.Getpid())
	r.podConfig = &cri.PodSandboxConfig{
		Metadata:     &cri.PodSandboxMetadata{Name: "stk-pod", Uid: uid, Namespace: "default"},
		Hostname:     "stk-pod",
		LogDirectory: r.o.logDir,
		Labels: map[string]string{
			"io.kubernetes.pod.name":      "stk-pod",
			"io.kubernetes.pod.namespace": "default",
			"io.kubernetes.pod.uid":       uid,
		},
		Linux: &cri.LinuxPodSandboxConfig{
			CgroupParent:    r.o.cgroupParent,
			SecurityContext: &cri.LinuxSandboxSecurityContext{NamespaceOptions: r.namespaces()},
		},
	}
	ctx, cancel := call()
	defer cancel()
	resp, err := r.rt.RunPodSandbox(ctx, &cri.RunPodSandboxRequest{Config: r.podConfig, RuntimeHandler: r.o.handler})
	if err != nil {
		return fmt.Errorf("RunPodSandbox (handler %s): %w", r.o.handler, err)
	}
	r.pod = resp.PodSandboxId
	r.removed = append(r.removed, r.pod)
	st, err := r.rt.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: r.pod})
	if err != nil {
		return fmt.Errorf("PodSandboxStatus: %w", err)
	}
	if st.Status.State != cri.PodSandboxState_SANDBOX_READY {
		return fmt.Errorf("pod state %v, want SANDBOX_READY", st.Status.State)
	}
	if st.Status.RuntimeHandler != r.o.handler {
		return fmt.Errorf("pod runtime handler %q, want %q", st.Status.RuntimeHandler, r.o.handler)
	}
	return nil
}

// podNetwork: with a pod network the CNI plugin gave the pod an address in its range;
// with the node's, the pod has none of its own.
func (r *run) podNetwork() error {
	if r.pod == "" {
		return errNoPod
	}
	ctx, cancel := call()
	defer cancel()
	st, err := r.rt.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: r.pod})
	if err != nil {
		return fmt.Errorf("PodSandboxStatus: %w", err)
	}
	ip := ""
	if st.Status.Network != nil {
		ip = st.Status.Network.Ip
	}
	if r.o.hostNetwork {
		if ip != "" {
			return fmt.Errorf("a hostNetwork pod has IP %q", ip)
		}
		return nil
	}
	if ip == "" || !strings.HasPrefix(ip, r.o.podCIDR) {
		return fmt.Errorf("pod IP %q, want one starting with %q", ip, r.o.podCIDR)
	}
	return nil
}

// containerConfig is what the kubelet sends for a container of the pod: its command, a log
// path under the pod's log directory, and the pod's namespace choices.
func (r *run) containerConfig(name string, command ...string) *cri.ContainerConfig {
	return &cri.ContainerConfig{
		Metadata: &cri.ContainerMetadata{Name: name},
		Image:    &cri.ImageSpec{Image: r.o.image},
		Command:  command,
		LogPath:  name + "/0.log",
		Labels: map[string]string{
			"io.kubernetes.container.name": name,
			"io.kubernetes.pod.name":       "stk-pod",
		},
		Linux: &cri.LinuxContainerConfig{
			Resources:       &cri.LinuxContainerResources{},
			SecurityContext: &cri.LinuxContainerSecurityContext{NamespaceOptions: r.namespaces()},
		},
	}
}

func (r *run) create() error {
	if r.pod == "" {
		return errNoPod
	}
	for _, c := range []struct {
		id  *string
		cfg *cri.ContainerConfig
	}{
		{&r.sleeper, r.containerConfig("sleeper", "sh", "-c", `trap "exit 0" TERM; while true; do sleep 0.2; done`)},
		{&r.exiter, r.containerConfig("exiter", "sh", "-c", `uname -v; while [ ! -e /tmp/release ]; do sleep 0.1; done; echo bye; exit 3`)},
	} {
		if err := os.MkdirAll(filepath.Join(r.o.logDir, c.cfg.Metadata.Name), 0o755); err != nil {
			return err
		}
		ctx, cancel := call()
		resp, err := r.rt.CreateContainer(ctx, &cri.CreateContainerRequest{PodSandboxId: r.pod, Config: c.cfg, SandboxConfig: r.podConfig})
		cancel()
		if err != nil {
			return fmt.Errorf("CreateContainer %s: %w", c.cfg.Metadata.Name, err)
		}
		*c.id = resp.ContainerId
		r.removed = append(r.removed, resp.ContainerId)
	}
	return nil
}

func (r *run) start() error {
	if r.sleeper == "" || r.exiter == "" {
		return errors.New("no containers (an earlier scenario failed)")
	}
	for _, id := range []string{r.sleeper, r.exiter} {
		ctx, cancel := call()
		_, err := r.rt.StartContainer(ctx, &cri.StartContainerRequest{ContainerId: id})
		cancel()
		if err != nil {
			return fmt.Errorf("StartContainer %s: %w", id, err)
		}
	}
	for _, id := range []string{r.sleeper, r.exiter} {
		st, err := r.status(id)
		if err != nil {
			return err
		}
		if st.State != cri.ContainerState_CONTAINER_RUNNING {
			return fmt.Errorf("container %s: state %v, want CONTAINER_RUNNING", st.Metadata.Name, st.State)
		}
	}
	return nil
}

func (r *run) status(id string) (*cri.ContainerStatus, error) {
	ctx, cancel := call()
	defer cancel()
	st, err := r.rt.ContainerStatus(ctx, &cri.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		return nil, fmt.Errorf("ContainerStatus %s: %w", id, err)
	}
	return st.Status, nil
}

// exec runs ExecSync in container id.
func (r *run) exec(id string, cmd ...string) (*cri.ExecSyncResponse, error) {
	ctx, cancel := call()
	defer cancel()
	resp, err := r.rt.ExecSync(ctx, &cri.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: 30})
	if err != nil {
		return nil, fmt.Errorf("ExecSync %q: %w", cmd, err)
	}
	return resp, nil
}

// oneSentry: with both containers running, the host has exactly one sandbox (`runsc boot`)
// process for the pod and none for either container, and both containers see the sentry's
// kernel: they joined the pause container's sandbox.
func (r *run) oneSentry() error {
	if r.sleeper == "" || r.exiter == "" {
		return errors.New("no containers (an earlier scenario failed)")
	}
	boots := bootProcesses()
	if n := len(boots[r.pod]); n != 1 {
		return fmt.Errorf("%d runsc boot processes for the pod (%v), want 1", n, boots)
	}
	for _, id := range []string{r.sleeper, r.exiter} {
		if len(boots[id]) != 0 {
			return fmt.Errorf("a sandbox of its own (runsc boot pid %v) for container %s", boots[id], id)
		}
		resp, err := r.exec(id, "uname", "-v")
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(resp.Stdout)); got != sentryUname {
			return fmt.Errorf("uname -v in container %s: %q, want %q", id, got, sentryUname)
		}
	}
	return nil
}

func (r *run) execSync() error {
	if r.sleeper == "" {
		return errors.New("no container (an earlier scenario failed)")
	}
	resp, err := r.exec(r.sleeper, "sh", "-c", "echo inside; echo oops >&2; hostname; exit 5")
	if err != nil {
		return err
	}
	if string(resp.Stdout) != "inside\nstk-pod\n" || string(resp.Stderr) != "oops\n" || resp.ExitCode != 5 {
		return fmt.Errorf("ExecSync: stdout %q stderr %q exit code %d, want %q %q 5",
			resp.Stdout, resp.Stderr, resp.ExitCode, "inside\nstk-pod\n", "oops\n")
	}
	return nil
}

// pidNamespace: with the kubelet's default (a PID namespace per container), each
// container's init is pid 1 of its own namespace.
func (r *run) pidNamespace() error {
	for _, c := range []struct{ id, want string }{
		{r.sleeper, "sh -c trap"},
		{r.exiter, "sh -c uname"},
	} {
		if c.id == "" {
			return errors.New("no containers (an earlier scenario failed)")
		}
		resp, err := r.exec(c.id, "cat", "/proc/1/cmdline")
		if err != nil {
			return err
		}
		if got := strings.ReplaceAll(string(resp.Stdout), "\x00", " "); !strings.HasPrefix(got, c.want) {
			return fmt.Errorf("/proc/1/cmdline in container %s: %q, want its init (%s...)", c.id, got, c.want)
		}
	}
	return nil
}

// exitCode: the exiter is released through an exec; ContainerStatus reports its exit code
// and its CRI log file holds what it printed.
func (r *run) exitCode() error {
	if r.exiter == "" {
		return errors.New("no container (an earlier scenario failed)")
	}
	if _, err := r.exec(r.exiter, "touch", "/tmp/release"); err != nil {
		return err
	}
	st, err := r.waitExited(r.exiter)
	if err != nil {
		return err
	}
	if st.ExitCode != 3 {
		return fmt.Errorf("exit code %d (reason %q), want 3", st.ExitCode, st.Reason)
	}
	log, err := os.ReadFile(st.LogPath)
	if err != nil {
		return fmt.Errorf("the container's log: %w", err)
	}
	// CRI log lines: TIMESTAMP STREAM TAG MESSAGE.
	var lines []string
	for _, l := range bytes.Split(bytes.TrimSpace(log), []byte("\n")) {
		f := strings.SplitN(string(l), " ", 4)
		if len(f) == 4 {
			lines = append(lines, f[1]+" "+f[3])
		}
	}
	want := []string{"stdout " + sentryUname, "stdout bye"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		return fmt.Errorf("log %s: %q, want %q", st.LogPath, lines, want)
	}
	return nil
}

func (r *run) waitExited(id string) (*cri.ContainerStatus, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := r.status(id)
		if err != nil {
			return nil, err
		}
		if st.State == cri.ContainerState_CONTAINER_EXITED {
			return st, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("container %s still %v after 30 s", st.Metadata.Name, st.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopContainer: SIGTERM, which the sleeper traps to exit 0, within the grace period.
func (r *run) stopContainer() error {
	if r.sleeper == "" {
		return errors.New("no container (an earlier scenario failed)")
	}
	ctx, cancel := call()
	_, err := r.rt.StopContainer(ctx, &cri.StopContainerRequest{ContainerId: r.sleeper, Timeout: 10})
	cancel()
	if err != nil {
		return fmt.Errorf("StopContainer: %w", err)
	}
	st, err := r.status(r.sleeper)
	if err != nil {
		return err
	}
	if st.State != cri.ContainerState_CONTAINER_EXITED || st.ExitCode != 0 {
		return fmt.Errorf("after StopContainer: state %v exit code %d, want CONTAINER_EXITED 0", st.State, st.ExitCode)
	}
	return nil
}

func (r *run) removeContainers() error {
	if r.pod == "" {
		return errNoPod
	}
	for _, id := range []*string{&r.sleeper, &r.exiter} {
		if *id == "" {
			continue
		}
		ctx, cancel := call()
		_, err := r.rt.RemoveContainer(ctx, &cri.RemoveContainerRequest{ContainerId: *id})
		cancel()
		if err != nil {
			return fmt.Errorf("RemoveContainer %s: %w", *id, err)
		}
		*id = ""
	}
	ctx, cancel := call()
	defer cancel()
	l, err := r.rt.ListContainers(ctx, &cri.ListContainersRequest{Filter: &cri.ContainerFilter{PodSandboxId: r.pod}})
	if err != nil {
		return fmt.Errorf("ListContainers: %w", err)
	}
	if len(l.Containers) != 0 {
		return fmt.Errorf("ListContainers: %d containers left in the pod", len(l.Containers))
	}
	return nil
}

func (r *run) stopPod() error {
	if r.pod == "" {
		return errNoPod
	}
	ctx, cancel := call()
	defer cancel()
	if _, err := r.rt.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: r.pod}); err != nil {
		return fmt.Errorf("StopPodSandbox: %w", err)
	}
	st, err := r.rt.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: r.pod})
	if err != nil {
		return fmt.Errorf("PodSandboxStatus: %w", err)
	}
	if st.Status.State != cri.PodSandboxState_SANDBOX_NOTREADY {
		return fmt.Errorf("pod state %v after StopPodSandbox, want SANDBOX_NOTREADY", st.Status.State)
	}
	return nil
}

func (r *run) removePod() error {
	if r.pod == "" {
		return errNoPod
	}
	ctx, cancel := call()
	defer cancel()
	if _, err := r.rt.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: r.pod}); err != nil {
		return fmt.Errorf("RemovePodSandbox: %w", err)
	}
	pod := r.pod
	r.pod = ""
	_, err := r.rt.PodSandboxStatus(ctx, &cri.PodSandboxStatusRequest{PodSandboxId: pod})
	if status.Code(err) != codes.NotFound {
		return fmt.Errorf("PodSandboxStatus after RemovePodSandbox: %v, want NotFound", err)
	}
	l, err := r.rt.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("ListPodSandbox: %w", err)
	}
	if len(l.Items) != 0 {
		return fmt.Errorf("ListPodSandbox: %d pods left", len(l.Items))
	}
	return nil
}

// nothingLeft: no process (sandbox, gofer, shim), mount or runtime state directory of the
// pod or its containers outlives RemovePodSandbox. Exits are reaped asynchronously, so the
// check waits a little for processes to go.
func (r *run) nothingLeft() error {
	if len(r.removed) == 0 {
		return errNoPod
	}
	if r.pod != "" {
		return errors.New("the pod was not removed")
	}
	var left []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		left = left[:0]
		for _, id := range r.removed {
			for _, p := range processesMentioning(id) {
				left = append(left, fmt.Sprintf("process %d (%s)", p.pid, p.cmdline))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, id := range r.removed {
		for _, m := range mountsMentioning(id) {
			left = append(left, "mount "+m)
		}
		if _, err := os.Stat(filepath.Join(r.o.stateRoot, id)); err == nil {
			left = append(left, "state "+filepath.Join(r.o.stateRoot, id))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("left behind: %s", strings.Join(left, "; "))
	}
	return nil
}
