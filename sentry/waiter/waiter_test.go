package waiter

import "testing"

func TestNotifyCallsOnlyInterestedEntries(t *testing.T) {
	var q Queue
	var gotIn, gotOut EventMask
	in := &Entry{Mask: EventIn, Callback: func(m EventMask) { gotIn |= m }}
	out := &Entry{Mask: EventOut, Callback: func(m EventMask) { gotOut |= m }}
	q.EventRegister(in)
	q.EventRegister(out)
	q.Notify(EventIn | EventHUp)
	if gotIn != EventIn || gotOut != 0 {
		t.Fatalf("after Notify(In|HUp): in got %#x, out got %#x", gotIn, gotOut)
	}
	q.EventUnregister(in)
	gotIn = 0
	q.Notify(EventIn | EventOut)
	if gotIn != 0 || gotOut != EventOut {
		t.Fatalf("after unregister: in got %#x, out got %#x", gotIn, gotOut)
	}
}

func TestChannelEntryDoesNotBlockWhenFull(t *testing.T) {
	var q Queue
	e, ch := ChannelEntry(EventIn)
	q.EventRegister(e)
	q.Notify(EventIn)
	q.Notify(EventIn) // the channel holds one signal; the second must not block
	select {
	case <-ch:
	default:
		t.Fatal("channel not signalled")
	}
	q.EventUnregister(e)
	q.EventUnregister(e) // unregistering twice is harmless
}
