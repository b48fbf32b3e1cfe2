// killperm: who may signal whom (kill_ok_by_cred). Started as root, it makes target
// processes of other uids, then senders that setresuid to an unprivileged uid and try
// every way of sending a signal: kill, tgkill, tkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
// pidfd_send_signal (the process, its thread, its process group) and kill of a process
// group. The same check applies to signal 0 and to zombies; SIGCONT passes within the
// session; a matching real or saved uid or CAP_KILL passes. Targets ignore SIGUSR1, so a
// signal that gets through changes nothing; only errnos are printed.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef PIDFD_SIGNAL_THREAD
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_PROCESS_GROUP 4
#endif

static int pidfd_open(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }

static long pidfd_send(int fd, int sig, siginfo_t *info, unsigned flags) {
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

// target forks a process that takes ids (r, e, s), leads a process group of its own (or a
// session of its own when newsession) and waits to be killed; exits at once when zombie.
static pid_t target(uid_t r, uid_t e, uid_t s, int newsession, int zombie) {
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGUSR1, SIG_IGN);
		if (newsession)
			setsid();
		else
			setpgid(0, 0);
		if (setresuid(r, e, s) != 0)
			_exit(99);
		if (zombie)
			_exit(0);
		write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (zombie) {
		siginfo_t si;
		waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	} else {
		char b;
		read(p[0], &b, 1);
	}
	close(p[0]);
	return c;
}

// try prints the result of every way of sending sig to pid.
static void try(const char *who, pid_t pid, int sig) {
	int fd = pidfd_open(pid);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	printf("%s sig %d: kill %s, tgkill %s, tkill %s, sigqueue %s, tgsigqueue %s, "
	       "pidfd %s, pidfd thread %s, pidfd group %s, pidfd info %s, kill group %s\n",
	       who, sig, res(kill(pid, sig)), res(syscall(SYS_tgkill, pid, pid, sig)),
	       res(syscall(SYS_tkill, pid, sig)), res(syscall(SYS_rt_sigqueueinfo, pid, sig, &si)),
	       res(syscall(SYS_rt_tgsigqueueinfo, pid, pid, sig, &si)), res(pidfd_send(fd, sig, NULL, 0)),
	       res(pidfd_send(fd, sig, NULL, PIDFD_SIGNAL_THREAD)),
	       res(pidfd_send(fd, sig, NULL, PIDFD_SIGNAL_PROCESS_GROUP)),
	       res(pidfd_send(fd, sig, sig ? &si : NULL, 0)), res(kill(-pid, sig)));
	close(fd);
}

static void keep_kill(void) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{1u << CAP_KILL, 1u << CAP_KILL, 0}, {0, 0, 0}};
	printf("capset kill: %s\n", res(syscall(SYS_capset, &h, d)));
}

// sender runs f's tries in a child with ids (r, e, s), keeping CAP_KILL if keepkill.
static void sender(const char *name, uid_t r, uid_t e, uid_t s, int keepkill, void (*f)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("== %s\n", name);
		if (keepkill)
			prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
		if (setresuid(r, e, s) != 0) {
			printf("setresuid: %s\n", res(-1));
			_exit(1);
		}
		if (keepkill)
			keep_kill();
		f();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
}

static pid_t other, same, saved, effective, othersession, zombie;

static void others(void) {
	try("other uid", other, 0);
	try("other uid", other, SIGUSR1);
	try("other uid", other, SIGCONT);
	try("other uid, other session", othersession, SIGCONT);
	try("other uid, zombie", zombie, 0);
	try("own uid", same, SIGUSR1);
	try("own uid as saved", saved, SIGUSR1);
	try("own uid as effective only", effective, SIGUSR1);
}

static void with_kill(void) {
	try("other uid with CAP_KILL", other, SIGUSR1);
	try("other session with CAP_KILL", othersession, SIGUSR1);
}

static void by_effective(void) { try("effective uid is the target's real", other, SIGUSR1); }

int main(void) {
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	other = target(2000, 2000, 2000, 0, 0);
	same = target(1000, 1000, 1000, 0, 0);
	saved = target(3000, 3000, 1000, 0, 0);
	effective = target(3000, 1000, 3000, 0, 0);
	othersession = target(2000, 2000, 2000, 1, 0);
	zombie = target(2000, 2000, 2000, 0, 1);

	sender("uid 1000", 1000, 1000, 1000, 0, others);
	sender("uid 1000 keeping CAP_KILL", 1000, 1000, 1000, 1, with_kill);
	sender("euid 2000", 4000, 2000, 4000, 0, by_effective);

	pid_t all[] = {other, same, saved, effective, othersession, zombie};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		kill(all[i], SIGKILL);
		waitpid(all[i], NULL, 0);
	}
	printf("done\n");
	return 0;
}
