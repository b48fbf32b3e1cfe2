// sig_fault checks synchronous fault signals delivered to handlers: SIGSEGV
// on a PROT_NONE page (SEGV_ACCERR), on an unmapped page (SEGV_MAPERR) and on
// a read-only page, each with si_addr the faulting address and recovered with
// siglongjmp; a SIGSEGV handler that fixes the page with mprotect and returns
// (the access is retried); SIGFPE from an integer division by zero
// (FPE_INTDIV); and SIGILL from ud2 (si_addr the instruction). Last, a blocked
// SIGSEGV kills the process (Linux forces fault signals): status 139.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile siginfo_t got;
static volatile int fix_page;
static char *page;
static volatile uintptr_t rip_at_fault;

static void handler(int sig, siginfo_t *si, void *ctx) {
	ucontext_t *uc = ctx;
	got = *si;
	rip_at_fault = uc->uc_mcontext.gregs[REG_RIP];
	if (fix_page) {
		mprotect(page, 4096, PROT_READ | PROT_WRITE);
		return;
	}
	siglongjmp(env, 1);
}

static void report(const char *what) {
	printf("%s: signo=%d code=%d addr_ok=%d\n", what, got.si_signo, got.si_code,
	       (char *)got.si_addr == page);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sigsetjmp(env, 1) == 0) {
		*(volatile char *)page = 1;
		printf("no fault on PROT_NONE\n");
	} else {
		report("PROT_NONE write");
	}
	if (sigsetjmp(env, 1) == 0) {
		(void)*(volatile char *)(page + 100);
		printf("no fault on PROT_NONE read\n");
	} else {
		printf("PROT_NONE read: code=%d addr_off=%ld\n", got.si_code, (char *)got.si_addr - page);
	}
	mprotect(page, 4096, PROT_READ);
	if (sigsetjmp(env, 1) == 0) {
		*(volatile char *)page = 1;
		printf("no fault on read-only\n");
	} else {
		report("read-only write");
	}
	munmap(page, 4096);
	if (sigsetjmp(env, 1) == 0) {
		(void)*(volatile char *)page;
		printf("no fault on unmapped\n");
	} else {
		report("unmapped read");
	}
	// The mask is restored by siglongjmp(env, 1): SIGSEGV is not blocked now.
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

	// A handler that makes the access valid and returns.
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fix_page = 1;
	page[7] = 42;
	fix_page = 0;
	printf("fixed by handler: value=%d code=%d\n", page[7], got.si_code);

	volatile int zero = 0, x = 7;
	if (sigsetjmp(env, 1) == 0) {
		x = x / zero;
		printf("no SIGFPE\n");
	} else {
		printf("divide by zero: signo=%d code=%d (FPE_INTDIV=%d) addr_is_rip=%d\n", got.si_signo,
		       got.si_code, FPE_INTDIV, (uintptr_t)got.si_addr == rip_at_fault);
	}

	if (sigsetjmp(env, 1) == 0) {
		__asm__ volatile("ud2");
		printf("no SIGILL\n");
	} else {
		printf("ud2: signo=%d code=%d (ILL_ILLOPN=%d) addr_is_rip=%d\n", got.si_signo, got.si_code,
		       ILL_ILLOPN, (uintptr_t)got.si_addr == rip_at_fault);
	}

	// Blocked: forced to the default action.
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSEGV);
	sigprocmask(SIG_BLOCK, &s, NULL);
	printf("faulting with SIGSEGV blocked\n");
	*(volatile char *)0 = 1;
	printf("survived\n");
	return 0;
}
