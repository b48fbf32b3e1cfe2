package tty

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Termios is the kernel's struct termios (asm-generic/termbits.h): what TCGETS and TCSETS
// copy, 36 bytes. The termios2 ioctls (TCGETS2...) copy it followed by the two speeds.
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	Cc                         [numCC]uint8
}

const (
	numCC = 19
	// termiosSize and termios2Size are the sizes of struct termios and struct termios2.
	termiosSize  = 36
	termios2Size = 44
	// baud38400 is what a pty reports as its line speed (B38400 in cflag).
	baud38400 = 38400
)

// Control characters (c_cc indexes).
const (
	vINTR    = unix.VINTR
	vQUIT    = unix.VQUIT
	vERASE   = unix.VERASE
	vKILL    = unix.VKILL
	vEOF     = unix.VEOF
	vTIME    = unix.VTIME
	vMIN     = unix.VMIN
	vSTART   = unix.VSTART
	vSTOP    = unix.VSTOP
	vSUSP    = unix.VSUSP
	vEOL     = unix.VEOL
	vREPRINT = unix.VREPRINT
	vWERASE  = unix.VWERASE
	vLNEXT   = unix.VLNEXT
	vEOL2    = unix.VEOL2
)

// disabledChar is _POSIX_VDISABLE: a control character set to it matches nothing.
const disabledChar = 0

// defaultTermios is a new pseudo-terminal slave's: Linux's tty_std_termios with the pty
// driver's cflag (B38400 | CS8 | CREAD).
func defaultTermios() Termios {
	t := Termios{
		Iflag: unix.ICRNL | unix.IXON,
		Oflag: unix.OPOST | unix.ONLCR,
		Cflag: unix.B38400 | unix.CS8 | unix.CREAD,
		Lflag: unix.ISIG | unix.ICANON | unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHOCTL | unix.ECHOKE | unix.IEXTEN,
	}
	t.Cc[vINTR] = 'C' & 0x1f
	t.Cc[vQUIT] = '\\' & 0x1f
	t.Cc[vERASE] = 0x7f
	t.Cc[vKILL] = 'U' & 0x1f
	t.Cc[vEOF] = 'D' & 0x1f
	t.Cc[vTIME] = 0
	t.Cc[vMIN] = 1
	t.Cc[vSTART] = 'Q' & 0x1f
	t.Cc[vSTOP] = 'S' & 0x1f
	t.Cc[vSUSP] = 'Z' & 0x1f
	t.Cc[vREPRINT] = 'R' & 0x1f
	t.Cc[unix.VDISCARD] = 'O' & 0x1f
	t.Cc[vWERASE] = 'W' & 0x1f
	t.Cc[vLNEXT] = 'V' & 0x1f
	return t
}

// marshal encodes t as struct termios, followed by the speeds (termios2) when len(b) is
// termios2Size.
func (t *Termios) marshal(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b[0:], t.Iflag)
	le.PutUint32(b[4:], t.Oflag)
	le.PutUint32(b[8:], t.Cflag)
	le.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:36], t.Cc[:])
	if len(b) >= termios2Size {
		le.PutUint32(b[36:], baud38400)
		le.PutUint32(b[40:], baud38400)
	}
}

// unmarshal decodes struct termios from b (the speeds of termios2 are ignored: a pty has
// none).
func (t *Termios) unmarshal(b []byte) {
	le := binary.LittleEndian
	t.Iflag = le.Uint32(b[0:])
	t.Oflag = le.Uint32(b[4:])
	t.Cflag = le.Uint32(b[8:])
	t.Lflag = le.Uint32(b[12:])
	t.Line = b[16]
	copy(t.Cc[:], b[17:36])
}

func (t *Termios) iflag(f uint32) bool { return t.Iflag&f != 0 }
func (t *Termios) oflag(f uint32) bool { return t.Oflag&f != 0 }
func (t *Termios) lflag(f uint32) bool { return t.Lflag&f != 0 }

// is reports whether c is the enabled control character cc.
func (t *Termios) is(c byte, cc int) bool { return c != disabledChar && t.Cc[cc] == c }

// Winsize is struct winsize (TIOCGWINSZ).
type Winsize struct {
	Row, Col, Xpixel, Ypixel uint16
}

const winsizeSize = 8

func (w *Winsize) marshal(b []byte) {
	le := binary.LittleEndian
	le.PutUint16(b[0:], w.Row)
	le.PutUint16(b[2:], w.Col)
	le.PutUint16(b[4:], w.Xpixel)
	le.PutUint16(b[6:], w.Ypixel)
}

func (w *Winsize) unmarshal(b []byte) {
	le := binary.LittleEndian
	w.Row, w.Col = le.Uint16(b[0:]), le.Uint16(b[2:])
	w.Xpixel, w.Ypixel = le.Uint16(b[4:]), le.Uint16(b[6:])
}
