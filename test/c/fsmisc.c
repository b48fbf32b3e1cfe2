// fsmisc covers the smaller file syscalls of the files issue and their errno paths: ioctl
// FIOCLEX/FIONCLEX/FIONREAD on a regular file, posix_fadvise, utime/utimes/futimesat,
// preadv2/pwritev2 flags (RWF_APPEND, unknown flags), faccessat2 flags, F_DUPFD(_CLOEXEC),
// the chown family, symlinkat, mknodat of fifos and sockets, fallocate, fsync/fdatasync/
// syncfs/sync, statfs/fstatfs, chroot, DAC permission checks for an unprivileged user, the /proc/sys and /proc/self entries the issue lists, and
// the minimal /sys.
// It works in a fresh mkdtemp directory in /tmp and prints only derived values, so the host
// and sandbox runs compare.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "ok";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ESPIPE: return "ESPIPE";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOTDIR: return "ENOTDIR";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EFAULT: return "EFAULT";
	case EROFS: return "EROFS";
	case EEXIST: return "EEXIST";
	case EISDIR: return "EISDIR";
	case ENODEV: return "ENODEV";
	default: return "other";
	}
}

#define T(expr) do { errno = 0; long _r = (long)(expr); printf("%-52s -> %s\n", #expr, _r < 0 ? en(errno) : "ok"); } while (0)
#define V(expr) do { errno = 0; long _r = (long)(expr); printf("%-52s -> %ld %s\n", #expr, _r, _r < 0 ? en(errno) : ""); } while (0)
// F prints a posix_fadvise result, which is an errno value, not -1/errno.
#define F(expr) do { int _e = (expr); printf("%-52s -> %s\n", #expr, en(_e)); } while (0)

static void slurp(const char *path, char *buf, size_t n) {
	buf[0] = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0) { snprintf(buf, n, "open %s: %s", path, en(errno)); return; }
	ssize_t r = read(fd, buf, n - 1);
	buf[r < 0 ? 0 : r] = 0;
	close(fd);
}

static void chomp(char *s) { size_t l = strlen(s); if (l && s[l - 1] == '\n') s[l - 1] = 0; }

static void filecontent(const char *name) {
	char b[64];
	slurp(name, b, sizeof b);
	printf("content %s = \"%s\"\n", name, b);
}

int main(void) {
	char dir[] = "/tmp/fsmisc-XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0) { perror("setup"); return 1; }
	setvbuf(stdout, NULL, _IONBF, 0);

	// ioctl on a regular file.
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	T(write(fd, "hello world", 11));
	T(lseek(fd, 3, SEEK_SET));
	int avail = -1;
	T(ioctl(fd, FIONREAD, &avail));
	printf("FIONREAD = %d\n", avail);
	T(ioctl(fd, FIOCLEX));
	V(fcntl(fd, F_GETFD));
	T(ioctl(fd, FIONCLEX));
	V(fcntl(fd, F_GETFD));
	T(ioctl(-1, FIOCLEX));
	T(ioctl(fd, FIONREAD, (int *)8));

	// posix_fadvise (fadvise64).
	F(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
	F(posix_fadvise(fd, 0, 4096, POSIX_FADV_DONTNEED));
	F(posix_fadvise(fd, 0, 0, 99));
	F(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL));
	F(posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL));
	int p[2];
	T(pipe(p));
	F(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));

	// utime, utimes, futimesat.
	struct utimbuf ub = {.actime = 1000, .modtime = 2000};
	struct stat st;
	T(utime("f", &ub));
	T(stat("f", &st));
	printf("utime: atime %ld mtime %ld\n", (long)st.st_atime, (long)st.st_mtime);
	struct timeval tv[2] = {{3000, 5}, {4000, 7}};
	T(utimes("f", tv));
	T(stat("f", &st));
	printf("utimes: atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atime, st.st_atim.tv_nsec, (long)st.st_mtime, st.st_mtim.tv_nsec);
	tv[1].tv_sec = 5000;
	T(syscall(SYS_futimesat, AT_FDCWD, "f", tv));
	T(stat("f", &st));
	printf("futimesat: mtime %ld\n", (long)st.st_mtime);
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	tv[1].tv_sec = 6000;
	T(syscall(SYS_futimesat, dfd, "f", tv));
	T(stat("f", &st));
	printf("futimesat dirfd: mtime %ld\n", (long)st.st_mtime);
	struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
	T(utimes("f", badtv));
	T(utime("missing", &ub));
	T(syscall(SYS_futimesat, fd, "f", tv));
	T(syscall(SYS_utimes, "f", (struct timeval *)8));
	T(utime("f", NULL));

	// preadv2/pwritev2 flags.
	int a = open("a", O_RDWR | O_CREAT | O_TRUNC, 0644);
	T(write(a, "abc", 3));
	struct iovec iv = {.iov_base = "X", .iov_len = 1};
	V(pwritev2(a, &iv, 1, 0, RWF_APPEND));
	filecontent("a");
	V(lseek(a, 0, SEEK_CUR));
	T(lseek(a, 0, SEEK_SET));
	iv.iov_base = "Y";
	V(pwritev2(a, &iv, 1, -1, RWF_APPEND));
	filecontent("a");
	V(lseek(a, 0, SEEK_CUR));
	iv.iov_base = "Z";
	V(pwritev2(a, &iv, 1, 1, RWF_DSYNC | RWF_SYNC | RWF_HIPRI));
	filecontent("a");
	V(pwritev2(a, &iv, 1, 0, 0x10000));
	char rb[8] = {0};
	struct iovec rv = {.iov_base = rb, .iov_len = sizeof rb - 1};
	V(preadv2(a, &rv, 1, 1, RWF_HIPRI));
	printf("preadv2 read \"%s\"\n", rb);
	V(preadv2(a, &rv, 1, 0, 0x10000));
	V(preadv2(a, &rv, 1, -2, 0));
	V(preadv2(p[0], &rv, 1, 0, 0));
	V(pwritev2(p[1], &iv, 1, 0, 0));

	// faccessat2 flags.
	T(symlink("missing", "dangling"));
	T(syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
	T(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0));
	T(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	T(syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1));
	T(syscall(SYS_faccessat2, AT_FDCWD, "f", 0x10, 0));
	T(syscall(SYS_faccessat2, fd, "", F_OK, AT_EMPTY_PATH));
	T(syscall(SYS_faccessat2, fd, "x", F_OK, 0));

	// F_DUPFD and F_DUPFD_CLOEXEC.
	V(fcntl(fd, F_DUPFD_CLOEXEC, 100));
	V(fcntl(100, F_GETFD));
	V(fcntl(fd, F_DUPFD, 100));
	V(fcntl(101, F_GETFD));
	V(fcntl(fd, F_DUPFD, -1));
	V(fcntl(-1, F_DUPFD_CLOEXEC, 0));

	// The chown family: root gives files away; -1 keeps an id; lchown changes the link.
	T(chown("f", 1234, 5678));
	T(stat("f", &st));
	printf("chown: %d %d\n", st.st_uid, st.st_gid);
	T(fchown(fd, -1, 42));
	T(stat("f", &st));
	printf("fchown: %d %d\n", st.st_uid, st.st_gid);
	T(symlinkat("f", dfd, "link"));
	T(lchown("link", 7, 7));
	T(lstat("link", &st));
	printf("lchown link: %d %d\n", st.st_uid, st.st_gid);
	T(stat("link", &st));
	printf("lchown target: %d %d\n", st.st_uid, st.st_gid);
	T(fchownat(dfd, "link", 0, 0, 0));
	T(stat("f", &st));
	printf("fchownat follows: %d %d\n", st.st_uid, st.st_gid);
	T(fchownat(dfd, "f", 0, 0, 0x4000));
	T(chown("missing", 0, 0));
	T(fchown(-1, 0, 0));
	T(symlinkat("f", dfd, "link"));
	T(symlinkat("f", fd, "link2"));

	// mknodat: fifos and sockets (device nodes depend on the filesystem).
	T(mknodat(dfd, "fifo", S_IFIFO | 0600, 0));
	T(mknodat(dfd, "sock", S_IFSOCK | 0600, 0));
	T(lstat("fifo", &st));
	printf("fifo: %d\n", S_ISFIFO(st.st_mode));
	T(lstat("sock", &st));
	printf("sock: %d\n", S_ISSOCK(st.st_mode));
	T(mknodat(dfd, "fifo", S_IFIFO | 0600, 0));
	T(mknodat(dfd, "bad", 0170000 | 0600, 0));

	// fallocate (mode 0: the sandbox refuses the other modes, see syscalls/table.go).
	int fa = open("fa", O_RDWR | O_CREAT, 0644);
	T(fallocate(fa, 0, 0, 10000));
	T(fstat(fa, &st));
	printf("fallocate size: %ld\n", (long)st.st_size);
	T(fallocate(fa, 0, -1, 10));
	T(fallocate(fa, 0, 0, 0));
	T(fallocate(p[1], 0, 0, 10));
	T(fallocate(-1, 0, 0, 10));
	T(fallocate(dfd, 0, 0, 10));
	int ro = open("fa", O_RDONLY);
	T(fallocate(ro, 0, 0, 10));

	// fsync, fdatasync, syncfs, sync.
	sync();
	T(fsync(fd));
	T(fdatasync(fd));
	T(syncfs(fd));
	T(fsync(-1));
	T(syncfs(-1));

	// statfs and fstatfs.
	struct statfs sf;
	T(statfs("/proc", &sf));
	printf("statfs /proc is procfs: %d\n", sf.f_type == PROC_SUPER_MAGIC);
	int pfd = open("/proc/self/status", O_RDONLY);
	T(fstatfs(pfd, &sf));
	printf("fstatfs /proc/self/status is procfs: %d\n", sf.f_type == PROC_SUPER_MAGIC);
	T(statfs("missing", &sf));
	T(statfs("f/x", &sf));
	T(fstatfs(-1, &sf));
	T(statfs("f", (struct statfs *)8));

	// chroot in a child: the new root holds a file; .. at the root stays at the root.
	T(mkdir("jail", 0755));
	T(mkdir("jail/sub", 0755));
	close(open("jail/inside", O_CREAT | O_WRONLY, 0644));
	T(chroot("missing"));
	T(chroot("f"));
	pid_t pid = fork();
	if (pid == 0) {
		T(chroot("jail"));
		T(chdir("/"));
		T(access("/inside", F_OK));
		T(access("/../../inside", F_OK));
		T(access("/f", F_OK));
		char cwd[64];
		T(chdir("sub"));
		printf("getcwd in chroot: %s\n", getcwd(cwd, sizeof cwd));
		_exit(0);
	}
	int ws;
	waitpid(pid, &ws, 0);

	// /proc/sys and /proc/self entries.
	struct utsname u;
	uname(&u);
	char b[4096];
	slurp("/proc/sys/kernel/hostname", b, sizeof b); chomp(b);
	printf("hostname matches uname: %d\n", strcmp(b, u.nodename) == 0);
	slurp("/proc/sys/kernel/ostype", b, sizeof b);
	printf("ostype: %s", b);
	slurp("/proc/sys/kernel/osrelease", b, sizeof b); chomp(b);
	printf("osrelease matches uname: %d\n", strcmp(b, u.release) == 0);
	slurp("/proc/sys/kernel/pid_max", b, sizeof b);
	printf("pid_max positive: %d\n", atoi(b) > 0);
	slurp("/proc/sys/vm/overcommit_memory", b, sizeof b);
	printf("overcommit_memory is 0-2: %d\n", strlen(b) == 2 && b[0] >= '0' && b[0] <= '2' && b[1] == '\n');
	slurp("/proc/self/mountinfo", b, sizeof b);
	printf("mountinfo has / and /proc: %d %d\n", strstr(b, " / / ") != NULL, strstr(b, " /proc rw,") != NULL && strstr(b, " - proc ") != NULL);
	int al = open("a", O_WRONLY | O_APPEND);
	lseek(al, 2, SEEK_SET);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", al);
	slurp(path, b, sizeof b);
	char *nl = strchr(b, '\n');
	if (nl) nl = strchr(nl + 1, '\n');
	if (nl) *nl = 0;
	printf("fdinfo: %s\n", b);
	T(open("/proc/self/fdinfo/999", O_RDONLY));
	printf("F_GETFL file %#o, O_PATH %#o, pipe %#o\n", fcntl(al, F_GETFL), fcntl(open(".", O_PATH), F_GETFL), fcntl(p[1], F_GETFL));

	// Permission checks from credentials: an unprivileged user against root's files.
	T(chmod(".", 0755));
	close(open("secret", O_CREAT | O_WRONLY, 0600));
	close(open("pub", O_CREAT | O_WRONLY, 0644));
	T(mkdir("closed", 0700));
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0) _exit(1);
		T(open("secret", O_RDONLY));
		T(open("pub", O_RDONLY));
		T(open("pub", O_WRONLY));
		T(open("new", O_CREAT | O_WRONLY, 0644));
		T(unlink("pub"));
		T(rename("pub", "pub2"));
		T(access("pub", W_OK));
		T(access("closed/x", F_OK));
		T(mkdir("closed/y", 0755));
		T(chmod("pub", 0777));
		T(chown("pub", 1000, 1000));
		T(truncate("pub", 0));
		T(execl("./pub", "pub", (char *)NULL));
		_exit(0);
	}
	waitpid(pid, &ws, 0);
	printf("unprivileged child exit: %d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);

	// More /proc: cwd and root links, cpuinfo, stat.
	char cwd[256], link[256];
	getcwd(cwd, sizeof cwd);
	ssize_t ll = readlink("/proc/self/cwd", link, sizeof link - 1);
	link[ll < 0 ? 0 : ll] = 0;
	printf("cwd link == getcwd: %d\n", strcmp(cwd, link) == 0);
	ll = readlink("/proc/self/root", link, sizeof link - 1);
	link[ll < 0 ? 0 : ll] = 0;
	printf("root link: %s\n", link);
	slurp("/proc/cpuinfo", b, sizeof b);
	printf("cpuinfo has processor 0: %d\n", strncmp(b, "processor\t: 0\n", 14) == 0);
	slurp("/proc/stat", b, sizeof b);
	printf("stat starts with cpu: %d\n", strncmp(b, "cpu ", 4) == 0);

	// The minimal /sys: its type, and the CPU lists glibc's sysconf reads.
	T(statfs("/sys", &sf));
	printf("statfs /sys is sysfs: %d\n", sf.f_type == SYSFS_MAGIC);
	// The CPU count itself depends on the affinity runsc starts with: compare shapes.
	char online[64], possible[64];
	slurp("/sys/devices/system/cpu/online", online, sizeof online);
	slurp("/sys/devices/system/cpu/possible", possible, sizeof possible);
	int lo = -1, hi = -1;
	int nf = sscanf(online, "%d-%d", &lo, &hi);
	long ncpu = nf == 2 ? hi - lo + 1 : nf == 1 ? 1 : -1;
	printf("cpu online starts at 0: %d, possible same: %d, sysconf onln matches: %d conf matches: %d\n",
		lo == 0, strcmp(online, possible) == 0, sysconf(_SC_NPROCESSORS_ONLN) == ncpu, sysconf(_SC_NPROCESSORS_CONF) == ncpu);
	T(stat("/sys/fs/cgroup", &st));
	printf("/sys/fs/cgroup is a directory: %d\n", S_ISDIR(st.st_mode));
	T(stat("/sys/devices/system/cpu/online", &st));
	printf("cpu/online is a regular file: %d\n", S_ISREG(st.st_mode));
	T(open("/sys/no-such-entry", O_RDONLY));

	snprintf(path, sizeof path, "rm -rf %s", dir);
	return system(path) != 0;
}
