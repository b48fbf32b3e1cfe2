// Command critest drives containerd's CRI plugin over its gRPC socket with k8s.io/cri-api the
// way the kubelet starts and tears down a pod: Version, ImageStatus, RunPodSandbox with a
// runtime handler, CreateContainer twice, StartContainer, ExecSync, ContainerStatus,
// StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox. Between the calls it
// checks what a pod in one Stockade sandbox must look like from the host (one `runsc boot`
// process for the pod, none for its containers) and from inside (the sentry's uname), and
// after RemovePodSandbox that none of the pod's processes, mounts or runsc state is left.
//
// Each scenario prints one line, "PASS     name (secs)" or "FAIL     name (secs)  why", in the
// format of test/integration/lib.sh; a scenario whose predecessor failed fails too, saying
// so. The exit status is 1 if any scenario failed. test/integration/cri.sh runs it against
// a containerd it starts; `critest -remove-all` is that script's teardown (every pod
// stopped and removed, as the kubelet's garbage collection would).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// options are the command's flags.
type options struct {
	endpoint     string
	handler      string
	image        string
	pauseImage   string
	logDir       string
	cgroupParent string
	stateRoot    string
	hostNetwork  bool
	podCIDR      string
	removeAll    bool
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "containerd's gRPC socket (required)")
	flag.StringVar(&o.handler, "handler", "runsc", "the pod's runtime handler (RuntimeClass handler)")
	flag.StringVar(&o.image, "image", "", "the app containers' image, already imported (required)")
	flag.StringVar(&o.pauseImage, "pause-image", "", "the sandbox image containerd is configured with (required)")
	flag.StringVar(&o.logDir, "log-dir", "", "the pod's log directory, as the kubelet's /var/log/pods/... (required)")
	flag.StringVar(&o.cgroupParent, "cgroup-parent", "", "the pod's cgroup parent, as the kubelet's kubepods/.../podUID")
	flag.StringVar(&o.stateRoot, "state-root", "", "the runtime's state root (runsc --root) that must hold nothing of the pod after it is removed (required)")
	flag.BoolVar(&o.hostNetwork, "host-network", false, "run the pod in the node's network namespace (hostNetwork: true)")
	flag.StringVar(&o.podCIDR, "pod-cidr-prefix", "", "with a pod network, the prefix the pod's IP must start with (e.g. 10.88.)")
	flag.BoolVar(&o.removeAll, "remove-all", false, "stop and remove every pod sandbox, then exit")
	flag.Parse()
	if o.endpoint == "" || (!o.removeAll && (o.image == "" || o.pauseImage == "" || o.logDir == "" || o.stateRoot == "")) {
		fmt.Fprintln(os.Stderr, "critest: -endpoint, -image, -pause-image, -log-dir and -state-root are required")
		flag.Usage()
		os.Exit(2)
	}
	conn, err := grpc.NewClient("unix://"+o.endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "critest: connecting to %s: %v\n", o.endpoint, err)
		os.Exit(1)
	}
	defer conn.Close()
	rt := cri.NewRuntimeServiceClient(conn)
	if o.removeAll {
		if err := removeAll(rt); err != nil {
			fmt.Fprintf(os.Stderr, "critest: %v\n", err)
			os.Exit(1)
		}
		return
	}
	r := &run{o: o, rt: rt, img: cri.NewImageServiceClient(conn)}
	ok := r.all()
	if !ok {
		os.Exit(1)
	}
}

// call returns a context for one CRI call: the kubelet's runtime request timeout is 2
// minutes; a minute is plenty for a pod of two busybox containers.
func call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// removeAll stops and removes every pod sandbox (and so its containers).
func removeAll(rt cri.RuntimeServiceClient) error {
	ctx, cancel := call()
	defer cancel()
	pods, err := rt.ListPodSandbox(ctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("ListPodSandbox: %w", err)
	}
	var first error
	for _, p := range pods.Items {
		if _, err := rt.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: p.Id}); err != nil && first == nil {
			first = fmt.Errorf("StopPodSandbox %s: %w", p.Id, err)
		}
		if _, err := rt.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil && first == nil {
			first = fmt.Errorf("RemovePodSandbox %s: %w", p.Id, err)
		}
	}
	return first
}
