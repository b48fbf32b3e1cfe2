// sig_basic checks signal delivery to handlers: siginfo for kill (SI_USER),
// tgkill (SI_TKILL) and sigqueue (SI_QUEUE with si_value), the ucontext a
// SA_SIGINFO handler receives, the mask during a handler (deferral vs
// SA_NODEFER), SA_RESETHAND, blocking and rt_sigpending, coalescing of
// standard signals and queueing of real-time ones, sigsuspend,
// rt_sigtimedwait, and RLIMIT_SIGPENDING. Pids differ between runs, so only
// comparisons with getpid()/getuid() are printed.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int hits;
static volatile int depth, maxdepth;
static siginfo_t last;
static int blocked_in_handler;
static int oldmask_has_sig;
static int rip_nonzero;
static int order[8], norder;

static void on_info(int sig, siginfo_t *si, void *ctx) {
	ucontext_t *uc = ctx;
	sigset_t cur;
	hits++;
	last = *si;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	blocked_in_handler = sigismember(&cur, sig);
	oldmask_has_sig = sigismember(&uc->uc_sigmask, sig);
	rip_nonzero = uc->uc_mcontext.gregs[REG_RIP] != 0 && uc->uc_mcontext.gregs[REG_RSP] != 0;
}

static void on_nested(int sig) {
	depth++;
	if (depth > maxdepth)
		maxdepth = depth;
	if (norder < 8)
		order[norder++] = depth;
	if (hits++ == 0)
		raise(sig); // nested now with SA_NODEFER, after return without
	depth--;
}

static void on_rt(int sig, siginfo_t *si, void *ctx) {
	(void)ctx;
	if (norder < 8)
		order[norder++] = si->si_value.sival_int * 100 + (sig - SIGRTMIN);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		perror("sigaction");
}

static void install_plain(int sig, void (*fn)(int), int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t me = getpid();
	uid_t uid = getuid();

	install(SIGUSR1, on_info, 0);
	kill(me, SIGUSR1);
	printf("kill: hits=%d signo=%d code=%d (SI_USER=%d) pid_ok=%d uid_ok=%d\n", hits, last.si_signo,
	       last.si_code, SI_USER, last.si_pid == me, last.si_uid == uid);
	printf("  blocked in handler=%d old mask has it=%d regs ok=%d\n", blocked_in_handler,
	       oldmask_has_sig, rip_nonzero);

	syscall(SYS_tgkill, me, syscall(SYS_gettid), SIGUSR1);
	printf("tgkill: hits=%d code=%d (SI_TKILL=%d) pid_ok=%d\n", hits, last.si_code, SI_TKILL,
	       last.si_pid == me);

	union sigval v = {.sival_int = 42};
	sigqueue(me, SIGUSR1, v);
	printf("sigqueue: hits=%d code=%d (SI_QUEUE=%d) value=%d\n", hits, last.si_code, SI_QUEUE,
	       last.si_value.sival_int);

	// SA_NODEFER: the handler may be re-entered.
	install(SIGUSR1, on_info, SA_NODEFER);
	kill(me, SIGUSR1);
	printf("nodefer: blocked in handler=%d\n", blocked_in_handler);
	hits = 0, norder = 0, maxdepth = 0;
	install_plain(SIGUSR2, on_nested, SA_NODEFER);
	raise(SIGUSR2);
	printf("nodefer nesting: hits=%d maxdepth=%d order=%d,%d\n", hits, maxdepth, order[0], order[1]);
	hits = 0, norder = 0, maxdepth = 0;
	install_plain(SIGUSR2, on_nested, 0);
	raise(SIGUSR2);
	printf("deferred nesting: hits=%d maxdepth=%d order=%d,%d\n", hits, maxdepth, order[0], order[1]);

	// SA_RESETHAND.
	hits = 0;
	install(SIGUSR1, on_info, SA_RESETHAND);
	kill(me, SIGUSR1);
	struct sigaction cur;
	sigaction(SIGUSR1, NULL, &cur);
	printf("resethand: hits=%d now default=%d\n", hits, cur.sa_handler == SIG_DFL);

	// Blocking, rt_sigpending, coalescing.
	hits = 0;
	install(SIGUSR1, on_info, 0);
	block(SIGUSR1, SIG_BLOCK);
	kill(me, SIGUSR1);
	kill(me, SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("blocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));
	block(SIGUSR1, SIG_UNBLOCK);
	sigpending(&pend);
	printf("unblocked: hits=%d (coalesced) pending=%d\n", hits, sigismember(&pend, SIGUSR1));

	// Real-time signals queue, in order, lowest signal first.
	norder = 0;
	install(SIGRTMIN, on_rt, 0);
	install(SIGRTMIN + 1, on_rt, 0);
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigaddset(&rt, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i;
		sigqueue(me, SIGRTMIN + 1, v);
		sigqueue(me, SIGRTMIN, v);
	}
	sigprocmask(SIG_UNBLOCK, &rt, NULL);
	printf("rt order:");
	for (int i = 0; i < norder; i++)
		printf(" %d", order[i]);
	printf("\n");

	// sigsuspend: wait with SIGUSR1 unblocked, then the old mask is back.
	hits = 0;
	block(SIGUSR1, SIG_BLOCK);
	kill(me, SIGUSR1);
	sigset_t empty;
	sigemptyset(&empty);
	int r = sigsuspend(&empty);
	int e = errno;
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("sigsuspend: r=%d errno=%s hits=%d old mask in frame has it=%d still blocked=%d\n", r,
	       strerror(e), hits, oldmask_has_sig, sigismember(&now, SIGUSR1));

	// rt_sigtimedwait: a timeout, then a pending signal taken without its handler.
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR1);
	struct timespec ts = {0, 30 * 1000 * 1000};
	siginfo_t si;
	hits = 0;
	r = sigtimedwait(&w, &si, &ts);
	printf("sigtimedwait timeout: r=%d errno=%s\n", r, strerror(errno));
	raise(SIGUSR1);
	r = sigtimedwait(&w, &si, &ts);
	printf("sigtimedwait: r=%d signo=%d code=%d hits=%d\n", r, si.si_signo, si.si_code, hits);
	ts.tv_nsec = 0;
	r = sigtimedwait(&w, &si, &ts);
	printf("sigtimedwait poll: r=%d errno=%s\n", r, strerror(errno));

	// RLIMIT_SIGPENDING bounds queued real-time signals.
	struct rlimit rl;
	getrlimit(RLIMIT_SIGPENDING, &rl);
	rl.rlim_cur = 8;
	setrlimit(RLIMIT_SIGPENDING, &rl);
	block(SIGRTMIN + 2, SIG_BLOCK);
	int queued = 0;
	for (int i = 0; i < 100; i++) {
		if (sigqueue(me, SIGRTMIN + 2, v) != 0) {
			e = errno;
			break;
		}
		queued++;
	}
	// The count is the real user's across the host (root's other processes, natively), so
	// other programs' pending signals may leave fewer than 8, even none, to this one.
	printf("rlimit: stopped with %s after at most 8: %d\n", strerror(e), queued <= 8);
	signal(SIGRTMIN + 2, SIG_IGN);
	sigpending(&pend);
	printf("ignoring discards: pending=%d\n", sigismember(&pend, SIGRTMIN + 2));

	// A blocked, ignored signal stays pending.
	signal(SIGUSR2, SIG_IGN);
	block(SIGUSR2, SIG_BLOCK);
	raise(SIGUSR2);
	sigpending(&pend);
	printf("blocked ignored: pending=%d\n", sigismember(&pend, SIGUSR2));
	block(SIGUSR2, SIG_UNBLOCK);
	sigpending(&pend);
	printf("unblocked ignored: pending=%d\n", sigismember(&pend, SIGUSR2));
	return 0;
}
