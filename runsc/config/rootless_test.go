package config

import (
	"flag"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRootlessFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		bad  bool
	}{
		{nil, RootlessAuto, false},
		{[]string{"--rootless"}, RootlessTrue, false},
		{[]string{"--rootless=true"}, RootlessTrue, false},
		{[]string{"--rootless=false"}, RootlessFalse, false},
		{[]string{"--rootless=auto"}, RootlessAuto, false},
		{[]string{"--rootless=AUTO"}, RootlessAuto, false},
		{[]string{"--rootless=1"}, RootlessTrue, false},
		{[]string{"--rootless=maybe"}, "", true},
	} {
		fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c := Register(fs)
		err := fs.Parse(tc.args)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "true, false or auto") {
				t.Errorf("%v: error %v, want one naming the values", tc.args, err)
			}
			continue
		}
		if err != nil || c.Rootless != tc.want {
			t.Errorf("%v: Rootless %q, error %v; want %q", tc.args, c.Rootless, err, tc.want)
		}
	}
}

func TestRootlessArgsJoinsRuncSpelling(t *testing.T) {
	fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
	Register(fs)
	isCmd := func(s string) bool { return s == "list" || s == "do" }
	for _, tc := range []struct{ in, want string }{
		{"--rootless true list", "--rootless=true list"},
		{"--rootless maybe list", "--rootless=maybe list"},
		{"--rootless list", "--rootless list"},
		{"--root /r --rootless auto list", "--root /r --rootless=auto list"},
		// --root's value is not taken for the command; nothing after the command changes.
		{"--root true --rootless list --rootless false", "--root true --rootless list --rootless false"},
		{"-rootless false do sh", "-rootless=false do sh"},
		{"--debug --rootless --strace do x", "--debug --rootless --strace do x"},
	} {
		got := strings.Join(RootlessArgs(fs, strings.Fields(tc.in), isCmd), " ")
		if got != tc.want {
			t.Errorf("RootlessArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRootlessFlagPassedResolved(t *testing.T) {
	for v, want := range map[string]string{
		RootlessTrue: "--rootless=true", RootlessFalse: "--rootless=false",
		// auto is resolved by the caller: the sandbox is root in its user namespace.
		RootlessAuto: "--rootless=" + strconv.FormatBool(os.Geteuid() != 0 || inUserNamespace()),
	} {
		c := &Config{Rootless: v, LogFormat: "text"}
		flags := c.Flags()
		if !reflect.DeepEqual(flags[len(flags)-1:], []string{want}) {
			t.Errorf("%s: Flags() ends with %v, want %s", v, flags[len(flags)-1:], want)
		}
	}
}

func TestResolveRoot(t *testing.T) {
	c := &Config{Root: "/run/runsc", Rootless: RootlessTrue}
	if err := c.ResolveRoot(true); err != nil || c.Root != "/run/runsc" {
		t.Errorf("explicit --root: %q, %v", c.Root, err)
	}
	if os.Geteuid() == 0 {
		// Root keeps /run/runsc, rootless or not.
		if err := c.ResolveRoot(false); err != nil || c.Root != "/run/runsc" {
			t.Errorf("root: %q, %v", c.Root, err)
		}
		return
	}
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/42")
	if err := c.ResolveRoot(false); err != nil || c.Root != "/run/user/42/runsc" {
		t.Errorf("XDG_RUNTIME_DIR set: %q, %v", c.Root, err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	if err := c.ResolveRoot(false); err != ErrNoStateRoot {
		t.Errorf("no XDG_RUNTIME_DIR: %v, want ErrNoStateRoot", err)
	}
}
