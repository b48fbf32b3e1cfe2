package container

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Hook is one OCI hook: a host program run at a point of the container's lifecycle with
// the container's state on its stdin (runtime-spec "hooks").
type Hook struct {
	Path string   `json:"path"`
	Args []string `json:"args,omitempty"`
	Env  []string `json:"env,omitempty"`
	// Timeout in seconds (0: none).
	Timeout int `json:"timeout,omitempty"`
}

// Hooks are a container's hooks, by lifecycle point. All run on the host, in runsc's own
// namespaces (a sandbox has no host namespaces a hook could enter but its network one,
// which /proc/<pid>/ns/net of the state's pid names):
//
//	Prestart, CreateRuntime, CreateContainer  by create, once the sandbox is ready; a
//	                                          failure fails create (nothing is left)
//	StartContainer                            by start, before init runs; a failure fails
//	                                          start and stops the container
//	Poststart                                 by start, once init runs; failures are
//	                                          logged
//	Poststop                                  by delete, once the sandbox is gone;
//	                                          failures are logged
type Hooks struct {
	Prestart        []Hook `json:"prestart,omitempty"`
	CreateRuntime   []Hook `json:"createRuntime,omitempty"`
	CreateContainer []Hook `json:"createContainer,omitempty"`
	StartContainer  []Hook `json:"startContainer,omitempty"`
	Poststart       []Hook `json:"poststart,omitempty"`
	Poststop        []Hook `json:"poststop,omitempty"`
}

// runHooks runs hooks in order with the container's state (as status) on their stdin,
// stopping at the first failure. kind names them in errors.
func (c *Container) runHooks(kind string, hooks []Hook, status Status) error {
	return c.runHooksLogged(kind, hooks, status, nil)
}

// runHooksLogged is runHooks; with warn set, a failure is passed to warn and the other
// hooks still run (poststart and poststop: the runtime-spec has their failures logged).
func (c *Container) runHooksLogged(kind string, hooks []Hook, status Status, warn func(error)) error {
	if len(hooks) == 0 {
		return nil
	}
	st := c.OCIState(OCIVersion)
	st.Status = status
	st.ExitCode, st.ExitSignal = nil, 0
	if status == Stopped {
		st.Pid = 0
	} else {
		st.Pid = c.Pid
	}
	state, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for i, h := range hooks {
		if err := runHook(h, state); err != nil {
			err = fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err)
			if warn == nil {
				return err
			}
			warn(err)
		}
	}
	return nil
}

// runHook runs one hook with state on its stdin.
func runHook(h Hook, state []byte) error {
	ctx := context.Background()
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = append([]string(nil), h.Args...)
	}
	cmd.Env = append([]string(nil), h.Env...)
	cmd.Stdin = bytes.NewReader(state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, strings.ReplaceAll(msg, "\n", "; "))
		}
		return err
	}
	return nil
}

// OCIVersion is the runtime-spec version `runsc state` reports (set by runsc/cmd).
var OCIVersion = "1.0.2"
