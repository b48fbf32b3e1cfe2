package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/stockade-sandbox/stockade/sentry/kernel"
)

func init() {
	kernel.RegisterSyscallTable(Table)
}

// Notes shared by several entries.
const (
	noteFiles     = "filesystem access comes with the VFS and the gofer"
	noteProcesses = "processes (fork, exec, wait) come with the processes milestone"
	noteSignals   = "handler delivery comes with the processes milestone"
)

func full(fn kernel.SyscallFn) kernel.Syscall {
	return kernel.Syscall{Fn: fn, Support: kernel.Supported}
}

func partial(fn kernel.SyscallFn, note string) kernel.Syscall {
	return kernel.Syscall{Fn: fn, Support: kernel.Partial, Note: note}
}

func missing(note string) kernel.Syscall { return kernel.Syscall{Note: note} }

// Table is the syscall table: every syscall with an implementation, and notable missing ones
// with the reason. Syscalls absent here return ENOSYS.
var Table = map[uintptr]kernel.Syscall{
	unix.SYS_READ:              full(Read),
	unix.SYS_WRITE:             full(Write),
	unix.SYS_OPEN:              missing(noteFiles),
	unix.SYS_CLOSE:             full(Close),
	unix.SYS_FSTAT:             full(Fstat),
	unix.SYS_LSEEK:             full(Lseek),
	unix.SYS_MMAP:              partial(Mmap, "anonymous mappings; file mappings return ENODEV until files exist"),
	unix.SYS_MPROTECT:          full(Mprotect),
	unix.SYS_MUNMAP:            full(Munmap),
	unix.SYS_BRK:               full(Brk),
	unix.SYS_RT_SIGACTION:      partial(RtSigaction, "dispositions recorded; "+noteSignals),
	unix.SYS_RT_SIGPROCMASK:    full(RtSigprocmask),
	unix.SYS_RT_SIGRETURN:      missing(noteSignals),
	unix.SYS_IOCTL:             partial(Ioctl, "FIOCLEX, FIONCLEX, FIONBIO; TCGETS and TIOCGWINSZ on host stdio"),
	unix.SYS_READV:             full(Readv),
	unix.SYS_WRITEV:            full(Writev),
	unix.SYS_SCHED_YIELD:       full(SchedYield),
	unix.SYS_MREMAP:            partial(Mremap, "MREMAP_MAYMOVE and MREMAP_FIXED; MREMAP_DONTUNMAP returns EINVAL"),
	unix.SYS_MADVISE:           full(Madvise),
	unix.SYS_DUP:               full(Dup),
	unix.SYS_DUP2:              full(Dup2),
	unix.SYS_NANOSLEEP:         full(Nanosleep),
	unix.SYS_GETPID:            full(Getpid),
	unix.SYS_CLONE:             partial(Clone, "threads (CLONE_VM|CLONE_SIGHAND|CLONE_THREAD); "+noteProcesses),
	unix.SYS_FORK:              missing(noteProcesses),
	unix.SYS_VFORK:             missing(noteProcesses),
	unix.SYS_EXECVE:            missing(noteProcesses),
	unix.SYS_EXIT:              full(Exit),
	unix.SYS_WAIT4:             missing(noteProcesses),
	unix.SYS_KILL:              partial(Kill, "default actions and ignoring; "+noteSignals),
	unix.SYS_UNAME:             full(Uname),
	unix.SYS_FCNTL:             partial(Fcntl, "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL"),
	unix.SYS_GETTIMEOFDAY:      full(Gettimeofday),
	unix.SYS_GETRLIMIT:         full(Getrlimit),
	unix.SYS_SYSINFO:           full(Sysinfo),
	unix.SYS_GETUID:            full(Getuid),
	unix.SYS_GETGID:            full(Getgid),
	unix.SYS_GETEUID:           full(Geteuid),
	unix.SYS_GETEGID:           full(Getegid),
	unix.SYS_GETPPID:           full(Getppid),
	unix.SYS_GETGROUPS:         full(Getgroups),
	unix.SYS_GETRESUID:         full(Getresuid),
	unix.SYS_GETRESGID:         full(Getresgid),
	unix.SYS_RT_SIGPENDING:     full(RtSigpending),
	unix.SYS_SIGALTSTACK:       full(Sigaltstack),
	unix.SYS_ARCH_PRCTL:        full(ArchPrctl),
	unix.SYS_PRCTL:             partial(Prctl, "PR_SET_NAME, PR_GET_NAME; other options return EINVAL"),
	unix.SYS_SETRLIMIT:         full(Setrlimit),
	unix.SYS_GETTID:            full(Gettid),
	unix.SYS_TKILL:             partial(Tkill, "default actions and ignoring; "+noteSignals),
	unix.SYS_TIME:              full(Time),
	unix.SYS_FUTEX:             partial(Futex, "all but the PI operations (ENOSYS)"),
	unix.SYS_SCHED_GETAFFINITY: full(SchedGetaffinity),
	unix.SYS_EPOLL_CREATE:      full(EpollCreate),
	unix.SYS_SET_TID_ADDRESS:   full(SetTidAddress),
	unix.SYS_CLOCK_GETTIME:     partial(ClockGettime, "wall and monotonic clocks; CPU-time clocks return EINVAL"),
	unix.SYS_CLOCK_GETRES:      partial(ClockGetres, "wall and monotonic clocks"),
	unix.SYS_CLOCK_NANOSLEEP:   partial(ClockNanosleep, "wall and monotonic clocks"),
	unix.SYS_EXIT_GROUP:        full(ExitGroup),
	unix.SYS_EPOLL_WAIT:        full(EpollWait),
	unix.SYS_EPOLL_CTL:         full(EpollCtl),
	unix.SYS_TGKILL:            partial(Tgkill, "default actions and ignoring; "+noteSignals),
	unix.SYS_OPENAT:            missing(noteFiles),
	unix.SYS_NEWFSTATAT:        partial(Newfstatat, "AT_EMPTY_PATH on a descriptor; paths: "+noteFiles),
	unix.SYS_READLINK:          missing(noteFiles),
	unix.SYS_READLINKAT:        missing(noteFiles),
	unix.SYS_SET_ROBUST_LIST:   partial(SetRobustList, "recorded; the list is not walked at thread exit yet"),
	unix.SYS_GET_ROBUST_LIST:   full(GetRobustList),
	unix.SYS_EPOLL_PWAIT:       full(EpollPwait),
	unix.SYS_EVENTFD:           full(Eventfd),
	unix.SYS_EVENTFD2:          full(Eventfd2),
	unix.SYS_EPOLL_CREATE1:     full(EpollCreate1),
	unix.SYS_DUP3:              full(Dup3),
	unix.SYS_PRLIMIT64:         full(Prlimit64),
	unix.SYS_GETCPU:            partial(Getcpu, "reports CPU 0 and node 0"),
	unix.SYS_GETRANDOM:         full(Getrandom),
	unix.SYS_CLONE3:            partial(Clone3, "threads; "+noteProcesses),
	unix.SYS_RSEQ:              missing("restartable sequences are not supported; libcs fall back"),
	unix.SYS_IO_URING_SETUP:    missing("io_uring is not supported"),
}
