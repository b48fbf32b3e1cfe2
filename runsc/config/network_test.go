package config

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestNetworkFlag: none is the default and the only mode; gVisor's sandbox and host are
// refused as not implemented, anything else as unknown, and the value reaches `runsc boot`.
func TestNetworkFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" for valid; else a substring of the error
	}{
		{nil, ""},
		{[]string{"--network=none"}, ""},
		{[]string{"--network=sandbox"}, "--network=sandbox: not implemented yet: the sentry has no sockets (socket(2) is ENOSYS); only none is available"},
		{[]string{"--network=host"}, "--network=host: not implemented yet"},
		{[]string{"--network=bogus"}, `--network: want sandbox, host or none, not "bogus"`},
		{[]string{"--network="}, `--network: want sandbox, host or none, not ""`},
	} {
		fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c := Register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: parse: %v", tc.args, err)
		}
		// Validate's other checks need the platforms registered (by runsc's main); the
		// oci tests cover the flag through it.
		err := validateNetwork(c.Network)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			} else if c.Network != NetworkNone {
				t.Errorf("%v: Network = %q, want %q", tc.args, c.Network, NetworkNone)
			} else if !slices.Contains(c.Flags(), "--network=none") {
				t.Errorf("%v: Flags() = %v, want --network=none among them", tc.args, c.Flags())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line containing %q", tc.args, err, tc.want)
		}
	}
}
