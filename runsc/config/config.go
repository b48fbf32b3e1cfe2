// Package config holds runsc's global flags, shared by every subcommand.
package config

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"

	"github.com/stockade-sandbox/stockade/platform"
)

// Config is the parsed global flags.
type Config struct {
	Platform string
	Strace   bool
	Debug    bool
	DebugLog string
	Root     string
	// Log is the file for runsc's own log (runc's --log; default stderr).
	Log string
	// LogFormat is "text" or "json" (runc's --log-format).
	LogFormat string
	// SystemdCgroup says linux.cgroupsPath is systemd-style (runsc/cgroup).
	SystemdCgroup bool
	// Overlay is the root filesystem mode: OverlayMemory (a writable in-memory layer over
	// the gofer's root, which is then served read-only) or OverlayNone (the gofer's root
	// used directly: writable unless the spec's root is read-only).
	Overlay string
	// Rootless is --rootless: RootlessTrue, RootlessFalse or RootlessAuto (IsRootless).
	Rootless string
	// Network is --network: NetworkNone is the only mode there is (the sentry has no
	// sockets yet); NetworkSandbox and NetworkHost are gVisor's spellings, refused by
	// Validate until a netstack exists.
	Network string
	// DebugID, when set (by `runsc boot`: the container id), names the debug log files in
	// place of the pid, which is 1 for every sandbox in its own pid namespace.
	DebugID string
}

// Values of --overlay.
const (
	OverlayMemory = "root:memory"
	OverlayNone   = "none"
)

// Values of --network (gVisor's names).
const (
	NetworkSandbox = "sandbox"
	NetworkHost    = "host"
	NetworkNone    = "none"
)

// Register defines the global flags on fs.
func Register(fs *flag.FlagSet) *Config {
	c := &Config{Platform: "ptrace", Root: "/run/runsc", Overlay: OverlayMemory, Network: NetworkNone, Rootless: RootlessAuto}
	c.RegisterSandboxFlags(fs)
	fs.StringVar(&c.Root, "root", c.Root, "root directory for container state (default for a rootless non-root user: $XDG_RUNTIME_DIR/runsc)")
	fs.Var(rootlessValue{&c.Rootless}, "rootless", "run the sandbox and gofer in user namespaces of their own, as an unprivileged user can: true, false or auto (true unless runsc runs as the host's root)")
	c.registerRuntimeFlags(fs)
	return c
}

// RegisterSandboxFlags defines the flags that shape a sandbox on fs, bound to c and
// defaulting to c's current values, so that commands such as `do` accept them after the
// command name too (runsc do --strace CMD).
func (c *Config) RegisterSandboxFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Platform, "platform", c.Platform, "platform that runs application code: "+fmt.Sprint(platform.Names()))
	fs.BoolVar(&c.Strace, "strace", c.Strace, "log every syscall of the application, strace-style, to the debug log (stderr by default)")
	fs.BoolVar(&c.Debug, "debug", c.Debug, "log sentry diagnostics to the debug log")
	fs.StringVar(&c.DebugLog, "debug-log", c.DebugLog, "directory for debug logs (default: stderr)")
	fs.StringVar(&c.Overlay, "overlay", c.Overlay, "root filesystem: "+OverlayMemory+" (writes go to memory) or "+OverlayNone+" (writes reach the rootfs unless root.readonly)")
	fs.StringVar(&c.Network, "network", c.Network, "sandbox network: "+NetworkNone+" (no network: the sentry has no sockets, socket(2) is ENOSYS); "+NetworkSandbox+" and "+NetworkHost+" are not implemented yet")
}

// Validate checks values that flag parsing cannot.
func (c *Config) Validate() error {
	found := false
	for _, n := range platform.Names() {
		found = found || n == c.Platform
	}
	if !found {
		return fmt.Errorf("unknown platform %q (available: %v)", c.Platform, platform.Names())
	}
	if c.Overlay != OverlayMemory && c.Overlay != OverlayNone {
		return fmt.Errorf("unknown --overlay %q (%s or %s)", c.Overlay, OverlayMemory, OverlayNone)
	}
	if err := validateNetwork(c.Network); err != nil {
		return err
	}
	if _, err := parseRootless(c.Rootless); err != nil {
		return fmt.Errorf("bad --rootless: %v", err)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("unknown --log-format %q (text or json)", c.LogFormat)
	}
	return nil
}

// validateNetwork accepts the --network values that exist. sandbox and host are known
// names that are refused as not implemented (rather than as unknown), so that a caller
// written for gVisor learns why.
func validateNetwork(v string) error {
	switch v {
	case NetworkNone:
		return nil
	case NetworkSandbox, NetworkHost:
		return fmt.Errorf("--network=%s: not implemented yet: the sentry has no sockets (socket(2) is ENOSYS); only %s is available", v, NetworkNone)
	}
	return fmt.Errorf("--network: want %s, %s or %s, not %q", NetworkSandbox, NetworkHost, NetworkNone, v)
}

// DebugWriter opens the debug log for component (a file in DebugLog, else stderr). It
// returns nil when neither --debug nor --strace asks for one.
func (c *Config) DebugWriter(component string) (io.Writer, error) {
	if !c.Debug && !c.Strace {
		return nil, nil
	}
	if c.DebugLog == "" {
		return os.Stderr, nil
	}
	if err := os.MkdirAll(c.DebugLog, 0o755); err != nil {
		return nil, fmt.Errorf("creating debug log directory: %w", err)
	}
	tag := strconv.Itoa(os.Getpid())
	if c.DebugID != "" {
		tag = c.DebugID
	}
	name := filepath.Join(c.DebugLog, fmt.Sprintf("runsc.%s.%s.log", tag, component))
	return os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// Logger returns a logger on w, or nil for a nil w.
func Logger(w io.Writer, prefix string) *log.Logger {
	if w == nil {
		return nil
	}
	return log.New(w, prefix, log.Lmicroseconds)
}
