package tty

import (
	"golang.org/x/sys/unix"
)

// The line discipline: input processing (the master's writes, as typed keys) and output
// processing (the slave's writes and echoes, as displayed bytes).

// signalSet collects the signals ISIG characters raise while Terminal.mu is held, to be
// sent to the foreground process group after it is released (bit n-1 for signal n).
type signalSet uint64

func (s *signalSet) add(sig int) { *s |= 1 << uint(sig-1) }

func isCntrl(c byte) bool { return c < 0x20 || c == 0x7f }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isContinuation reports whether c is a UTF-8 continuation byte on an IUTF8 terminal: it
// takes no column and is erased with its lead byte.
func (tm *Terminal) isContinuation(c byte) bool {
	return tm.termios.iflag(unix.IUTF8) && c&0xc0 == 0x80
}

// receiveLocked processes input typed at the master and returns how many bytes of src it
// took: it stops early when the input queue is full, except in canonical mode with no
// complete line, where (as Linux does) characters that cannot fit are discarded so that
// a line end can still get through.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) receiveLocked(src []byte, sigs *signalSet) int {
	tm.echoStart = len(tm.outq)
	for i, c := range src {
		if tm.inputLenLocked() >= inputQueueMax-1 {
			if !tm.termios.lflag(unix.ICANON) || len(tm.lineEnds) > 0 {
				return i
			}
			if !tm.isSpecialLocked(c) {
				continue
			}
		}
		tm.receiveByteLocked(c, sigs)
	}
	return len(src)
}

// isSpecialLocked reports whether c does something other than add itself to the canonical
// line: the characters that still count when the line is full.
func (tm *Terminal) isSpecialLocked(c byte) bool {
	t := &tm.termios
	if c == '\r' || c == '\n' {
		return true
	}
	for _, cc := range []int{vINTR, vQUIT, vSUSP, vERASE, vKILL, vWERASE, vEOF, vEOL, vEOL2} {
		if t.is(c, cc) {
			return true
		}
	}
	return false
}

// receiveByteLocked processes one input byte.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) receiveByteLocked(c byte, sigs *signalSet) {
	t := &tm.termios
	if t.iflag(unix.ISTRIP) {
		c &= 0x7f
	}
	if t.iflag(unix.IUCLC) && t.lflag(unix.IEXTEN) && c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if tm.lnext {
		// The character after VLNEXT is taken literally.
		tm.lnext = false
		tm.addCharLocked(c)
		return
	}
	switch c {
	case '\r':
		if t.iflag(unix.IGNCR) {
			return
		}
		if t.iflag(unix.ICRNL) {
			c = '\n'
		}
	case '\n':
		if t.iflag(unix.INLCR) {
			c = '\r'
		}
	}
	if t.iflag(unix.IXON) {
		switch {
		case t.is(c, vSTOP):
			tm.setStoppedLocked(true)
			return
		case t.is(c, vSTART):
			tm.setStoppedLocked(false)
			return
		case tm.stopped && t.iflag(unix.IXANY):
			tm.setStoppedLocked(false)
		}
	}
	if t.lflag(unix.ISIG) {
		sig := 0
		switch {
		case t.is(c, vINTR):
			sig = int(unix.SIGINT)
		case t.is(c, vQUIT):
			sig = int(unix.SIGQUIT)
		case t.is(c, vSUSP):
			sig = int(unix.SIGTSTP)
		}
		if sig != 0 {
			if !t.lflag(unix.NOFLSH) {
				// The input queue goes, and the echoes of this write that the master has
				// not been given yet (n_tty's pending echo buffer).
				tm.flushInputLocked()
				if tm.echoStart <= len(tm.outq) {
					tm.outq = tm.outq[:tm.echoStart]
				}
			}
			if t.iflag(unix.IXON) {
				tm.setStoppedLocked(false)
			}
			if t.lflag(unix.ECHO) {
				tm.echoLocked(c)
			}
			sigs.add(sig)
			return
		}
	}
	if t.lflag(unix.ICANON) {
		switch {
		case t.lflag(unix.IEXTEN) && t.is(c, vLNEXT):
			tm.lnext = true
			if t.lflag(unix.ECHO) && t.lflag(unix.ECHOCTL) {
				// A placeholder the literal character's echo overwrites.
				tm.outputRawLocked('^')
				tm.outputRawLocked('\b')
			}
			return
		case t.lflag(unix.IEXTEN) && t.lflag(unix.ECHO) && t.is(c, vREPRINT):
			// The line so far, echoed again on a line of its own.
			tm.echoLocked(c)
			tm.outputLocked('\n', true)
			for _, b := range tm.line {
				tm.echoLocked(b)
			}
			return
		case t.is(c, vERASE):
			tm.eraseLocked(eraseChar)
			return
		case t.is(c, vKILL):
			tm.eraseLocked(eraseLine)
			return
		case t.lflag(unix.IEXTEN) && t.is(c, vWERASE):
			tm.eraseLocked(eraseWord)
			return
		case c == '\n':
			if t.lflag(unix.ECHO) || t.lflag(unix.ECHONL) {
				tm.outputLocked(c, true)
			}
			tm.line = append(tm.line, c)
			tm.commitLineLocked()
			return
		case t.is(c, vEOF):
			// The line goes to the reader without the EOF character; an empty one reads as
			// end of file.
			tm.commitLineLocked()
			return
		case t.is(c, vEOL) || t.is(c, vEOL2):
			if t.lflag(unix.ECHO) {
				tm.echoLocked(c)
			}
			tm.line = append(tm.line, c)
			tm.commitLineLocked()
			return
		}
	}
	tm.addCharLocked(c)
}

// addCharLocked echoes c and adds it to the canonical line or the read queue.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) addCharLocked(c byte) {
	if tm.termios.lflag(unix.ECHO) {
		tm.finishErasingLocked()
		tm.echoLocked(c)
	}
	if tm.termios.lflag(unix.ICANON) {
		tm.line = append(tm.line, c)
		return
	}
	tm.readq = append(tm.readq, c)
}

// commitLineLocked makes the canonical line readable.
func (tm *Terminal) commitLineLocked() {
	tm.readq = append(tm.readq, tm.line...)
	tm.lineEnds = append(tm.lineEnds, len(tm.readq))
	tm.line = tm.line[:0]
}

// Kinds of erasure.
const (
	eraseChar = iota // VERASE: one character
	eraseWord        // VWERASE: back to the start of the word
	eraseLine        // VKILL: the whole line
)

// eraseLocked edits the canonical line and echoes the erasure (n_tty's eraser).
//
// Preconditions: tm.mu is held; the terminal is in canonical mode.
func (tm *Terminal) eraseLocked(kind int) {
	t := &tm.termios
	if len(tm.line) == 0 {
		return
	}
	echo := t.lflag(unix.ECHO)
	if kind == eraseLine {
		if !echo {
			tm.line = tm.line[:0]
			return
		}
		if !t.lflag(unix.ECHOK) || !t.lflag(unix.ECHOKE) || !t.lflag(unix.ECHOE) {
			tm.line = tm.line[:0]
			tm.finishErasingLocked()
			tm.echoLocked(t.Cc[vKILL])
			if t.lflag(unix.ECHOK) {
				tm.outputLocked('\n', true)
			}
			return
		}
	}
	seenAlnum := false
	for len(tm.line) > 0 {
		// One character: with IUTF8, a lead byte with its continuation bytes.
		n := 1
		for n < len(tm.line) && tm.isContinuation(tm.line[len(tm.line)-n]) {
			n++
		}
		c := tm.line[len(tm.line)-n]
		if kind == eraseWord {
			if isAlnum(c) || c == '_' {
				seenAlnum = true
			} else if seenAlnum {
				break
			}
		}
		erased := tm.line[len(tm.line)-n:]
		tm.line = tm.line[:len(tm.line)-n]
		if echo {
			switch {
			case t.lflag(unix.ECHOPRT):
				// Hardcopy erasure: the erased characters printed between \ and /.
				if !tm.erasing {
					tm.outputRawLocked('\\')
					tm.erasing = true
				}
				tm.echoLocked(c)
				for _, b := range erased[1:] {
					tm.outputRawLocked(b)
				}
			case kind == eraseChar && !t.lflag(unix.ECHOE):
				tm.echoLocked(t.Cc[vERASE])
			case c == '\t':
				// Back to where the tab started: the width of the rest of the line, from
				// the start of the line, rounded to the tab stop.
				col := 0
				for _, b := range tm.line {
					switch {
					case b == '\t':
						col = (col | 7) + 1
					case isCntrl(b):
						if t.lflag(unix.ECHOCTL) {
							col += 2
						}
					case !tm.isContinuation(b):
						col++
					}
				}
				for w := 8 - col%8; w > 0; w-- {
					tm.outputRawLocked('\b')
				}
			default:
				if isCntrl(c) && t.lflag(unix.ECHOCTL) {
					tm.outputStringLocked("\b \b")
				}
				if !isCntrl(c) || t.lflag(unix.ECHOCTL) {
					tm.outputStringLocked("\b \b")
				}
			}
		}
		if kind == eraseChar {
			break
		}
	}
	if len(tm.line) == 0 && echo {
		tm.finishErasingLocked()
	}
}

// finishErasingLocked closes an ECHOPRT erasure with its /.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) finishErasingLocked() {
	if tm.erasing {
		tm.outputRawLocked('/')
		tm.erasing = false
	}
}

// echoLocked echoes input character c: control characters as ^X with ECHOCTL (but tab),
// others through output processing.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) echoLocked(c byte) {
	if tm.termios.lflag(unix.ECHOCTL) && isCntrl(c) && c != '\t' {
		if len(tm.outq)+2 <= outputQueueHardMax {
			tm.outq = append(tm.outq, '^', c^0x40)
			tm.column += 2
		}
		return
	}
	tm.outputLocked(c, true)
}

func (tm *Terminal) outputStringLocked(s string) {
	for i := 0; i < len(s); i++ {
		tm.outputLocked(s[i], true)
	}
}

// outputRawLocked queues an echo byte without output processing.
func (tm *Terminal) outputRawLocked(c byte) {
	if len(tm.outq) < outputQueueHardMax {
		tm.outq = append(tm.outq, c)
		if c == '\b' && tm.column > 0 {
			tm.column--
		}
	}
}

// outputLocked queues c for the master with output processing (OPOST and its flags);
// echoes are dropped once the queue reaches its hard limit.
//
// Preconditions: tm.mu is held.
func (tm *Terminal) outputLocked(c byte, echo bool) {
	if echo && len(tm.outq) >= outputQueueHardMax {
		return
	}
	t := &tm.termios
	if !t.oflag(unix.OPOST) {
		tm.outq = append(tm.outq, c)
		return
	}
	switch c {
	case '\n':
		if t.oflag(unix.ONLRET) {
			tm.column = 0
		}
		if t.oflag(unix.ONLCR) {
			tm.column = 0
			tm.outq = append(tm.outq, '\r', '\n')
			return
		}
	case '\r':
		if t.oflag(unix.ONOCR) && tm.column == 0 {
			return
		}
		if t.oflag(unix.OCRNL) {
			c = '\n'
			if t.oflag(unix.ONLRET) {
				tm.column = 0
			}
			break
		}
		tm.column = 0
	case '\t':
		spaces := 8 - tm.column%8
		tm.column += spaces
		if t.Oflag&unix.TABDLY == unix.TAB3 {
			for ; spaces > 0; spaces-- {
				tm.outq = append(tm.outq, ' ')
			}
			return
		}
	case '\b':
		if tm.column > 0 {
			tm.column--
		}
	default:
		if !isCntrl(c) {
			if t.oflag(unix.OLCUC) && c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			if !tm.isContinuation(c) {
				tm.column++
			}
		}
	}
	tm.outq = append(tm.outq, c)
}
