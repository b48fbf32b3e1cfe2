// sig_altstack checks handlers on an alternate signal stack: the handler's
// locals, siginfo and ucontext are inside the stack, rsp is ABI-aligned,
// sigaltstack reports SS_ONSTACK and refuses changes (EPERM) while on it, a
// handler without SA_ONSTACK stays on the normal stack, and SS_AUTODISARM
// disarms the stack for the handler and rt_sigreturn re-arms it.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define STK (64 * 1024)
static char *stk;
static int probe_eperm = 1;
static int in_local, in_info, in_uc, aligned, onstack_flag, eperm, autodisarm_flags;

static int inside(void *p) { return (char *)p >= stk && (char *)p < stk + STK; }

__attribute__((noinline)) static void handler(int sig, siginfo_t *si, void *uc) {
	volatile char local;
	in_local = inside((void *)&local);
	in_info = inside(si);
	in_uc = inside(uc);
	aligned = ((uintptr_t)__builtin_frame_address(0) % 16) == 0;
	stack_t cur, ns = {.ss_sp = stk, .ss_size = STK};
	sigaltstack(NULL, &cur);
	onstack_flag = cur.ss_flags;
	if (probe_eperm)
		eperm = sigaltstack(&ns, NULL) == -1 && errno == EPERM;
	autodisarm_flags = cur.ss_flags;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	stk = malloc(STK);
	stack_t ss = {.ss_sp = stk, .ss_size = STK, .ss_flags = 0};
	if (sigaltstack(&ss, NULL) != 0)
		perror("sigaltstack");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("onstack: local=%d info=%d uc=%d aligned=%d flags=%#x eperm=%d\n", in_local, in_info,
	       in_uc, aligned, onstack_flag, eperm);
	stack_t cur;
	sigaltstack(NULL, &cur);
	printf("after: flags=%#x same=%d\n", cur.ss_flags, cur.ss_sp == stk && cur.ss_size == STK);

	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("no SA_ONSTACK: local=%d aligned=%d flags=%#x\n", in_local, aligned, onstack_flag);

	probe_eperm = 0;
	ss.ss_flags = SS_AUTODISARM;
	if (sigaltstack(&ss, NULL) != 0)
		perror("sigaltstack autodisarm");
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("autodisarm: local=%d flags in handler=%#x\n", in_local, autodisarm_flags);
	sigaltstack(NULL, &cur);
	printf("autodisarm after: flags=%#x\n", cur.ss_flags);

	ss.ss_size = 100;
	ss.ss_flags = 0;
	int r = sigaltstack(&ss, NULL);
	printf("too small: %d %s\n", r, strerror(errno));
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &cur);
	printf("disabled: flags=%#x\n", cur.ss_flags);
	return 0;
}
