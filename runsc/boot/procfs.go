package boot

// procfs registers the "proc" and "sysfs" filesystem types, which newRootFS mounts at
// /proc and /sys.
import _ "github.com/stockade-sandbox/stockade/fsimpl/proc"
