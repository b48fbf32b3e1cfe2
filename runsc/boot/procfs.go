package boot

// procfs registers the "proc" filesystem type, which newRootFS mounts at /proc.
import _ "github.com/stockade-sandbox/stockade/fsimpl/proc"
