package kernel

import "github.com/stockade-sandbox/stockade/sentry/waiter"

// Hooks for signalfd (fsimpl/signalfd): a signalfd waits on its process's signal queue.

// EventRegisterSignals registers e to be notified (EventIn) whenever a signal is queued for
// tg or one of its tasks.
func (tg *ThreadGroup) EventRegisterSignals(e *waiter.Entry) { tg.signalfds.EventRegister(e) }

// EventUnregisterSignals undoes EventRegisterSignals.
func (tg *ThreadGroup) EventUnregisterSignals(e *waiter.Entry) { tg.signalfds.EventUnregister(e) }
