package boot

// procfs registers the "proc" and "sysfs" filesystem types, which newRootFS mounts at
// /proc and /sys.
import _ "github.com/stockade-sandbox/stockade/fsimpl/proc"

// The mqueue filesystem, for the spec's /dev/mqueue mount.
import _ "github.com/stockade-sandbox/stockade/fsimpl/mqueue"
