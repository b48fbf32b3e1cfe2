package kernel

import "sync"

var (
	exitHooksMu sync.RWMutex
	// exitHooks run when a process's last task exits. Guarded by exitHooksMu.
	exitHooks []func(*ThreadGroup)
	// fdCloseHooks run when execve closes a close-on-exec descriptor. Guarded by
	// exitHooksMu.
	fdCloseHooks []func(*ThreadGroup, *FileRef)
)

// RegisterFDCloseHook adds fn to the functions called when execve closes a close-on-exec
// descriptor of a process, before the file's reference is dropped (the VFS releases the
// process's POSIX record locks on the file, as close(2) does). Packages call it from init.
func RegisterFDCloseHook(fn func(*ThreadGroup, *FileRef)) {
	exitHooksMu.Lock()
	defer exitHooksMu.Unlock()
	fdCloseHooks = append(fdCloseHooks, fn)
}

func runFDCloseHooks(tg *ThreadGroup, f *FileRef) {
	exitHooksMu.RLock()
	defer exitHooksMu.RUnlock()
	for _, fn := range fdCloseHooks {
		fn(tg, f)
	}
}

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
