package e2e

// The smaller file syscalls of the files issue (test/c/fsmisc.c): ioctl FIOCLEX/FIONCLEX/
// FIONREAD on regular files, posix_fadvise, utime/utimes/futimesat, preadv2/pwritev2 flags
// (RWF_APPEND), faccessat2, F_DUPFD_CLOEXEC, chown family, mknodat, fallocate, fsync/syncfs,
// statfs/fstatfs, chroot, /proc/sys/kernel and /proc/sys/vm entries, mountinfo, fdinfo and
// F_GETFL flags, /proc/self/{cwd,root}, cpuinfo, stat, and the minimal /sys.
func init() {
	differentialCases = append(differentialCases,
		differentialCase{name: "files-misc", prog: "fsmisc"},
		// /proc/self/oom_score_adj: range, and inheritance by a forked child
		// (test/c/oomadj.c).
		differentialCase{name: "oom-score-adj", prog: "oomadj"},
	)
}
