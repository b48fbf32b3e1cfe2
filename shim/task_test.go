//go:build linux

package main

import (
	"strings"
	"testing"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v3"
	"github.com/containerd/containerd/api/types/runc/options"
	"github.com/containerd/typeurl/v2"
)

// binaryOf returns the BinaryName in r's options.
func binaryOf(t *testing.T, r *taskAPI.CreateTaskRequest) string {
	t.Helper()
	v, err := typeurl.UnmarshalAny(r.Options)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*options.Options).BinaryName
}

func TestWithBinaryFillsInRunsc(t *testing.T) {
	r := &taskAPI.CreateTaskRequest{}
	if err := withBinary(r, "/x/runsc"); err != nil {
		t.Fatal(err)
	}
	if got := binaryOf(t, r); got != "/x/runsc" {
		t.Errorf("BinaryName = %q, want /x/runsc", got)
	}
}

func TestWithBinaryKeepsOtherOptions(t *testing.T) {
	a, err := typeurl.MarshalAnyToProto(&options.Options{Root: "/r", SystemdCgroup: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &taskAPI.CreateTaskRequest{Options: a}
	if err := withBinary(r, "runsc"); err != nil {
		t.Fatal(err)
	}
	v, err := typeurl.UnmarshalAny(r.Options)
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*options.Options)
	if o.BinaryName != "runsc" || o.Root != "/r" || !o.SystemdCgroup {
		t.Errorf("options = %+v, want BinaryName runsc with Root and SystemdCgroup kept", o)
	}
}

func TestWithBinaryKeepsClientChoice(t *testing.T) {
	a, err := typeurl.MarshalAnyToProto(&options.Options{BinaryName: "/opt/runsc"})
	if err != nil {
		t.Fatal(err)
	}
	r := &taskAPI.CreateTaskRequest{Options: a}
	if err := withBinary(r, "runsc"); err != nil {
		t.Fatal(err)
	}
	if got := binaryOf(t, r); got != "/opt/runsc" {
		t.Errorf("BinaryName = %q, want the client's /opt/runsc", got)
	}
}

func TestWithBinaryRefusesForeignOptions(t *testing.T) {
	// Any registered type that is not runc's options: the task API's own request type.
	a, err := typeurl.MarshalAnyToProto(&taskAPI.StartRequest{ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r := &taskAPI.CreateTaskRequest{Options: a}
	err = withBinary(r, "runsc")
	if err == nil || !strings.Contains(err.Error(), "want runc options") {
		t.Errorf("err = %v, want a refusal of foreign options", err)
	}
}
