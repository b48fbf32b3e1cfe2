package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"

	"github.com/google/subcommands"

	"github.com/stockade-sandbox/stockade/runsc/specutil"
)

// Spec implements `runsc spec`: write a default config.json, as `runc spec` does.
type Spec struct {
	bundle string
}

func (*Spec) Name() string     { return "spec" }
func (*Spec) Synopsis() string { return "write a default config.json for a bundle" }
func (*Spec) Usage() string {
	return `spec [--bundle DIR]

Writes DIR/config.json (default: ./config.json): it runs "sh" in DIR/rootfs with the usual
namespaces and mounts. Edit process.args to run something else.
`
}
func (s *Spec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&s.bundle, "bundle", "", "bundle directory to write config.json into (default: the current directory)")
	f.StringVar(&s.bundle, "b", "", "short for --bundle")
}

func (s *Spec) Execute(_ context.Context, f *flag.FlagSet, _ ...any) subcommands.ExitStatus {
	if f.NArg() != 0 {
		return fail("spec: unexpected arguments %q", f.Args())
	}
	name := filepath.Join(s.bundle, specutil.ConfigName)
	data, err := json.MarshalIndent(specutil.Default(), "", "\t")
	if err != nil {
		return fail("spec: %v", err)
	}
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		if os.IsExist(err) {
			return fail("spec: %s exists; remove it first", name)
		}
		return fail("spec: %v", err)
	}
	_, err = out.Write(append(data, '\n'))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail("spec: %v", err)
	}
	return subcommands.ExitSuccess
}
