// Package strace logs syscalls as strace(1) does: one line per syscall with decoded
// arguments and the result or errno. It is the kernel's single syscall hook; when strace is
// off the hook is nil and costs one comparison per syscall.
package strace

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/abi/linux"
	"github.com/stockade-sandbox/stockade/sentry/arch"
	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

// argKind says how to print one argument.
type argKind int

const (
	hex argKind = iota
	dec
	str     // NUL-terminated string
	inBuf   // buffer read by the syscall; its length is the next argument
	outBuf  // buffer written by the syscall; its length is the result
	signame // a signal number
)

// formats lists argument kinds for syscalls that are worth decoding; others print their six
// arguments in hex.
var formats = map[uintptr][]argKind{
	unix.SYS_READ:              {dec, outBuf, dec},
	unix.SYS_WRITE:             {dec, inBuf, dec},
	unix.SYS_CLOSE:             {dec},
	unix.SYS_FSTAT:             {dec, hex},
	unix.SYS_LSEEK:             {dec, dec, dec},
	unix.SYS_MMAP:              {hex, dec, hex, hex, dec, hex},
	unix.SYS_MPROTECT:          {hex, dec, hex},
	unix.SYS_MUNMAP:            {hex, dec},
	unix.SYS_BRK:               {hex},
	unix.SYS_RT_SIGACTION:      {signame, hex, hex, dec},
	unix.SYS_IOCTL:             {dec, hex, hex},
	unix.SYS_MREMAP:            {hex, dec, dec, hex, hex},
	unix.SYS_DUP:               {dec},
	unix.SYS_DUP2:              {dec, dec},
	unix.SYS_GETPID:            {},
	unix.SYS_GETTID:            {},
	unix.SYS_EXIT:              {dec},
	unix.SYS_EXIT_GROUP:        {dec},
	unix.SYS_KILL:              {dec, signame},
	unix.SYS_TGKILL:            {dec, dec, signame},
	unix.SYS_OPENAT:            {dec, str, hex, hex},
	unix.SYS_OPEN:              {str, hex, hex},
	unix.SYS_NEWFSTATAT:        {dec, str, hex, hex},
	unix.SYS_READLINK:          {str, hex, dec},
	unix.SYS_EXECVE:            {str, hex, hex},
	unix.SYS_FUTEX:             {hex, dec, dec, hex, hex, dec},
	unix.SYS_GETRANDOM:         {hex, dec, hex},
	unix.SYS_PRCTL:             {dec, hex, hex, hex, hex},
	unix.SYS_FCNTL:             {dec, dec, hex},
	unix.SYS_READV:             {dec, hex, dec},
	unix.SYS_WRITEV:            {dec, hex, dec},
	unix.SYS_PREAD64:           {dec, outBuf, dec, dec},
	unix.SYS_PWRITE64:          {dec, inBuf, dec, dec},
	unix.SYS_MADVISE:           {hex, dec, dec},
	unix.SYS_DUP3:              {dec, dec, hex},
	unix.SYS_NANOSLEEP:         {hex, hex},
	unix.SYS_CLONE:             {hex, hex, hex, hex, hex},
	unix.SYS_CLONE3:            {hex, dec},
	unix.SYS_UNAME:             {hex},
	unix.SYS_GETRLIMIT:         {dec, hex},
	unix.SYS_SETRLIMIT:         {dec, hex},
	unix.SYS_PRLIMIT64:         {dec, dec, hex, hex},
	unix.SYS_SYSINFO:           {hex},
	unix.SYS_GETUID:            {},
	unix.SYS_GETGID:            {},
	unix.SYS_GETEUID:           {},
	unix.SYS_GETEGID:           {},
	unix.SYS_GETPPID:           {},
	unix.SYS_SCHED_YIELD:       {},
	unix.SYS_RT_SIGPROCMASK:    {dec, hex, hex, dec},
	unix.SYS_RT_SIGPENDING:     {hex, dec},
	unix.SYS_SIGALTSTACK:       {hex, hex},
	unix.SYS_ARCH_PRCTL:        {hex, hex},
	unix.SYS_TKILL:             {dec, signame},
	unix.SYS_TIME:              {hex},
	unix.SYS_SCHED_GETAFFINITY: {dec, dec, hex},
	unix.SYS_SET_TID_ADDRESS:   {hex},
	unix.SYS_SET_ROBUST_LIST:   {hex, dec},
	unix.SYS_GET_ROBUST_LIST:   {dec, hex, hex},
	unix.SYS_RSEQ:              {hex, dec, hex, hex},
	unix.SYS_CLOCK_GETTIME:     {dec, hex},
	unix.SYS_CLOCK_GETRES:      {dec, hex},
	unix.SYS_CLOCK_NANOSLEEP:   {dec, hex, hex, hex},
	unix.SYS_GETTIMEOFDAY:      {hex, hex},
	unix.SYS_EPOLL_CREATE:      {dec},
	unix.SYS_EPOLL_CREATE1:     {hex},
	unix.SYS_EPOLL_CTL:         {dec, dec, dec, hex},
	unix.SYS_EPOLL_WAIT:        {dec, hex, dec, dec},
	unix.SYS_EPOLL_PWAIT:       {dec, hex, dec, dec, hex, dec},
	unix.SYS_EVENTFD:           {dec},
	unix.SYS_EVENTFD2:          {dec, hex},
	unix.SYS_GETCPU:            {hex, hex, hex},
	unix.SYS_GETRESUID:         {hex, hex, hex},
	unix.SYS_GETRESGID:         {hex, hex, hex},
	unix.SYS_GETGROUPS:         {dec, hex},
}

// Logger is a kernel.SyscallHook that writes to an io.Writer.
type Logger struct {
	mu  sync.Mutex
	out io.Writer
}

var _ kernel.SyscallHook = (*Logger)(nil)

// New returns a logger writing to out.
func New(out io.Writer) *Logger { return &Logger{out: out} }

func name(sysno uintptr) string {
	if n, ok := linux.SyscallNames[sysno]; ok {
		return n
	}
	return "syscall_" + strconv.Itoa(int(sysno))
}

// Enter implements kernel.SyscallHook: syscalls that do not return are logged here.
func (l *Logger) Enter(t *kernel.Task, sysno uintptr, args arch.SyscallArguments) {
	if sysno == unix.SYS_EXIT || sysno == unix.SYS_EXIT_GROUP {
		l.printf("[%3d] %s(%s) = ?\n", t.TID(), name(sysno), formatArgs(t, sysno, args, 0))
	}
}

// Exit implements kernel.SyscallHook.
func (l *Logger) Exit(t *kernel.Task, sysno uintptr, args arch.SyscallArguments, ret uintptr, err error) {
	var res string
	if err != nil {
		e, ok := err.(unix.Errno)
		if !ok {
			e = unix.EIO
		}
		res = fmt.Sprintf("-1 %s (%s)", unix.ErrnoName(e), e.Error())
		ret = 0
	} else if sysno == unix.SYS_MMAP || sysno == unix.SYS_BRK || sysno == unix.SYS_MREMAP {
		res = fmt.Sprintf("%#x", ret)
	} else {
		res = strconv.FormatInt(int64(ret), 10)
	}
	l.printf("[%3d] %s(%s) = %s\n", t.TID(), name(sysno), formatArgs(t, sysno, args, ret), res)
}

func (l *Logger) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, format, a...)
}

func formatArgs(t *kernel.Task, sysno uintptr, args arch.SyscallArguments, ret uintptr) string {
	kinds, ok := formats[sysno]
	if !ok {
		kinds = []argKind{hex, hex, hex, hex, hex, hex}
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		a := args[i]
		switch k {
		case dec:
			parts[i] = strconv.FormatInt(int64(int32(a)), 10)
			if sysno == unix.SYS_MMAP || sysno == unix.SYS_MUNMAP || sysno == unix.SYS_MPROTECT || sysno == unix.SYS_MREMAP || sysno == unix.SYS_READ || sysno == unix.SYS_WRITE || sysno == unix.SYS_GETRANDOM {
				parts[i] = strconv.FormatUint(uint64(a), 10)
			}
		case str:
			s, err := t.CopyInString(a, 4096)
			if err != nil {
				parts[i] = fmt.Sprintf("%#x", a)
			} else {
				parts[i] = strconv.Quote(s)
			}
		case inBuf:
			parts[i] = quoteBuf(t, a, args[i+1])
		case outBuf:
			parts[i] = quoteBuf(t, a, ret)
		case signame:
			parts[i] = signalName(int(int32(a)))
		default:
			parts[i] = fmt.Sprintf("%#x", a)
		}
	}
	return strings.Join(parts, ", ")
}

func quoteBuf(t *kernel.Task, addr, n uintptr) string {
	const max = 32
	show := min(n, max)
	b := make([]byte, show)
	if c, err := t.CopyIn(addr, b); err != nil {
		return fmt.Sprintf("%#x", addr)
	} else {
		b = b[:c]
	}
	s := strconv.Quote(string(b))
	if n > max {
		s += "..."
	}
	return s
}

func signalName(sig int) string {
	if sig > 0 && sig < 32 {
		if n := unix.SignalName(unix.Signal(sig)); n != "" {
			return n
		}
	}
	return strconv.Itoa(sig)
}
