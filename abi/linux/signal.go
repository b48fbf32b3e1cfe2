package linux

import "encoding/binary"

// Signal numbers the sentry treats specially (the rest come from golang.org/x/sys/unix).
const (
	// SIGRTMIN is the first real-time signal: signals from SIGRTMIN to NumSignals queue
	// every instance; standard signals below it coalesce.
	SIGRTMIN = 32
)

// sigaction flags (asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h).
const (
	SA_NOCLDSTOP = 0x00000001
	SA_NOCLDWAIT = 0x00000002
	SA_SIGINFO   = 0x00000004
	SA_RESTORER  = 0x04000000
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
)

// sigaltstack flags.
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31
)

// si_code values.
const (
	SI_USER    = 0
	SI_KERNEL  = 0x80
	SI_QUEUE   = -1
	SI_TIMER   = -2
	SI_MESGQ   = -3
	SI_ASYNCIO = -4
	SI_SIGIO   = -5
	SI_TKILL   = -6

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRERR  = 2

	CLD_EXITED = 1
	CLD_KILLED = 2
	CLD_DUMPED = 3
)

// SignalInfoSize is sizeof(siginfo_t).
const SignalInfoSize = 128

// SignalInfo is siginfo_t on x86-64: three ints, padding, and a 112-byte union whose
// members the accessors below name by the si_* field they read.
type SignalInfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	// Fields is the union: {si_pid, si_uid, si_value} for kill/sigqueue, {si_addr} for
	// faults, {si_pid, si_uid, si_status, si_utime, si_stime} for SIGCHLD.
	Fields [SignalInfoSize - 16]byte
}

// PID is si_pid.
func (s *SignalInfo) PID() int32 { return int32(binary.LittleEndian.Uint32(s.Fields[0:])) }

// SetPID sets si_pid.
func (s *SignalInfo) SetPID(pid int32) { binary.LittleEndian.PutUint32(s.Fields[0:], uint32(pid)) }

// UID is si_uid.
func (s *SignalInfo) UID() uint32 { return binary.LittleEndian.Uint32(s.Fields[4:]) }

// SetUID sets si_uid.
func (s *SignalInfo) SetUID(uid uint32) { binary.LittleEndian.PutUint32(s.Fields[4:], uid) }

// Value is si_value (sigval_t, as its 64-bit integer).
func (s *SignalInfo) Value() uint64 { return binary.LittleEndian.Uint64(s.Fields[8:]) }

// SetValue sets si_value.
func (s *SignalInfo) SetValue(v uint64) { binary.LittleEndian.PutUint64(s.Fields[8:], v) }

// Status is si_status (SIGCHLD).
func (s *SignalInfo) Status() int32 { return int32(binary.LittleEndian.Uint32(s.Fields[8:])) }

// SetStatus sets si_status (SIGCHLD).
func (s *SignalInfo) SetStatus(v int32) { binary.LittleEndian.PutUint32(s.Fields[8:], uint32(v)) }

// Addr is si_addr (fault signals).
func (s *SignalInfo) Addr() uint64 { return binary.LittleEndian.Uint64(s.Fields[0:]) }

// SetAddr sets si_addr.
func (s *SignalInfo) SetAddr(a uint64) { binary.LittleEndian.PutUint64(s.Fields[0:], a) }
