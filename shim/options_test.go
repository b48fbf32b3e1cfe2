//go:build linux

package main

import (
	"strings"
	"testing"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v3"
	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/containerd/v2/pkg/protobuf/proto"
	"github.com/containerd/typeurl/v2"
)

// TestWithBinaryEmptyRuntimeOptions: runtimeoptions.Options that name no configuration (a
// CRI handler's options table holding only TypeUrl) are no options: runsc is filled in.
func TestWithBinaryEmptyRuntimeOptions(t *testing.T) {
	a, err := typeurl.MarshalAnyToProto(&runtimeoptions.Options{TypeUrl: "io.containerd.runsc.v1.options"})
	if err != nil {
		t.Fatal(err)
	}
	r := &taskAPI.CreateTaskRequest{Options: a}
	if err := withBinary(r, "/x/runsc"); err != nil {
		t.Fatal(err)
	}
	if got := binaryOf(t, r); got != "/x/runsc" {
		t.Errorf("BinaryName = %q, want /x/runsc", got)
	}
}

// TestRuntimeOptionsWithConfigRefused: ctr --runtime-config-path, or a CRI handler's
// ConfigPath or ConfigBody, is refused by name at create and at -info (not with typeurl's
// "not found" for an unregistered type).
func TestRuntimeOptionsWithConfigRefused(t *testing.T) {
	for _, o := range []*runtimeoptions.Options{
		{ConfigPath: "/etc/containerd/runsc.toml"},
		{ConfigBody: []byte("[runsc_config]\n")},
	} {
		a, err := typeurl.MarshalAnyToProto(o)
		if err != nil {
			t.Fatal(err)
		}
		err = withBinary(&taskAPI.CreateTaskRequest{Options: a}, "runsc")
		if err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("create with %v: err = %v, want a refusal naming the configuration", o, err)
		}
		data, err := proto.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := infoOptions(data, "runsc"); err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("-info with %v: err = %v, want a refusal naming the configuration", o, err)
		}
	}
}
