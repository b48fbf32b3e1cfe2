// pidfd checks process file descriptors (pidfd_open(2), pidfd_send_signal(2),
// pidfd_getfd(2), clone(2)/clone3(2) with CLONE_PIDFD, waitid(P_PIDFD)): readiness (POLLIN
// once the process exits, also under epoll), signalling, waiting, stealing a descriptor,
// and their errors. Output is pid independent.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

static void report(const char *what, int cond) { printf("%s: %s\n", what, cond ? "ok" : "FAIL"); }

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "0"; }

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static int pidfd_getfd(int fd, int target, unsigned flags) { return syscall(SYS_pidfd_getfd, fd, target, flags); }

static int readable(int fd, int ms) {
	struct pollfd p = {fd, POLLIN, 0};
	int r = poll(&p, 1, ms);
	return r == 1 ? p.revents : 0;
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	pipe(p);

	// pidfd_open, poll, pidfd_send_signal, waitid(P_PIDFD).
	pid_t c = fork();
	if (c == 0) {
		char b;
		read(p[0], &b, 1);
		_exit(5);
	}
	int fd = pidfd_open(c, 0);
	report("pidfd_open", fd >= 0);
	int fl = fcntl(fd, F_GETFD);
	report("pidfd is close-on-exec", fl == FD_CLOEXEC);
	report("not readable while the child runs", readable(fd, 50) == 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	report("epoll_ctl ADD a pidfd", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	report("epoll_wait: nothing yet", epoll_wait(ep, &out, 1, 20) == 0);
	report("pidfd_send_signal sig 0", pidfd_send_signal(fd, 0, NULL, 0) == 0);
	write(p[1], "x", 1);
	int re = readable(fd, 5000);
	report("POLLIN once the child exits", re == POLLIN);
	report("epoll_wait reports it", epoll_wait(ep, &out, 1, 5000) == 1 && out.data.u32 == 7 && out.events == EPOLLIN);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	report("waitid(P_PIDFD)", waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_pid == c && si.si_code == CLD_EXITED &&
	                               si.si_status == 5);
	re = readable(fd, 0);
	report("POLLIN|POLLHUP once reaped", re == (POLLIN | POLLHUP));
	long r = pidfd_send_signal(fd, SIGTERM, NULL, 0);
	printf("pidfd_send_signal to a reaped process: %s\n", err(r));
	r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid(P_PIDFD) of a reaped child: %s\n", err(r));
	close(ep);
	close(fd);

	// A signal through the pidfd kills; siginfo is checked.
	c = fork();
	if (c == 0)
		for (;;)
			pause();
	fd = pidfd_open(c, PIDFD_NONBLOCK);
	report("PIDFD_NONBLOCK sets O_NONBLOCK", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	memset(&si, 0, sizeof si);
	r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid on a non-blocking pidfd of a running child: %s\n", err(r));
	r = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
	printf("the same with WNOHANG: %s pid=%d\n", err(r), si.si_pid);
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	r = pidfd_send_signal(fd, SIGTERM, &si, 0);
	printf("siginfo with another signal: %s\n", err(r));
	si.si_signo = SIGTERM;
	r = pidfd_send_signal(fd, SIGTERM, &si, 0);
	printf("siginfo with si_code SI_USER to another process: %s\n", err(r));
	r = pidfd_send_signal(fd, SIGTERM, NULL, 0x100);
	printf("bad flags: %s\n", err(r));
	r = pidfd_send_signal(fd, SIGTERM, NULL, 3);
	printf("two PIDFD_SIGNAL_* flags: %s\n", err(r));
	r = pidfd_send_signal(fd, 65, NULL, 0);
	printf("bad signal: %s\n", err(r));
	report("pidfd_send_signal SIGTERM to the thread", pidfd_send_signal(fd, SIGTERM, NULL, 1) == 0);
	readable(fd, 5000);
	memset(&si, 0, sizeof si);
	report("the child died of it", waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_code == CLD_KILLED && si.si_status == SIGTERM);
	close(fd);

	// PIDFD_SIGNAL_PROCESS_GROUP reaches the process's whole group.
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int ready[2];
	pipe(ready);
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		if (fork() == 0) {
			write(ready[1], "g", 1);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	setpgid(c, c);
	fd = pidfd_open(c, 0);
	char rb;
	read(ready[0], &rb, 1); // the grandchild runs, in the group
	close(ready[0]), close(ready[1]);
	report("PIDFD_SIGNAL_PROCESS_GROUP", pidfd_send_signal(fd, SIGKILL, NULL, 4) == 0);
	int ws2;
	waitpid(c, &ws2, 0);
	report("the process died", WIFSIGNALED(ws2) && WTERMSIG(ws2) == SIGKILL);
	pid_t g = waitpid(-1, &ws2, 0); // the grandchild, adopted by this subreaper
	report("and the rest of its group", g > 0 && WIFSIGNALED(ws2) && WTERMSIG(ws2) == SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	close(fd);

	// Errors.
	r = pidfd_open(0, 0);
	printf("pidfd_open(0): %s\n", err(r));
	r = pidfd_open(-1, 0);
	printf("pidfd_open(-1): %s\n", err(r));
	r = pidfd_open(getpid(), 0x4);
	printf("pidfd_open bad flags: %s\n", err(r));
	r = pidfd_open(c, 0);
	printf("pidfd_open of a reaped pid: %s\n", err(r));
	r = pidfd_send_signal(1000, SIGTERM, NULL, 0);
	printf("pidfd_send_signal on a closed fd: %s\n", err(r));
	r = pidfd_send_signal(p[0], SIGTERM, NULL, 0);
	printf("pidfd_send_signal on a pipe: %s\n", err(r));
	r = waitid(P_PIDFD, p[0], &si, WEXITED);
	printf("waitid(P_PIDFD) on a pipe: %s\n", err(r));
	r = waitid(P_PIDFD, -1, &si, WEXITED);
	printf("waitid(P_PIDFD, -1): %s\n", err(r));
	int self = pidfd_open(getpid(), 0);
	r = waitid(P_PIDFD, self, &si, WEXITED | WNOHANG);
	printf("waitid(P_PIDFD) on oneself: %s\n", err(r));
	r = pidfd_getfd(self, p[1], 1);
	printf("pidfd_getfd bad flags: %s\n", err(r));
	r = pidfd_getfd(self, 999, 0);
	printf("pidfd_getfd of a closed fd: %s\n", err(r));
	r = pidfd_getfd(p[0], 0, 0);
	printf("pidfd_getfd on a pipe: %s\n", err(r));

	// pidfd_getfd duplicates another process's descriptor.
	int q[2];
	pipe(q);
	c = fork();
	if (c == 0) {
		int z[2];
		pipe(z);
		dup2(z[1], 50);
		write(q[1], "r", 1);
		char b;
		read(p[0], &b, 1);
		_exit(0);
	}
	char b;
	read(q[0], &b, 1);
	fd = pidfd_open(c, 0);
	int got = pidfd_getfd(fd, 50, 0);
	report("pidfd_getfd", got >= 0 && fcntl(got, F_GETFD) == FD_CLOEXEC);
	struct stat st;
	report("it is the child's pipe", fstat(got, &st) == 0 && S_ISFIFO(st.st_mode));
	write(p[1], "x", 1);
	waitid(P_PIDFD, fd, &si, WEXITED);
	close(got);
	close(fd);

	// A zombie: POLLIN, signals succeed.
	c = fork();
	if (c == 0)
		_exit(3);
	fd = pidfd_open(c, 0);
	readable(fd, 5000);
	report("a zombie is readable, not hung up", readable(fd, 0) == POLLIN);
	report("signalling a zombie succeeds", pidfd_send_signal(fd, SIGKILL, NULL, 0) == 0);
	int ws;
	waitpid(c, &ws, 0);
	report("it exited with its own status", WIFEXITED(ws) && WEXITSTATUS(ws) == 3);
	close(fd);

	// clone(CLONE_PIDFD) and clone3.
	int pfd = -1;
	r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
	if (r == 0)
		_exit(9);
	report("clone(CLONE_PIDFD)", r > 0 && pfd >= 0 && fcntl(pfd, F_GETFD) == FD_CLOEXEC);
	memset(&si, 0, sizeof si);
	report("waitid on its pidfd", waitid(P_PIDFD, pfd, &si, WEXITED) == 0 && si.si_pid == r && si.si_status == 9);
	close(pfd);
	r = syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd, 0, 0);
	printf("CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", err(r));
	r = syscall(SYS_clone, CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, 0, &pfd, 0, 0);
	printf("CLONE_PIDFD|CLONE_DETACHED: %s\n", err(r));
	r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, (void *)8, 0, 0);
	printf("CLONE_PIDFD to a bad address: %s\n", err(r));

	int pfd3 = -1;
	pid_t ptid = 0;
	struct clone_args_v0 ca = {.flags = CLONE_PIDFD | CLONE_PARENT_SETTID, .pidfd = (uintptr_t)&pfd3,
	                           .parent_tid = (uintptr_t)&ptid, .exit_signal = SIGCHLD};
	r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r == 0)
		_exit(4);
	report("clone3(CLONE_PIDFD|CLONE_PARENT_SETTID)", r > 0 && pfd3 >= 0 && ptid == r);
	report("its pidfd becomes readable", readable(pfd3, 5000) == POLLIN);
	memset(&si, 0, sizeof si);
	report("waitid on it", waitid(P_PIDFD, pfd3, &si, WEXITED) == 0 && si.si_pid == r && si.si_status == 4);
	return 0;
}
