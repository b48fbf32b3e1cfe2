// hostile: throws garbage arguments at every syscall the sandbox answers and checks that the
// program (and so the sentry) survives. SANDBOX ONLY: never run this on a host.
//
// Arguments come from a pool of hostile values (NULL, unmapped and kernel addresses, -1, huge
// lengths). Syscalls that end or replace the process, block forever by design, deliver
// signals, or scribble over the program's own memory state are skipped: they would make the
// program die for its own reasons, not the sentry's.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const long pool[] = {
	0, 1, 2, -1, -4096, 0x7fffffff, 0x80000000L, 0x7fffffffffffL, 0x10000,
	(long)0xffff800000000000UL, (long)0xfffffffffffff000UL, 0x1000000000L, 255, 256, 4096,
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static int skipped(long nr) {
	switch (nr) {
	case SYS_mmap: case SYS_mprotect: case SYS_munmap: case SYS_brk: case SYS_mremap:
	case SYS_msync: case SYS_mincore: case SYS_madvise: case SYS_rt_sigaction: case SYS_rt_sigreturn:
	case SYS_poll: case SYS_select: case SYS_pselect6: case SYS_ppoll: case SYS_pause:
	case SYS_dup2: case SYS_dup3: case SYS_close: case SYS_close_range:
	case SYS_alarm: case SYS_setitimer: case SYS_timer_create: case SYS_timer_settime:
	case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork: case SYS_execve: case SYS_execveat:
	case SYS_exit: case SYS_exit_group: case SYS_kill: case SYS_tkill: case SYS_tgkill:
	case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait:
	case SYS_arch_prctl: case SYS_ptrace: case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_msgrcv: case SYS_msgsnd: case SYS_semop: case SYS_semtimedop: case SYS_mq_timedreceive:
	case SYS_mq_timedsend: case SYS_pidfd_send_signal: case SYS_seccomp: case SYS_prctl:
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg: case SYS_accept: case SYS_accept4:
	case SYS_wait4: case SYS_waitid: case SYS_futex: case SYS_futex_waitv: case SYS_nanosleep:
	case SYS_clock_nanosleep: case SYS_sched_setaffinity: case SYS_sched_setscheduler: case SYS_setrlimit:
	case SYS_prlimit64: case SYS_setsid: case SYS_setpgid: case SYS_unshare: case SYS_setns:
	case SYS_io_uring_enter: case SYS_splice: case SYS_tee: case SYS_sendfile: case SYS_copy_file_range:
		return 1;
	}
	return 0;
}

int main(void) {
	unsigned long seed = 12345, calls = 0;
	for (long nr = 0; nr < 460; nr++) {
		if (skipped(nr))
			continue;
		for (int round = 0; round < 24; round++) {
			long a[6];
			for (int i = 0; i < 6; i++) {
				seed = seed * 6364136223846793005UL + 1442695040888963407UL;
				a[i] = pool[(seed >> 33) % NPOOL];
			}
			syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			calls++;
		}
	}
	// Memory syscalls with hostile arguments, aimed far away from this program's mappings.
	const long far = 0x600000000000L;
	for (int i = 0; i < (int)NPOOL; i++) {
		long v = pool[i];
		syscall(SYS_munmap, far + (v & 0xfff), v);
		syscall(SYS_mprotect, far, v, v);
		syscall(SYS_madvise, far, v, v);
		syscall(SYS_mremap, far, v, v, v, v);
		void *p = (void *)syscall(SYS_mmap, 0, v, v, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED && (long)p > 0 && (long)p < 0x800000000000L)
			syscall(SYS_munmap, p, v);
		calls += 6;
	}
	printf("survived %lu calls\n", calls);
	return 0;
}
