package vfs

import "github.com/stockade-sandbox/stockade/sentry/kernel"

// OpenWaiter is implemented by FileDescriptionImpls whose open finishes only once the file
// description exists: a fifo's open waits for its peer (fifo(7)) and later reads the
// description's status flags (O_NONBLOCK can change with fcntl).
type OpenWaiter interface {
	// WaitOpen finishes the open of fd for t. It may block (interruptibly, returning
	// ERESTARTSYS); on error the caller drops fd.
	WaitOpen(t *kernel.Task, fd *FileDescription) error
}

// WaitOpen finishes opening fd for t if its implementation needs to (see OpenWaiter). The
// open syscalls call it after OpenAt, before installing the descriptor.
func WaitOpen(t *kernel.Task, fd *FileDescription) error {
	if w, ok := fd.impl.(OpenWaiter); ok {
		return w.WaitOpen(t, fd)
	}
	return nil
}
