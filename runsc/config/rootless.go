package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Values of --rootless (runc's): RootlessAuto is rootless unless runsc runs as root.
const (
	RootlessTrue  = "true"
	RootlessFalse = "false"
	RootlessAuto  = "auto"
)

// rootlessValue is the --rootless flag: true, false or auto. It is a boolean flag to the
// flag package, so that a bare --rootless means true; RootlessArgs lets runc's spelling
// `--rootless VALUE` through as well.
type rootlessValue struct{ v *string }

func (r rootlessValue) String() string {
	if r.v == nil {
		return ""
	}
	return *r.v
}

func (r rootlessValue) Set(s string) error {
	v, err := parseRootless(s)
	if err != nil {
		return err
	}
	*r.v = v
	return nil
}

func (rootlessValue) IsBoolFlag() bool { return true }

// parseRootless accepts "auto" and what strconv.ParseBool does, and returns the canonical
// value.
func parseRootless(s string) (string, error) {
	if strings.EqualFold(s, RootlessAuto) {
		return RootlessAuto, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return "", fmt.Errorf("want true, false or auto, not %q", s)
	}
	return strconv.FormatBool(b), nil
}

// IsRootless reports whether the sandbox and gofer run in user namespaces of their own
// (docs/security.md, "Rootless mode"): --rootless=true, or auto when runsc is not root or
// is root of a user namespace other than the host's (as runc decides: such a root cannot
// use the host's cgroups either).
func (c *Config) IsRootless() bool {
	switch c.Rootless {
	case RootlessTrue:
		return true
	case RootlessAuto:
		return os.Geteuid() != 0 || inUserNamespace()
	}
	return false
}

// inUserNamespace reports whether this process is in a user namespace other than the
// initial one, whose uid_map is the identity over every id.
func inUserNamespace() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// RootlessArgs returns args, the global part of runsc's command line (up to the
// subcommand's name), with runc's `--rootless VALUE` joined into `--rootless=VALUE`
// unless VALUE is a subcommand's name (isCommand): --rootless is a boolean flag to fs (a
// bare --rootless is true), and the flag package would take VALUE for the subcommand.
func RootlessArgs(fs *flag.FlagSet, args []string, isCommand func(string) bool) []string {
	out := append([]string(nil), args...)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break // the subcommand
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if name == "rootless" {
			if i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") && !isCommand(out[i+1]) {
				out[i] = a + "=" + out[i+1]
				out = append(out[:i+1], out[i+2:]...)
			}
			continue
		}
		// A non-boolean flag takes the next argument as its value.
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				i++
			}
		}
	}
	return out
}

// ErrNoStateRoot is returned by ResolveRoot when a rootless runsc has nowhere to keep
// container state.
var ErrNoStateRoot = errors.New("rootless: XDG_RUNTIME_DIR is not set and --root was not given: say where to keep container state with --root DIR (a directory this user owns)")

// ResolveRoot picks the state root when --root was not given (rootSet false): for a
// rootless runsc that is not root, $XDG_RUNTIME_DIR/runsc, as runc does; else
// ErrNoStateRoot (the default, /run/runsc, is root's). It leaves an explicit --root alone.
func (c *Config) ResolveRoot(rootSet bool) error {
	if rootSet || os.Geteuid() == 0 || !c.IsRootless() {
		return nil
	}
	xdg := os.Getenv("XDG_RUNTIME_DIR")
	if xdg == "" {
		return ErrNoStateRoot
	}
	c.Root = filepath.Join(xdg, "runsc")
	return nil
}
