package syscalls

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
	"github.com/stockade-sandbox/stockade/sentry/waiter"
)

// Poll event bits that have no waiter.EventMask twin (the rest are equal to EPOLL*).
const (
	pollRdNorm = 0x040
	pollRdBand = 0x080
	pollWrNorm = 0x100
	pollWrBand = 0x200

	pollInSet  = waiter.EventIn | waiter.EventHUp | waiter.EventErr
	pollOutSet = waiter.EventOut | waiter.EventErr
	pollExSet  = waiter.EventPri
)

// pollMask converts poll(2) events to the waiter events to watch for.
func pollMask(ev int16) waiter.EventMask {
	e := uint32(uint16(ev))
	var m waiter.EventMask
	if e&(unix.POLLIN|pollRdNorm) != 0 {
		m |= waiter.EventIn
	}
	if e&(unix.POLLPRI|pollRdBand) != 0 {
		m |= waiter.EventPri
	}
	if e&(unix.POLLOUT|pollWrNorm|pollWrBand) != 0 {
		m |= waiter.EventOut
	}
	if e&unix.POLLRDHUP != 0 {
		m |= waiter.EventRdHUp
	}
	return m | waiter.EventErr | waiter.EventHUp
}

// pollRevents converts ready waiter events back to the poll(2) bits the caller asked for
// (plus POLLERR and POLLHUP, which are always reported).
func pollRevents(ev int16, r waiter.EventMask) int16 {
	e := uint32(uint16(ev))
	var out uint32
	if r&waiter.EventIn != 0 {
		out |= e & (unix.POLLIN | pollRdNorm)
	}
	if r&waiter.EventPri != 0 {
		out |= e & (unix.POLLPRI | pollRdBand)
	}
	if r&waiter.EventOut != 0 {
		out |= e & (unix.POLLOUT | pollWrNorm)
	}
	if r&waiter.EventRdHUp != 0 {
		out |= e & unix.POLLRDHUP
	}
	out |= uint32(r & (waiter.EventErr | waiter.EventHUp))
	return int16(out)
}

// pollFile is one file being waited on.
type pollFile struct {
	f    *kernel.FileRef
	mask waiter.EventMask
}

// waitAny waits until check reports something ready (a positive count), the deadline passes
// (zero: check once), or t is interrupted (ERESTARTSYS from BlockOn). Every file is
// registered before the first check, so no readiness change is missed.
func waitAny(t *kernel.Task, files []pollFile, deadline time.Time, zero bool, check func() int) (int, error) {
	ch := make(chan struct{}, 1)
	wake := func(waiter.EventMask) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	if !zero {
		entries := make([]waiter.Entry, len(files))
		for i, pf := range files {
			entries[i] = waiter.Entry{Mask: pf.mask, Callback: wake}
			pf.f.EventRegister(&entries[i])
		}
		defer func() {
			for i, pf := range files {
				pf.f.EventUnregister(&entries[i])
			}
		}()
	}
	for {
		if n := check(); n > 0 || zero {
			return n, nil
		}
		switch err := t.BlockOn(ch, deadline); err {
		case nil:
		case unix.ETIMEDOUT:
			return check(), nil
		default:
			return 0, err
		}
	}
}

const pollFDSize = 8

// doPoll runs poll over the nfds pollfds at addr and writes the revents back.
func doPoll(t *kernel.Task, addr uintptr, nfds uint64, deadline time.Time, zero bool) (uintptr, error) {
	if nfds > fdLimit(t) {
		return 0, unix.EINVAL
	}
	raw := make([]byte, nfds*pollFDSize)
	if _, err := t.CopyIn(addr, raw); err != nil && nfds > 0 {
		return 0, unix.EFAULT
	}
	type entry struct {
		fd      int32
		events  int16
		revents int16
		file    int // index in files, or -1
	}
	ents := make([]entry, nfds)
	var files []pollFile
	defer func() {
		for _, pf := range files {
			pf.f.DecRef()
		}
	}()
	for i := range ents {
		e := &ents[i]
		e.fd = int32(binary.LittleEndian.Uint32(raw[i*pollFDSize:]))
		e.events = int16(binary.LittleEndian.Uint16(raw[i*pollFDSize+4:]))
		e.file = -1
		if e.fd < 0 {
			continue
		}
		f, err := getFile(t, e.fd)
		if err != nil {
			continue // POLLNVAL
		}
		e.file = len(files)
		files = append(files, pollFile{f: f, mask: pollMask(e.events)})
	}
	check := func() int {
		n := 0
		for i := range ents {
			e := &ents[i]
			switch {
			case e.fd < 0:
				e.revents = 0
			case e.file < 0:
				e.revents = unix.POLLNVAL
			default:
				pf := files[e.file]
				e.revents = pollRevents(e.events, pf.f.Readiness(pf.mask))
			}
			if e.revents != 0 {
				n++
			}
		}
		return n
	}
	n, err := waitAny(t, files, deadline, zero, check)
	for i := range ents {
		binary.LittleEndian.PutUint16(raw[i*pollFDSize+6:], uint16(ents[i].revents))
	}
	if nfds > 0 {
		if _, cerr := t.CopyOut(addr, raw); cerr != nil && err == nil {
			return 0, unix.EFAULT
		}
	}
	if err == kernel.ERESTARTSYS {
		err = kernel.ERESTARTNOHAND
	}
	return uintptr(n), err
}

// Poll implements Linux syscall poll(2). Interrupted by a signal, it restarts through
// restart_syscall(2) with the time left, unless a handler ran (EINTR).
func Poll(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	ms := args.Int(2)
	var deadline time.Time
	zero := ms == 0
	if ms > 0 {
		deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	return pollRestartable(t, args.Pointer(0), uint64(args.Uint(1)), deadline, zero)
}

func pollRestartable(t *kernel.Task, addr uintptr, nfds uint64, deadline time.Time, zero bool) (uintptr, error) {
	n, err := doPoll(t, addr, nfds, deadline, zero)
	if err == kernel.ERESTARTNOHAND {
		t.SetRestartSyscall(func(t *kernel.Task) (uintptr, error) {
			return pollRestartable(t, addr, nfds, deadline, zero)
		})
		return 0, kernel.ERESTART_RESTARTBLOCK
	}
	return n, err
}

// timeoutFromTimespec reads a ppoll/pselect6 timeout: a zero time and false for none (addr
// 0), EINVAL for an invalid timespec.
func timeoutFromTimespec(t *kernel.Task, addr uintptr) (deadline time.Time, zero, has bool, err error) {
	if addr == 0 {
		return time.Time{}, false, false, nil
	}
	var ts unix.Timespec
	if err := copyInStruct(t, addr, &ts); err != nil {
		return time.Time{}, false, false, err
	}
	if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
		return time.Time{}, false, false, unix.EINVAL
	}
	return deadlineAfter(ts.Sec, ts.Nsec)
}

func deadlineAfter(sec, nsec int64) (time.Time, bool, bool, error) {
	if sec == 0 && nsec == 0 {
		return time.Time{}, true, true, nil
	}
	const maxSec = 1 << 33 // far enough: no overflow of time.Duration arithmetic
	if sec > maxSec {
		sec = maxSec
	}
	return time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec)), false, true, nil
}

// remaining is the time left until deadline, never negative.
func remaining(deadline time.Time) time.Duration {
	return max(time.Until(deadline), 0)
}

// setSigmaskArg installs a ppoll/pselect6 signal mask for the duration of the call.
func setSigmaskArg(t *kernel.Task, addr uintptr, size uint64) error {
	if addr == 0 {
		return nil
	}
	if size != sigSetSize {
		return unix.EINVAL
	}
	var mask uint64
	if err := copyInStruct(t, addr, &mask); err != nil {
		return err
	}
	t.SetSavedSigMask(mask)
	return nil
}

// finishSigmask restores the mask now unless a signal interrupted the call (the delivery
// point restores it then, after recording it in the handler's frame).
func finishSigmask(t *kernel.Task, err error) {
	if err != kernel.ERESTARTNOHAND {
		t.RestoreSavedSigMask()
	}
}

// Ppoll implements Linux syscall ppoll(2): the timeout is written back with the time left,
// and the signal mask is in force during the wait.
func Ppoll(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tsAddr := args.Pointer(2)
	deadline, zero, has, err := timeoutFromTimespec(t, tsAddr)
	if err != nil {
		return 0, err
	}
	if err := setSigmaskArg(t, args.Pointer(3), uint64(args[4])); err != nil {
		return 0, err
	}
	n, err := doPoll(t, args.Pointer(0), uint64(args.Uint(1)), deadline, zero)
	finishSigmask(t, err)
	if has && !zero {
		ts := unix.NsecToTimespec(remaining(deadline).Nanoseconds())
		if cerr := copyOutStruct(t, tsAddr, &ts); cerr != nil && err == kernel.ERESTARTNOHAND {
			err = unix.EINTR
		}
	}
	return n, err
}

// doSelect runs select over nfds descriptors with the fd_sets at r, w and x (any may be 0).
func doSelect(t *kernel.Task, nfds int32, r, w, x uintptr, deadline time.Time, zero bool) (uintptr, error) {
	if nfds < 0 {
		return 0, unix.EINVAL
	}
	n := uint64(nfds)
	if lim := fdLimit(t); n > lim {
		n = lim
	}
	nbytes := int((n + 63) / 64 * 8)
	addrs := [3]uintptr{r, w, x}
	var in [3][]byte
	for i, a := range addrs {
		if a == 0 {
			continue
		}
		in[i] = make([]byte, nbytes)
		if _, err := t.CopyIn(a, in[i]); err != nil && nbytes > 0 {
			return 0, unix.EFAULT
		}
	}
	type entry struct {
		fd   int32
		sets [3]bool
		file int
	}
	var ents []entry
	var files []pollFile
	defer func() {
		for _, pf := range files {
			pf.f.DecRef()
		}
	}()
	for fd := 0; uint64(fd) < n; fd++ {
		e := entry{fd: int32(fd)}
		any := false
		for i := range in {
			if in[i] != nil && in[i][fd/8]&(1<<(fd%8)) != 0 {
				e.sets[i] = true
				any = true
			}
		}
		if !any {
			continue
		}
		f, err := getFile(t, int32(fd))
		if err != nil {
			return 0, unix.EBADF
		}
		var m waiter.EventMask
		if e.sets[0] {
			m |= pollInSet
		}
		if e.sets[1] {
			m |= pollOutSet
		}
		if e.sets[2] {
			m |= pollExSet
		}
		e.file = len(files)
		files = append(files, pollFile{f: f, mask: m})
		ents = append(ents, e)
	}
	var out [3][]byte
	for i := range in {
		if in[i] != nil {
			out[i] = make([]byte, nbytes)
		}
	}
	sets := [3]waiter.EventMask{pollInSet, pollOutSet, pollExSet}
	check := func() int {
		cnt := 0
		for i := range out {
			clear(out[i])
		}
		for _, e := range ents {
			pf := files[e.file]
			ready := pf.f.Readiness(pf.mask)
			for i := range sets {
				if e.sets[i] && ready&sets[i] != 0 {
					out[i][e.fd/8] |= 1 << (e.fd % 8)
					cnt++
				}
			}
		}
		return cnt
	}
	cnt, err := waitAny(t, files, deadline, zero, check)
	if err == kernel.ERESTARTSYS {
		err = kernel.ERESTARTNOHAND
	}
	if err != nil {
		return 0, err
	}
	for i, a := range addrs {
		if a != 0 && nbytes > 0 {
			if _, err := t.CopyOut(a, out[i]); err != nil {
				return 0, unix.EFAULT
			}
		}
	}
	return uintptr(cnt), nil
}

// Select implements Linux syscall select(2). As Linux does, the timeval is updated with the
// time left.
func Select(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tvAddr := args.Pointer(4)
	var deadline time.Time
	var zero, has bool
	if tvAddr != 0 {
		var tv unix.Timeval
		if err := copyInStruct(t, tvAddr, &tv); err != nil {
			return 0, err
		}
		if tv.Sec < 0 || tv.Usec < 0 {
			return 0, unix.EINVAL
		}
		sec := tv.Sec + tv.Usec/1e6
		var err error
		if deadline, zero, has, err = deadlineAfter(sec, tv.Usec%1e6*1000); err != nil {
			return 0, err
		}
	}
	n, err := doSelect(t, args.Int(0), args.Pointer(1), args.Pointer(2), args.Pointer(3), deadline, zero)
	if has && !zero {
		tv := unix.NsecToTimeval(remaining(deadline).Nanoseconds())
		if cerr := copyOutStruct(t, tvAddr, &tv); cerr != nil && err == kernel.ERESTARTNOHAND {
			err = unix.EINTR
		}
	}
	return n, err
}

// Pselect6 implements Linux syscall pselect6(2): a timespec timeout written back with the
// time left, and a {sigset, size} pair whose mask is in force during the wait.
func Pselect6(t *kernel.Task, args arch.SyscallArguments) (uintptr, error) {
	tsAddr := args.Pointer(4)
	deadline, zero, has, err := timeoutFromTimespec(t, tsAddr)
	if err != nil {
		return 0, err
	}
	if p := args.Pointer(5); p != 0 {
		var sm struct {
			Addr uintptr
			Size uint64
		}
		if err := copyInStruct(t, p, &sm); err != nil {
			return 0, err
		}
		if err := setSigmaskArg(t, sm.Addr, sm.Size); err != nil {
			return 0, err
		}
	}
	n, err := doSelect(t, args.Int(0), args.Pointer(1), args.Pointer(2), args.Pointer(3), deadline, zero)
	finishSigmask(t, err)
	if has && !zero {
		ts := unix.NsecToTimespec(remaining(deadline).Nanoseconds())
		if cerr := copyOutStruct(t, tsAddr, &ts); cerr != nil && err == kernel.ERESTARTNOHAND {
			err = unix.EINTR
		}
	}
	return n, err
}
