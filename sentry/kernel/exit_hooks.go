package kernel

import "sync"

var (
	exitHooksMu sync.RWMutex
	// exitHooks run when a process's last task exits. Guarded by exitHooksMu.
	exitHooks []func(*ThreadGroup)
)

// RegisterProcessExitHook adds fn to the functions called when a process's last task has
// exited, before its parent hears of it (the VFS releases its POSIX record locks). Packages
// call it from init.
func RegisterProcessExitHook(fn func(*ThreadGroup)) {
	exitHooksMu.Lock()
	defer exitHooksMu.Unlock()
	exitHooks = append(exitHooks, fn)
}

func runProcessExitHooks(tg *ThreadGroup) {
	exitHooksMu.RLock()
	defer exitHooksMu.RUnlock()
	for _, fn := range exitHooks {
		fn(tg)
	}
}
