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
	noteCaps      = "Linux's rules, CAP_SETUID/CAP_SETGID checks and capabilities(7)'s uid fix-ups; securebits (NOROOT, NO_SETUID_FIXUP, KEEP_CAPS, NO_CAP_AMBIENT_RAISE) as in Linux 6.1; no separate fsuid/fsgid"
	noteXattr     = "tmpfs and the overlay store user.*, trusted.*, security.* (security.capability values checked, dropped by writes, truncates and chown); gofer mounts pass user.* to the host; no POSIX ACLs (system.*: EOPNOTSUPP)"
	noteOpen      = "O_TMPFILE returns EOPNOTSUPP"
	noteFiles     = "filesystem access comes with the VFS and the gofer"
	noteClone     = "threads and processes; CLONE_NEWPID makes a pid namespace (pid_namespaces(7)), the other namespaces (CLONE_NEW*) return EPERM; CLONE_SIGHAND without CLONE_THREAD returns EINVAL"
	noteUnshare   = "CLONE_NEWPID, CLONE_FILES, CLONE_FS; CLONE_THREAD/SIGHAND/VM in a single-threaded process and CLONE_SYSVSEM accepted; the other namespaces return EPERM"
	noteCPUTime   = "CPU time measured on the host: the sentry's time serving a task, plus its application thread's where the platform measures it"
	noteCPUTimers = "CPU-time timers are sampled every 5 ms"
	noteSignalfd  = "poll/epoll readiness is that of the creating thread"
	noteSignals   = "with job control (group stop, SIGCONT, orphaned process groups); the sandbox's init gets only signals it handles, SIGKILL/SIGSTOP only from outside (pid_namespaces(7))"
	noteNice      = "Linux's permission rules (CAP_SYS_NICE, RLIMIT_NICE); the value is kept, inherited and reported (getpriority, /proc/<pid>/stat), but tasks are goroutines that Go schedules: it weighs nothing"
	noteSched     = "every task is SCHED_OTHER (static priority 0): sched_setscheduler and sched_setparam are not implemented"
	noteInotify   = "events from the sandbox's own file operations (changes made on the host to gofer files are not seen); no per-user instance or watch limits; fdinfo lines without file handles"
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
	unix.SYS_SETUID:            partial(Setuid, noteCaps),
	unix.SYS_SETGID:            partial(Setgid, noteCaps),
	unix.SYS_SETREUID:          partial(Setreuid, noteCaps),
	unix.SYS_SETREGID:          partial(Setregid, noteCaps),
	unix.SYS_SETRESUID:         partial(Setresuid, noteCaps),
	unix.SYS_SETRESGID:         partial(Setresgid, noteCaps),
	unix.SYS_SETGROUPS:         partial(Setgroups, noteCaps),
	unix.SYS_CAPGET:            full(Capget),
	unix.SYS_CAPSET:            full(Capset),
	unix.SYS_GETXATTR:          partial(Getxattr, noteXattr),
	unix.SYS_LGETXATTR:         partial(Lgetxattr, noteXattr),
	unix.SYS_FGETXATTR:         partial(Fgetxattr, noteXattr),
	unix.SYS_SETXATTR:          partial(Setxattr, noteXattr),
	unix.SYS_LSETXATTR:         partial(Lsetxattr, noteXattr),
	unix.SYS_FSETXATTR:         partial(Fsetxattr, noteXattr),
	unix.SYS_LISTXATTR:         partial(Listxattr, noteXattr),
	unix.SYS_LLISTXATTR:        partial(Llistxattr, noteXattr),
	unix.SYS_FLISTXATTR:        partial(Flistxattr, noteXattr),
	unix.SYS_REMOVEXATTR:       partial(Removexattr, noteXattr),
	unix.SYS_LREMOVEXATTR:      partial(Lremovexattr, noteXattr),
	unix.SYS_FREMOVEXATTR:      partial(Fremovexattr, noteXattr),
	unix.SYS_READ:              full(Read),
	unix.SYS_WRITE:             full(Write),
	unix.SYS_OPEN:              partial(Open, noteOpen),
	unix.SYS_CLOSE:             full(Close),
	unix.SYS_FSTAT:             full(Fstat),
	unix.SYS_LSEEK:             full(Lseek),
	unix.SYS_MMAP:              partial(Mmap, "MAP_SHARED of tmpfs and gofer files (and the overlay's layers) maps the file's pages, coherent with read/write, SIGBUS past EOF, zapped by truncation; gofer pages are cached in memory and written back on msync/munmap/fsync/exit; MAP_PRIVATE of a file is a copy made at mmap time (later file writes unseen, pages past EOF read as zeros instead of SIGBUS); MAP_SHARED of other files (devices but /dev/zero) is ENODEV"),
	unix.SYS_MPROTECT:          full(Mprotect),
	unix.SYS_MUNMAP:            full(Munmap),
	unix.SYS_BRK:               full(Brk),
	unix.SYS_RT_SIGACTION:      partial(RtSigaction, noteSignals),
	unix.SYS_RT_SIGPROCMASK:    full(RtSigprocmask),
	unix.SYS_RT_SIGRETURN:      full(RtSigreturn),
	unix.SYS_IOCTL:             partial(Ioctl, "FIOCLEX, FIONCLEX, FIONBIO, FIONREAD on pipes and regular files; terminals (devpts): termios (TCGETS/TCSETS*, termios2), TIOCGWINSZ/TIOCSWINSZ, TIOCSCTTY/TIOCNOTTY, TIOCGPGRP/TIOCSPGRP, TIOCGSID, TIOCGPTN/TIOCSPTLCK/TIOCGPTLCK/TIOCGPTPEER, FIONREAD, TIOCOUTQ, TCFLSH, TCSBRK, TCXONC, TIOCSTI, packet mode (TIOCPKT, TIOCGPKT), TIOCSIG"),
	unix.SYS_READV:             full(Readv),
	unix.SYS_WRITEV:            full(Writev),
	unix.SYS_SCHED_YIELD:       full(SchedYield),
	unix.SYS_MREMAP:            partial(Mremap, "MREMAP_MAYMOVE and MREMAP_FIXED; MREMAP_DONTUNMAP returns EINVAL"),
	unix.SYS_MADVISE:           full(Madvise),
	unix.SYS_MSYNC:             partial(Msync, "writes shared mappings of gofer files back to the host file (MS_ASYNC too, synchronously); tmpfs mappings are the file's pages; MS_INVALIDATE does nothing"),
	unix.SYS_DUP:               full(Dup),
	unix.SYS_DUP2:              full(Dup2),
	unix.SYS_NANOSLEEP:         full(Nanosleep),
	unix.SYS_GETPID:            full(Getpid),
	unix.SYS_CLONE:             partial(Clone, noteClone),
	unix.SYS_UNSHARE:           partial(Unshare, noteUnshare),
	unix.SYS_FORK:              full(Fork),
	unix.SYS_VFORK:             full(Vfork),
	unix.SYS_EXECVE:            partial(Execve, "ELF executables opened through the VFS; #! scripts follow the loader"),
	unix.SYS_EXIT:              full(Exit),
	unix.SYS_WAIT4:             partial(Wait4, "rusage has CPU times only"),
	unix.SYS_WAITID:            partial(Waitid, "rusage has CPU times only"),
	unix.SYS_GETPGID:           full(Getpgid),
	unix.SYS_SETPGID:           full(Setpgid),
	unix.SYS_GETPGRP:           full(Getpgrp),
	unix.SYS_SETSID:            full(Setsid),
	unix.SYS_GETSID:            full(Getsid),
	unix.SYS_TIMES:             partial(Times, noteCPUTime),
	unix.SYS_GETRUSAGE:         partial(Getrusage, noteCPUTime+"; other fields are zero"),
	unix.SYS_KILL:              partial(Kill, noteSignals),
	unix.SYS_UNAME:             full(Uname),
	unix.SYS_FCNTL:             partial(Fcntl, "F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GET/SETPIPE_SZ; record locks F_GETLK, F_SETLK, F_SETLKW (released on close of any descriptor of the file and at exit; EDEADLK for wait cycles of blocked processes) and OFD locks F_OFD_GETLK/SETLK/SETLKW on VFS files; leases, notifications, seals and owners return EINVAL"),
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
	unix.SYS_PRCTL:             partial(Prctl, "PR_SET/GET_NAME, PR_SET/GET_PDEATHSIG, PR_SET/GET_CHILD_SUBREAPER, PR_SET/GET_NO_NEW_PRIVS, PR_SET/GET_DUMPABLE, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT, PR_GET/SET_KEEPCAPS, PR_GET/SET_SECUREBITS; other options return EINVAL"),
	unix.SYS_SETRLIMIT:         full(Setrlimit),
	unix.SYS_GETTID:            full(Gettid),
	unix.SYS_TKILL:             partial(Tkill, noteSignals),
	unix.SYS_TIME:              full(Time),
	unix.SYS_FUTEX:             partial(Futex, "PI operations follow the protocol without priority boosting"),
	unix.SYS_SCHED_GETAFFINITY: full(SchedGetaffinity),
	unix.SYS_EPOLL_CREATE:      full(EpollCreate),
	unix.SYS_SET_TID_ADDRESS:   full(SetTidAddress),
	unix.SYS_CLOCK_GETTIME:     partial(ClockGettime, "wall, monotonic and CPU-time clocks; "+noteCPUTime),
	unix.SYS_CLOCK_GETRES:      full(ClockGetres),
	unix.SYS_CLOCK_NANOSLEEP:   partial(ClockNanosleep, "process CPU clocks are sampled every 5 ms"),
	unix.SYS_ALARM:             full(Alarm),
	unix.SYS_GETITIMER:         full(Getitimer),
	unix.SYS_SETITIMER:         partial(Setitimer, noteCPUTimers),
	unix.SYS_TIMER_CREATE:      partial(TimerCreate, noteCPUTimers),
	unix.SYS_TIMER_SETTIME:     full(TimerSettime),
	unix.SYS_TIMER_GETTIME:     full(TimerGettime),
	unix.SYS_TIMER_GETOVERRUN:  full(TimerGetoverrun),
	unix.SYS_TIMER_DELETE:      full(TimerDelete),
	unix.SYS_TIMERFD_CREATE:    partial(TimerfdCreate, "the *_ALARM clocks return EPERM (no CAP_WAKE_ALARM); TFD_TIMER_CANCEL_ON_SET reports steps of the host's realtime clock, which the sandbox follows (the sandbox cannot set it)"),
	unix.SYS_TIMERFD_SETTIME:   full(TimerfdSettime),
	unix.SYS_TIMERFD_GETTIME:   full(TimerfdGettime),
	unix.SYS_SIGNALFD:          partial(Signalfd, noteSignalfd),
	unix.SYS_SIGNALFD4:         partial(Signalfd4, noteSignalfd),
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
	unix.SYS_PWRITEV2:    partial(Pwritev2, "RWF_APPEND appends; the other RWF_* flags are accepted and ignored"),
	unix.SYS_STATX:       full(Statx),
	unix.SYS_CLOSE_RANGE: partial(CloseRange, "CLOSE_RANGE_UNSHARE does not unshare the table"),
	unix.SYS_OPENAT2:     partial(Openat2, noteOpen+"; RESOLVE_NO_MAGICLINKS has no magic links to refuse yet"),
	unix.SYS_FACCESSAT2:  full(Faccessat2),

	// Pipes, poll and splice: sys_pipe.go, sys_poll.go, sys_splice.go.
	unix.SYS_PIPE:     full(Pipe),
	unix.SYS_PIPE2:    full(Pipe2),
	unix.SYS_POLL:     full(Poll),
	unix.SYS_PPOLL:    full(Ppoll),
	unix.SYS_SELECT:   full(Select),
	unix.SYS_PSELECT6: full(Pselect6),
	unix.SYS_SPLICE:   partial(Splice, "data is copied through the sentry; offsets only on regular files"),
	unix.SYS_TEE:      full(Tee),
	unix.SYS_VMSPLICE: partial(Vmsplice, "data is copied; SPLICE_F_GIFT is ignored"),
	unix.SYS_SENDFILE: partial(Sendfile, "data is copied through the sentry; offsets only on regular files"),

	// Locks, copy_file_range and mounts: sys_lock.go, sys_copy_range.go, sys_mount.go.
	unix.SYS_FLOCK:           partial(Flock, "on VFS files (EINVAL for others); locks are the sandbox's own, not shared with host processes"),
	unix.SYS_COPY_FILE_RANGE: partial(CopyFileRange, "regular files of one filesystem instance (EXDEV across, as Linux for filesystems without cross-filesystem copy); data is copied through the sentry"),
	unix.SYS_MOUNT:           partial(Mount, noteMount),
	unix.SYS_UMOUNT2:         partial(Umount2, "MNT_DETACH detaches the subtree; without it EBUSY for submounts, open files, cwds and roots; MNT_EXPIRE marks (EAGAIN), a second call unmounts; any lookup or open of the mount clears the mark"),

	unix.SYS_SET_ROBUST_LIST:   full(SetRobustList),
	unix.SYS_GET_ROBUST_LIST:   full(GetRobustList),
	unix.SYS_EPOLL_PWAIT:       full(EpollPwait),
	unix.SYS_EPOLL_PWAIT2:      full(EpollPwait2),
	unix.SYS_EVENTFD:           full(Eventfd),
	unix.SYS_EVENTFD2:          full(Eventfd2),
	unix.SYS_EPOLL_CREATE1:     full(EpollCreate1),
	unix.SYS_DUP3:              full(Dup3),
	unix.SYS_PRLIMIT64:         full(Prlimit64),
	unix.SYS_GETCPU:            partial(Getcpu, "reports CPU 0 and node 0"),
	unix.SYS_GETRANDOM:         full(Getrandom),
	unix.SYS_CLONE3:            partial(Clone3, noteClone+"; set_tid returns EINVAL, CLONE_PIDFD with CLONE_THREAD returns EINVAL"),
	unix.SYS_PIDFD_OPEN:        partial(PidfdOpen, "PIDFD_THREAD returns EINVAL"),
	unix.SYS_PIDFD_SEND_SIGNAL: full(PidfdSendSignal),
	unix.SYS_PIDFD_GETFD:       full(PidfdGetfd),
	unix.SYS_RSEQ:              missing("restartable sequences are not supported; libcs fall back"),
	unix.SYS_IO_URING_SETUP:    missing("io_uring is not supported"),

	unix.SYS_INOTIFY_INIT:      partial(InotifyInit, noteInotify),
	unix.SYS_INOTIFY_INIT1:     partial(InotifyInit1, noteInotify),
	unix.SYS_INOTIFY_ADD_WATCH: partial(InotifyAddWatch, noteInotify),
	unix.SYS_INOTIFY_RM_WATCH:  full(InotifyRmWatch),

	// Scheduling attributes (sys_sched.go).
	unix.SYS_GETPRIORITY:            full(Getpriority),
	unix.SYS_SETPRIORITY:            partial(Setpriority, noteNice),
	unix.SYS_SCHED_GETSCHEDULER:     partial(SchedGetscheduler, noteSched),
	unix.SYS_SCHED_GETPARAM:         partial(SchedGetparam, noteSched),
	unix.SYS_SCHED_GET_PRIORITY_MAX: full(SchedGetPriorityMax),
	unix.SYS_SCHED_GET_PRIORITY_MIN: full(SchedGetPriorityMin),
}
