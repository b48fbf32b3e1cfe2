package confine

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// goThreadFlags are the clone flags of the Go runtime's new threads (runtime.newosproc;
// runtime.clone adds CLONE_SETTLS on amd64).
const goThreadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_SYSVSEM | unix.CLONE_THREAD | unix.CLONE_SETTLS

// anyOf32 is one alternative per value: (uint32)args[arg] is one of vs.
func anyOf32(arg int, vs ...uintptr) [][]ArgCheck {
	alts := make([][]ArgCheck, len(vs))
	for i, v := range vs {
		alts[i] = One(Eq32(arg, uint32(v)))
	}
	return alts
}

// goRuntimeRules are what a static Go program needs to run at all (scheduler, memory,
// signals, poller, timers), hottest first. Thread creation is checked separately (clone).
func goRuntimeRules() []Rule {
	return []Rule{
		Allow(unix.SYS_FUTEX),
		Allow(unix.SYS_READ),
		Allow(unix.SYS_WRITE),
		Allow(unix.SYS_EPOLL_PWAIT),
		Allow(unix.SYS_NANOSLEEP),
		Allow(unix.SYS_SCHED_YIELD),
		Allow(unix.SYS_GETTID),
		Allow(unix.SYS_GETPID),
		Allow(unix.SYS_TGKILL),
		Allow(unix.SYS_RT_SIGRETURN),
		Allow(unix.SYS_RT_SIGPROCMASK),
		Allow(unix.SYS_RT_SIGACTION),
		Allow(unix.SYS_SIGALTSTACK),
		Allow(unix.SYS_MMAP),
		Allow(unix.SYS_MUNMAP),
		Allow(unix.SYS_MADVISE),
		Allow(unix.SYS_CLOSE),
		Allow(unix.SYS_CLOCK_GETTIME),
		// The host clocks' resolutions, which the sandbox reports (clock_getres(2), the
		// vDSO's parameter page).
		Allow(unix.SYS_CLOCK_GETRES),
		Allow(unix.SYS_CLOCK_NANOSLEEP),
		// The host kernel itself issues restart_syscall when a timed sleep or futex wait
		// is interrupted by a signal (the Go runtime's SIGURG preemption, under load).
		Allow(unix.SYS_RESTART_SYSCALL),
		Allow(unix.SYS_EPOLL_CTL),
		Allow(unix.SYS_EPOLL_CREATE1),
		Allow(unix.SYS_EVENTFD2),
		Allow(unix.SYS_PIPE2),
		Allow(unix.SYS_FCNTL),
		Allow(unix.SYS_SCHED_GETAFFINITY),
		Allow(unix.SYS_GETRANDOM),
		Allow(unix.SYS_PRLIMIT64),
		Allow(unix.SYS_GETRLIMIT),
		Allow(unix.SYS_UNAME),
		Allow(unix.SYS_MINCORE),
		Allow(unix.SYS_SETITIMER),
		Allow(unix.SYS_TIMER_CREATE),
		Allow(unix.SYS_TIMER_SETTIME),
		Allow(unix.SYS_TIMER_DELETE),
		Allow(unix.SYS_EXIT),
		Allow(unix.SYS_EXIT_GROUP),
		Allow(unix.SYS_GETUID), Allow(unix.SYS_GETEUID), Allow(unix.SYS_GETGID), Allow(unix.SYS_GETEGID),
		Allow(unix.SYS_FSTAT),
		Allow(unix.SYS_LSEEK),
		Allow(unix.SYS_DUP),
		Allow(unix.SYS_DUP3),
		Allow(unix.SYS_PREAD64),
		Allow(unix.SYS_PWRITE64),
		Allow(unix.SYS_READV),
		Allow(unix.SYS_WRITEV),
		// glibc-style thread creation cannot be checked (the flags are in memory): make
		// callers fall back to clone, whose flags are checked.
		{Nr: unix.SYS_CLONE3, Action: ActErrno(unix.ENOSYS)},
	}
}

// Ptrace requests the ptrace platform makes (platform/ptrace).
const (
	ptraceGetRseqConfiguration = 0x420f
	ptraceSysemu               = 31
)

// SandboxOptions parameterize the sandbox's filter.
type SandboxOptions struct {
	// ExitDirFD is the container directory descriptor held by the exit file (PreparedFile):
	// renameat is allowed within it only. -1: none.
	ExitDirFD int
}

// SandboxRules is the allow-list of the sandbox process (`runsc boot`): the Go runtime,
// the sentry, the ptrace platform (its own calls and those it injects into stub processes,
// which inherit this filter because they are forked after it is installed), the memory
// file, the gofer client and the control socket. Nothing is opened by path (open and creat
// kill; openat fails with EACCES: see docs/security.md), nothing is executed, no socket is
// created.
func SandboxRules(o SandboxOptions) []Rule {
	ptraceReqs := []uintptr{ptraceSysemu, unix.PTRACE_GETREGS, unix.PTRACE_SETREGS,
		unix.PTRACE_GETFPREGS, unix.PTRACE_SETFPREGS, unix.PTRACE_GETREGSET, unix.PTRACE_SETREGSET,
		unix.PTRACE_PEEKDATA, unix.PTRACE_POKEDATA, unix.PTRACE_CONT, unix.PTRACE_SYSCALL,
		unix.PTRACE_GETSIGINFO, unix.PTRACE_SETOPTIONS, unix.PTRACE_SEIZE, unix.PTRACE_INTERRUPT,
		unix.PTRACE_TRACEME, unix.PTRACE_KILL, unix.PTRACE_DETACH, ptraceGetRseqConfiguration}
	cloneFlags := []uintptr{
		goThreadFlags,
		// platform/ptrace: the master stub (rawCloneMaster), address spaces forked from the
		// master, and stub threads.
		unix.CLONE_FILES | uintptr(syscall.SIGCHLD),
		unix.CLONE_FILES | unix.CLONE_UNTRACED | uintptr(syscall.SIGCHLD),
		unix.CLONE_VM | unix.CLONE_FILES | unix.CLONE_PARENT | unix.CLONE_UNTRACED | uintptr(syscall.SIGCHLD),
	}
	rules := []Rule{
		AllowIf(unix.SYS_PTRACE, anyOf32(0, ptraceReqs...)...),
		Allow(unix.SYS_WAIT4),
	}
	rules = append(rules, goRuntimeRules()...)
	rules = append(rules,
		AllowIf(unix.SYS_CLONE, anyOf32(0, cloneFlags...)...),
		// Platform and stubs.
		Allow(unix.SYS_MPROTECT),
		Allow(unix.SYS_KILL),
		Allow(unix.SYS_GETCPU),
		Allow(unix.SYS_SCHED_SETAFFINITY),
		// The master stub gets a process group of its own, out of reach of the signals a
		// terminal sends the sandbox's group (platform/ptrace master.go).
		Allow(unix.SYS_SETPGID),
		Allow(unix.SYS_PAUSE),
		// A new stub checks that its parent did not die before it set its death signal
		// (platform/ptrace stub.go).
		Allow(unix.SYS_GETPPID),
		Allow(unix.SYS_RSEQ),
		// PR_SET_NAME: stub threads take their application thread's name (ptrace setName).
		AllowIf(unix.SYS_PRCTL, anyOf32(0, unix.PR_SET_PDEATHSIG, unix.PR_SET_NAME)...),
		// /proc/meminfo's total (the host's RAM, unless the container has a memory limit).
		Allow(unix.SYS_SYSINFO),
		// Memory file.
		Allow(unix.SYS_MEMFD_CREATE),
		Allow(unix.SYS_FTRUNCATE),
		Allow(unix.SYS_FALLOCATE),
		Allow(unix.SYS_PREADV),
		Allow(unix.SYS_PWRITEV),
		// Host descriptors (stdio, files from the gofer), the gofer socket and the control
		// socket.
		Allow(unix.SYS_RECVMSG),
		Allow(unix.SYS_SENDMSG),
		Allow(unix.SYS_ACCEPT4),
		AllowIf(unix.SYS_GETSOCKOPT, One(Eq32(1, unix.SOL_SOCKET), Eq32(2, unix.SO_PEERCRED)), One(Eq32(1, unix.SOL_SOCKET), Eq32(2, unix.SO_TYPE))),
		AllowIf(unix.SYS_SETSOCKOPT, One(Eq32(1, unix.SOL_SOCKET), Eq32(2, unix.SO_SNDBUF))),
		Allow(unix.SYS_SHUTDOWN),
		Allow(unix.SYS_NEWFSTATAT),
		Allow(unix.SYS_FSTATFS),
		Allow(unix.SYS_GETDENTS64),
		Allow(unix.SYS_FSYNC),
		Allow(unix.SYS_FDATASYNC),
		// The readiness of host descriptors (fsimpl/host: the container's stdio) is the
		// host's answer to a poll (unix.Poll is ppoll).
		Allow(unix.SYS_PPOLL),
		AllowIf(unix.SYS_IOCTL, anyOf32(1, unix.TCGETS, unix.TCSETS, unix.TCSETSW, unix.TCSETSF,
			unix.TIOCGWINSZ, unix.TIOCSWINSZ, unix.TIOCGPGRP, unix.TIOCSPGRP, 0x541b, 0x5421, 0x5451, 0x5450, // FIONREAD, FIONBIO, FIOCLEX, FIONCLEX
		)...),
		// Paths: none is reachable after pivot_root; the standard library's and /proc's
		// lazy reads of host files fail instead of killing the sandbox.
		Rule{Nr: unix.SYS_OPENAT, Action: ActErrno(unix.EACCES)},
		Rule{Nr: unix.SYS_OPENAT2, Action: ActErrno(unix.EACCES)},
	)
	if o.ExitDirFD >= 0 {
		fd := uint32(o.ExitDirFD)
		rules = append(rules, AllowIf(unix.SYS_RENAMEAT, One(Eq32(0, fd), Eq32(2, fd))))
	}
	return rules
}

// GoferRules is the allow-list of `runsc gofer` once it serves: the Go runtime and file
// operations relative to the descriptors it holds (it is chrooted into the rootfs). No
// socket is created (it serves an inherited one), nothing is executed.
func GoferRules() []Rule {
	rules := goRuntimeRules()
	rules = append(rules,
		AllowIf(unix.SYS_CLONE, anyOf32(0, goThreadFlags)...),
		// gofer/proto: checking and sizing the served socket.
		AllowIf(unix.SYS_GETSOCKOPT, One(Eq32(1, unix.SOL_SOCKET), Eq32(2, unix.SO_TYPE))),
		AllowIf(unix.SYS_SETSOCKOPT, One(Eq32(1, unix.SOL_SOCKET), Eq32(2, unix.SO_SNDBUF))),
		Allow(unix.SYS_RECVMSG),
		Allow(unix.SYS_SENDMSG),
		Allow(unix.SYS_SHUTDOWN),
		Allow(unix.SYS_OPENAT),
		Allow(unix.SYS_OPENAT2),
		Allow(unix.SYS_NEWFSTATAT),
		Allow(unix.SYS_STATX),
		Allow(unix.SYS_GETDENTS64),
		Allow(unix.SYS_READLINKAT),
		Allow(unix.SYS_MKDIRAT),
		Allow(unix.SYS_MKNODAT),
		Allow(unix.SYS_UNLINKAT),
		Allow(unix.SYS_RENAMEAT),
		Allow(unix.SYS_RENAMEAT2),
		Allow(unix.SYS_LINKAT),
		Allow(unix.SYS_SYMLINKAT),
		Allow(unix.SYS_FCHMODAT),
		Allow(unix.SYS_FCHMOD),
		Allow(unix.SYS_FCHOWNAT),
		Allow(unix.SYS_FCHOWN),
		Allow(unix.SYS_UTIMENSAT),
		Allow(unix.SYS_FTRUNCATE),
		Allow(unix.SYS_FALLOCATE),
		Allow(unix.SYS_FGETXATTR),
		Allow(unix.SYS_FSETXATTR),
		Allow(unix.SYS_FLISTXATTR),
		Allow(unix.SYS_FREMOVEXATTR),
		Allow(unix.SYS_FSTATFS),
		Allow(unix.SYS_FSYNC),
		Allow(unix.SYS_FDATASYNC),
		Allow(unix.SYS_PREADV),
		Allow(unix.SYS_PWRITEV),
		Allow(unix.SYS_UMASK),
	)
	return rules
}
