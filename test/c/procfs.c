// procfs checks /proc against the calling process's own view of itself. Pids differ
// between the host and the sandbox, so it prints derived facts (field 1 of
// /proc/self/stat equals getpid(), ...) rather than raw values. It re-executes itself
// once with a known environment so that /proc/self/environ has a variable to look for.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static char buf[1 << 16];

// slurp reads path into buf and returns its length (-1 on error).
static long slurp(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	return n;
}

// statField returns field i (1-based) of the stat file at path, after the comm.
static long long statField(const char *path, int i, char *state) {
	if (slurp(path) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	if (i == 1)
		return atoll(buf);
	p += 2; // field 3
	for (int f = 3; f < i; f++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (state)
		*state = *p;
	return atoll(p);
}

// statusField returns the value of "Name:\t..." in /proc/self/status.
static char *statusField(const char *name) {
	static char val[256];
	if (slurp("/proc/self/status") < 0)
		return "?";
	char key[64];
	snprintf(key, sizeof key, "\n%s:\t", name);
	char *p = strstr(buf, key);
	if (!p && strncmp(buf, key + 1, strlen(key + 1)) == 0)
		p = buf - 1;
	if (!p)
		return "missing";
	p += strlen(key);
	size_t n = strcspn(p, "\n");
	if (n >= sizeof val)
		n = sizeof val - 1;
	memcpy(val, p, n);
	val[n] = 0;
	return val;
}

static pthread_barrier_t bar;

static void *sleeper(void *arg) {
	(void)arg;
	pthread_barrier_wait(&bar); // started
	pthread_barrier_wait(&bar); // main is done looking
	return NULL;
}

static int countDir(const char *path, int *sawTid) {
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	long tid = syscall(SYS_gettid);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (sawTid && atol(e->d_name) == tid)
			*sawTid = 1;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv) {
	if (!getenv("PROCFS_TEST")) {
		char *env[] = {"PROCFS_TEST=yes", "OTHER=1", NULL};
		execve(argv[0], argv, env);
		perror("execve");
		return 1;
	}
	char state = 0;
	printf("stat pid == getpid: %d\n", statField("/proc/self/stat", 1, NULL) == getpid());
	statField("/proc/self/stat", 3, &state);
	printf("stat state: %c\n", state);
	printf("stat ppid == getppid: %d\n", statField("/proc/self/stat", 4, NULL) == getppid());
	printf("stat num_threads: %lld\n", statField("/proc/self/stat", 20, NULL));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	printf("pid stat pid == getpid: %d\n", statField(path, 1, NULL) == getpid());

	printf("status Name: %s\n", statusField("Name"));
	printf("status Tgid == getpid: %d\n", atoi(statusField("Tgid")) == getpid());
	printf("status Pid == getpid: %d\n", atoi(statusField("Pid")) == getpid());
	printf("status PPid == getppid: %d\n", atoi(statusField("PPid")) == getppid());
	printf("status Uid: %d\n", atoi(statusField("Uid")) == (int)getuid());

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	unsigned long long blk = strtoull(statusField("SigBlk"), NULL, 16);
	printf("SigBlk USR1 %d TERM %d USR2 %d\n", !!(blk & (1ULL << (SIGUSR1 - 1))),
	       !!(blk & (1ULL << (SIGTERM - 1))), !!(blk & (1ULL << (SIGUSR2 - 1))));
	signal(SIGUSR2, SIG_IGN);
	unsigned long long ign = strtoull(statusField("SigIgn"), NULL, 16);
	printf("SigIgn USR2 %d\n", !!(ign & (1ULL << (SIGUSR2 - 1))));

	pthread_barrier_init(&bar, NULL, 4);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, sleeper, NULL);
	pthread_barrier_wait(&bar);
	printf("status Threads: %s\n", statusField("Threads"));
	printf("stat num_threads with 3 more: %lld\n", statField("/proc/self/stat", 20, NULL));
	int sawTid = 0;
	printf("task entries: %d\n", countDir("/proc/self/task", &sawTid));
	printf("task lists my tid: %d\n", sawTid);
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)syscall(SYS_gettid));
	printf("task stat pid == gettid: %d\n", statField(path, 1, NULL) == syscall(SYS_gettid));
	pthread_barrier_wait(&bar);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);

	// cmdline is argv, NUL-separated.
	long n = slurp("/proc/self/cmdline");
	long want = 0;
	int same = 1;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (want + (long)l > n || memcmp(buf + want, argv[i], l) != 0)
			same = 0;
		want += l;
	}
	printf("cmdline == argv: %d\n", same && want == n);

	n = slurp("/proc/self/environ");
	int found = 0;
	for (long i = 0; i < n; i += strlen(buf + i) + 1)
		if (strcmp(buf + i, "PROCFS_TEST=yes") == 0)
			found = 1;
	printf("environ has PROCFS_TEST: %d\n", found);

	// maps: the stack, the heap, and a fresh mapping with its permissions.
	sbrk(1 << 16);
	char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	slurp("/proc/self/maps");
	printf("maps [stack]: %d\n", strstr(buf, "[stack]\n") != NULL);
	printf("maps [heap]: %d\n", strstr(buf, "[heap]\n") != NULL);
	char line[64];
	snprintf(line, sizeof line, "\n%lx-%lx ", (unsigned long)m, (unsigned long)m + 3 * 4096);
	char *l = strstr(buf, line);
	char perms[5] = "none";
	if (l)
		memcpy(perms, l + strlen(line), 4);
	printf("maps mmap perms: %s\n", perms);
	mprotect(m, 4096, PROT_READ | PROT_WRITE);
	slurp("/proc/self/maps");
	snprintf(line, sizeof line, "\n%lx-%lx rw-p ", (unsigned long)m, (unsigned long)m + 4096);
	printf("maps after mprotect split: %d\n", strstr(buf, line) != NULL);

	// exe and fds.
	char exe[PATH_MAX] = "", real[PATH_MAX] = "";
	ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (el >= 0)
		exe[el] = 0;
	realpath(argv[0], real);
	printf("exe == realpath(argv[0]): %d\n", strcmp(exe, real) == 0);
	int fd = open(argv[0], O_RDONLY);
	printf("opened fd: %d\n", fd);
	char fdl[PATH_MAX] = "";
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t fl = readlink(path, fdl, sizeof fdl - 1);
	if (fl >= 0)
		fdl[fl] = 0;
	printf("fd link == realpath: %d\n", strcmp(fdl, real) == 0);
	DIR *d = opendir("/proc/self/fd");
	int fds[64], nfds = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && nfds < 64)
			fds[nfds++] = atoi(e->d_name);
	int dfd = d ? dirfd(d) : -1;
	closedir(d);
	// The host run may inherit other descriptors: check the ones that must be there.
	int has[4] = {0, 0, 0, 0};
	for (int i = 0; i < nfds; i++) {
		if (fds[i] >= 0 && fds[i] <= 2)
			has[fds[i]] = 1;
		if (fds[i] == fd)
			has[3] = 1;
	}
	(void)dfd;
	printf("fds 0 1 2 and opened: %d %d %d %d\n", has[0], has[1], has[2], has[3]);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	slurp(path);
	printf("fdinfo pos: %d flags line: %d\n", strncmp(buf, "pos:\t0\n", 7) == 0, strstr(buf, "\nflags:\t") != NULL);
	close(fd);

	// comm is writable by the process itself.
	fd = open("/proc/self/comm", O_WRONLY);
	printf("comm write: %ld\n", fd >= 0 ? (long)write(fd, "renamed\n", 8) : -1L);
	close(fd);
	slurp("/proc/self/comm");
	printf("comm: %s", buf);

	// Global files.
	slurp("/proc/meminfo");
	printf("meminfo MemTotal: %d\n", strncmp(buf, "MemTotal:", 9) == 0);
	// vmstat: "name value" lines, with the counters procps' vmstat reads.
	slurp("/proc/vmstat");
	int vmlines = 0, vmbad = 0;
	for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
		char name[64];
		unsigned long long v;
		vmlines++;
		if (sscanf(l, "%63[a-z_0-9] %llu", name, &v) != 2)
			vmbad++;
		if (!strchr(l, '\n'))
			break;
	}
	printf("vmstat lines parse: %d, has nr_free_pages pgfault pswpin: %d %d %d\n", vmlines > 10 && vmbad == 0,
	       strncmp(buf, "nr_free_pages ", 14) == 0, strstr(buf, "\npgfault ") != NULL, strstr(buf, "\npswpin ") != NULL);
	double up = -1, idle = -1;
	slurp("/proc/uptime");
	printf("uptime parses: %d\n", sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0 && idle >= 0);
	slurp("/proc/loadavg");
	double a, b, c;
	int run, tot, last;
	printf("loadavg parses: %d\n", sscanf(buf, "%lf %lf %lf %d/%d %d", &a, &b, &c, &run, &tot, &last) == 6);
	slurp("/proc/filesystems");
	printf("filesystems has proc: %d\n", strstr(buf, "\tproc\n") != NULL);
	slurp("/proc/self/mounts");
	printf("mounts has /proc: %d\n", strstr(buf, " /proc proc ") != NULL);
	char ml[64] = "";
	ssize_t mll = readlink("/proc/mounts", ml, sizeof ml - 1);
	if (mll >= 0)
		ml[mll] = 0;
	printf("/proc/mounts -> %s\n", ml);
	slurp("/proc/sys/kernel/ostype");
	printf("ostype: %s", buf);

	// A zombie child shows state Z until it is reaped.
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	siginfo_t si;
	waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	snprintf(path, sizeof path, "/proc/%d/stat", child);
	statField(path, 3, &state);
	printf("zombie state: %c\n", state);
	printf("zombie ppid == getpid: %d\n", statField(path, 4, NULL) == getpid());
	int st;
	waitpid(child, &st, 0);
	printf("reaped gone: %d\n", access(path, F_OK) != 0 && errno == ENOENT);
	return 0;
}
