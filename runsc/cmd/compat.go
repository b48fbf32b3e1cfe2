package cmd

import "flag"

// runcCompatFlags defines flags of runc's create and run that containerd's shim may pass and
// that need nothing from runsc: --no-pivot (runc's fallback for a root on ramfs; the sandbox
// always pivots into an empty directory of its own, whatever the rootfs) and
// --no-new-keyring (the sandbox has no kernel keyrings to create a session keyring in).
func runcCompatFlags(f *flag.FlagSet) {
	var ignored bool
	f.BoolVar(&ignored, "no-pivot", false, "accepted for runc compatibility; no effect")
	f.BoolVar(&ignored, "no-new-keyring", false, "accepted for runc compatibility; no effect")
}
