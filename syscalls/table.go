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
	noteOpen    = "O_TMPFILE returns EOPNOTSUPP; fifos return ENOSYS until pipes exist"
	noteFiles   = "filesystem access comes with the VFS and the gofer"
	noteClone   = "threads and processes; namespaces (CLONE_NEW*) return EPERM, CLONE_SIGHAND without CLONE_THREAD returns EINVAL"
	noteCPUTime = "CPU time measured on the host: the sentry's time serving a task, plus its application thread's where the platform measures it"
	noteSignals = "job control is not implemented: default-stop signals stay pending"
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
	unix.SYS_OPEN:              partial(Open, noteOpen),
	unix.SYS_CLOSE:             full(Close),
	unix.SYS_FSTAT:             full(Fstat),
	unix.SYS_LSEEK:             full(Lseek),
	unix.SYS_MMAP:              partial(Mmap, "file mappings are copies made at mmap time: MAP_PRIVATE works (later file writes unseen, pages past EOF read as zeros instead of SIGBUS); MAP_SHARED read-only is a snapshot; MAP_SHARED with PROT_WRITE is ENODEV"),
	unix.SYS_MPROTECT:          full(Mprotect),
	unix.SYS_MUNMAP:            full(Munmap),
	unix.SYS_BRK:               full(Brk),
	unix.SYS_RT_SIGACTION:      partial(RtSigaction, noteSignals),
	unix.SYS_RT_SIGPROCMASK:    full(RtSigprocmask),
	unix.SYS_RT_SIGRETURN:      full(RtSigreturn),
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
	unix.SYS_CLONE:             partial(Clone, noteClone),
	unix.SYS_FORK:              full(Fork),
	unix.SYS_VFORK:             full(Vfork),
	unix.SYS_EXECVE:            partial(Execve, "ELF executables opened through the VFS; #! scripts follow the loader"),
	unix.SYS_EXIT:              full(Exit),
	unix.SYS_WAIT4:             partial(Wait4, "rusage has CPU times only"),
	unix.SYS_WAITID:            partial(Waitid, "rusage has CPU times only; P_PIDFD returns EINVAL"),
	unix.SYS_GETPGID:           full(Getpgid),
	unix.SYS_SETPGID:           full(Setpgid),
	unix.SYS_GETPGRP:           full(Getpgrp),
	unix.SYS_SETSID:            full(Setsid),
	unix.SYS_GETSID:            full(Getsid),
	unix.SYS_TIMES:             partial(Times, noteCPUTime),
	unix.SYS_GETRUSAGE:         partial(Getrusage, noteCPUTime+"; other fields are zero"),
	unix.SYS_KILL:              partial(Kill, noteSignals),
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
	unix.SYS_PRCTL:             partial(Prctl, "PR_SET_NAME, PR_GET_NAME, PR_SET/GET_PDEATHSIG, PR_SET/GET_CHILD_SUBREAPER; other options return EINVAL"),
	unix.SYS_SETRLIMIT:         full(Setrlimit),
	unix.SYS_GETTID:            full(Gettid),
	unix.SYS_TKILL:             partial(Tkill, noteSignals),
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
	unix.SYS_TGKILL:            partial(Tgkill, noteSignals),
	unix.SYS_RT_SIGSUSPEND:     full(RtSigsuspend),
	unix.SYS_RT_SIGTIMEDWAIT:   full(RtSigtimedwait),
	unix.SYS_RT_SIGQUEUEINFO:   partial(RtSigqueueinfo, "RLIMIT_SIGPENDING counts per process, not per user"),
	unix.SYS_RT_TGSIGQUEUEINFO: partial(RtTgsigqueueinfo, "RLIMIT_SIGPENDING counts per process, not per user"),
	unix.SYS_PAUSE:             full(Pause),
	unix.SYS_RESTART_SYSCALL:   full(RestartSyscall),
	unix.SYS_OPENAT:            partial(Openat, noteOpen),
	unix.SYS_NEWFSTATAT:        full(Newfstatat),
	unix.SYS_READLINK:          full(Readlink),
	unix.SYS_READLINKAT:        full(Readlinkat),

	// Files and paths (VFS): sys_open.go, sys_stat.go, sys_path.go, sys_attr.go, sys_dir.go,
	// sys_pread.go, sys_sync.go.
	unix.SYS_STAT:        full(Stat),
	unix.SYS_LSTAT:       full(Lstat),
	unix.SYS_PREAD64:     full(Pread64),
	unix.SYS_PWRITE64:    full(Pwrite64),
	unix.SYS_ACCESS:      full(Access),
	unix.SYS_FSYNC:       full(Fsync),
	unix.SYS_FDATASYNC:   full(Fdatasync),
	unix.SYS_TRUNCATE:    full(Truncate),
	unix.SYS_FTRUNCATE:   full(Ftruncate),
	unix.SYS_GETCWD:      full(Getcwd),
	unix.SYS_CHDIR:       full(Chdir),
	unix.SYS_FCHDIR:      full(Fchdir),
	unix.SYS_RENAME:      full(Rename),
	unix.SYS_MKDIR:       full(Mkdir),
	unix.SYS_RMDIR:       full(Rmdir),
	unix.SYS_CREAT:       full(Creat),
	unix.SYS_LINK:        full(Link),
	unix.SYS_UNLINK:      full(Unlink),
	unix.SYS_SYMLINK:     full(Symlink),
	unix.SYS_CHMOD:       full(Chmod),
	unix.SYS_FCHMOD:      full(Fchmod),
	unix.SYS_CHOWN:       full(Chown),
	unix.SYS_FCHOWN:      full(Fchown),
	unix.SYS_LCHOWN:      full(Lchown),
	unix.SYS_UMASK:       full(Umask),
	unix.SYS_UTIME:       full(Utime),
	unix.SYS_MKNOD:       partial(Mknod, noteFifos),
	unix.SYS_STATFS:      full(Statfs),
	unix.SYS_FSTATFS:     partial(Fstatfs, "files in the VFS; other descriptors (host stdio, eventfd) return ENOSYS"),
	unix.SYS_CHROOT:      full(Chroot),
	unix.SYS_SYNC:        full(Sync),
	unix.SYS_GETDENTS64:  full(Getdents64),
	unix.SYS_FADVISE64:   full(Fadvise64),
	unix.SYS_UTIMES:      full(Utimes),
	unix.SYS_FUTIMESAT:   full(Futimesat),
	unix.SYS_MKDIRAT:     full(Mkdirat),
	unix.SYS_MKNODAT:     partial(Mknodat, noteFifos),
	unix.SYS_FCHOWNAT:    full(Fchownat),
	unix.SYS_UNLINKAT:    full(Unlinkat),
	unix.SYS_RENAMEAT:    full(Renameat),
	unix.SYS_LINKAT:      full(Linkat),
	unix.SYS_SYMLINKAT:   full(Symlinkat),
	unix.SYS_FCHMODAT:    full(Fchmodat),
	unix.SYS_FACCESSAT:   full(Faccessat),
	unix.SYS_UTIMENSAT:   full(Utimensat),
	unix.SYS_FALLOCATE:   partial(Fallocate, "mode 0; other modes return EOPNOTSUPP"),
	unix.SYS_PREADV:      full(Preadv),
	unix.SYS_PWRITEV:     full(Pwritev),
	unix.SYS_SYNCFS:      full(Syncfs),
	unix.SYS_RENAMEAT2:   partial(Renameat2, "RENAME_NOREPLACE and RENAME_EXCHANGE; RENAME_WHITEOUT returns EINVAL"),
	unix.SYS_PREADV2:     partial(Preadv2, "RWF_* flags are accepted and ignored"),
	unix.SYS_PWRITEV2:    partial(Pwritev2, "RWF_* flags are accepted and ignored (RWF_APPEND included)"),
	unix.SYS_STATX:       full(Statx),
	unix.SYS_CLOSE_RANGE: partial(CloseRange, "CLOSE_RANGE_UNSHARE does not unshare the table"),
	unix.SYS_OPENAT2:     partial(Openat2, noteOpen+"; RESOLVE_NO_MAGICLINKS has no magic links to refuse yet"),
	unix.SYS_FACCESSAT2:  full(Faccessat2),

	unix.SYS_SET_ROBUST_LIST: partial(SetRobustList, "recorded; the list is not walked at thread exit yet"),
	unix.SYS_GET_ROBUST_LIST: full(GetRobustList),
	unix.SYS_EPOLL_PWAIT:     full(EpollPwait),
	unix.SYS_EVENTFD:         full(Eventfd),
	unix.SYS_EVENTFD2:        full(Eventfd2),
	unix.SYS_EPOLL_CREATE1:   full(EpollCreate1),
	unix.SYS_DUP3:            full(Dup3),
	unix.SYS_PRLIMIT64:       full(Prlimit64),
	unix.SYS_GETCPU:          partial(Getcpu, "reports CPU 0 and node 0"),
	unix.SYS_GETRANDOM:       full(Getrandom),
	unix.SYS_CLONE3:          partial(Clone3, noteClone+"; set_tid and CLONE_PIDFD return EINVAL"),
	unix.SYS_RSEQ:            missing("restartable sequences are not supported; libcs fall back"),
	unix.SYS_IO_URING_SETUP:  missing("io_uring is not supported"),
}
