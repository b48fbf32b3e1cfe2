package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// registerRuntimeFlags defines the global flags runc has and runsc accepts the same way.
func (c *Config) registerRuntimeFlags(fs *flag.FlagSet) {
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	fs.StringVar(&c.Log, "log", c.Log, "file for runsc's own log messages (default: stderr)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "format of --log: text or json")
	fs.BoolVar(&c.SystemdCgroup, "systemd-cgroup", c.SystemdCgroup, "linux.cgroupsPath is systemd-style (slice:prefix:name; runsc makes the directories itself)")
}

// Flags returns the global flags that reproduce c, for a runsc process that runsc starts
// itself (the sandbox: `runsc boot`).
func (c *Config) Flags() []string {
	return []string{
		"--root=" + c.Root,
		"--platform=" + c.Platform,
		"--strace=" + strconv.FormatBool(c.Strace),
		"--debug=" + strconv.FormatBool(c.Debug),
		"--debug-log=" + c.DebugLog,
		"--overlay=" + c.Overlay,
		"--network=" + c.Network,
		"--log=" + c.Log,
		"--log-format=" + c.LogFormat,
		"--systemd-cgroup=" + strconv.FormatBool(c.SystemdCgroup),
		// Resolved here: in its user namespace, a rootless sandbox runs as uid 0, where
		// auto would mean false.
		"--rootless=" + strconv.FormatBool(c.IsRootless()),
	}
}

// RuntimeLog is runsc's own log (runc's --log and --log-format): warnings always, debug
// messages with --debug. Safe for concurrent use.
type RuntimeLog struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	debug bool
}

// OpenRuntimeLog opens the log --log names (appending), or stderr.
func (c *Config) OpenRuntimeLog() *RuntimeLog {
	l := &RuntimeLog{w: os.Stderr, json: c.LogFormat == "json", debug: c.Debug}
	if c.Log != "" {
		f, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			l.w = f
		} else {
			fmt.Fprintf(os.Stderr, "runsc: opening --log %s: %v (logging to stderr)\n", c.Log, err)
		}
	}
	return l
}

// Debugf logs a debug message (only with --debug).
func (l *RuntimeLog) Debugf(format string, args ...any) {
	if l != nil && l.debug {
		l.write("debug", fmt.Sprintf(format, args...))
	}
}

// Errorf logs an error (the record containerd's shim reads back when a command fails).
func (l *RuntimeLog) Errorf(format string, args ...any) {
	if l != nil {
		l.write("error", fmt.Sprintf(format, args...))
	}
}

// Warnf logs a warning.
func (l *RuntimeLog) Warnf(format string, args ...any) {
	if l != nil {
		l.write("warning", fmt.Sprintf(format, args...))
	}
}

func (l *RuntimeLog) write(level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if l.json {
		b, _ := json.Marshal(map[string]any{"level": level, "msg": msg, "time": now, "pid": os.Getpid()})
		l.w.Write(append(b, '\n'))
		return
	}
	fmt.Fprintf(l.w, "time=%q level=%s pid=%d msg=%q\n", now, level, os.Getpid(), msg)
}
