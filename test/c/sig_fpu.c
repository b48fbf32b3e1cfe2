// sig_fpu checks that the FPU/SSE (and AVX, if present) registers and MXCSR
// of the interrupted code survive a signal handler that clobbers them: the
// registers are loaded, a signal is sent with a raw syscall (delivered as the
// syscall returns), and stored again. The handler also reports that it
// starts with the default MXCSR, as Linux resets the FPU for handlers.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int hits;
static uint32_t handler_mxcsr;

static void handler(int sig) {
	(void)sig;
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	handler_mxcsr = m;
	uint8_t junk[32];
	memset(junk, 0xee, sizeof junk);
	__asm__ volatile(
	    "movdqu (%0), %%xmm0\n movdqu (%0), %%xmm1\n movdqu (%0), %%xmm2\n movdqu (%0), %%xmm3\n"
	    "movdqu (%0), %%xmm4\n movdqu (%0), %%xmm5\n movdqu (%0), %%xmm6\n movdqu (%0), %%xmm7\n"
	    "movdqu (%0), %%xmm8\n movdqu (%0), %%xmm9\n movdqu (%0), %%xmm10\n movdqu (%0), %%xmm11\n"
	    "movdqu (%0), %%xmm12\n movdqu (%0), %%xmm13\n movdqu (%0), %%xmm14\n movdqu (%0), %%xmm15\n"
	    :
	    : "r"(junk)
	    : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
	      "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	uint32_t bad = 0x7f80; // all exceptions masked, round toward zero
	__asm__ volatile("ldmxcsr %0" ::"m"(bad));
	hits++;
}

int main(void) {
	signal(SIGUSR1, handler);
	uint8_t in[16 * 16], out[16 * 16];
	for (int i = 0; i < (int)sizeof in; i++)
		in[i] = (uint8_t)(i * 7 + 3);
	memset(out, 0, sizeof out);
	uint32_t mx = 0x3f80 | (1 << 13); // round down
	uint32_t mx_after = 0;
	long pid = getpid();
	long ret;
	__asm__ volatile(
	    "ldmxcsr (%[mx])\n"
	    "movdqu 0(%[in]), %%xmm0\n movdqu 16(%[in]), %%xmm1\n movdqu 32(%[in]), %%xmm2\n"
	    "movdqu 48(%[in]), %%xmm3\n movdqu 64(%[in]), %%xmm4\n movdqu 80(%[in]), %%xmm5\n"
	    "movdqu 96(%[in]), %%xmm6\n movdqu 112(%[in]), %%xmm7\n movdqu 128(%[in]), %%xmm8\n"
	    "movdqu 144(%[in]), %%xmm9\n movdqu 160(%[in]), %%xmm10\n movdqu 176(%[in]), %%xmm11\n"
	    "movdqu 192(%[in]), %%xmm12\n movdqu 208(%[in]), %%xmm13\n movdqu 224(%[in]), %%xmm14\n"
	    "movdqu 240(%[in]), %%xmm15\n"
	    "syscall\n"
	    "movdqu %%xmm0, 0(%[out])\n movdqu %%xmm1, 16(%[out])\n movdqu %%xmm2, 32(%[out])\n"
	    "movdqu %%xmm3, 48(%[out])\n movdqu %%xmm4, 64(%[out])\n movdqu %%xmm5, 80(%[out])\n"
	    "movdqu %%xmm6, 96(%[out])\n movdqu %%xmm7, 112(%[out])\n movdqu %%xmm8, 128(%[out])\n"
	    "movdqu %%xmm9, 144(%[out])\n movdqu %%xmm10, 160(%[out])\n movdqu %%xmm11, 176(%[out])\n"
	    "movdqu %%xmm12, 192(%[out])\n movdqu %%xmm13, 208(%[out])\n movdqu %%xmm14, 224(%[out])\n"
	    "movdqu %%xmm15, 240(%[out])\n"
	    "stmxcsr (%[mxa])\n"
	    : "=a"(ret)
	    : "a"((long)SYS_kill), "D"(pid), "S"((long)SIGUSR1), [in] "r"(in), [out] "r"(out),
	      [mx] "r"(&mx), [mxa] "r"(&mx_after)
	    : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	uint32_t def = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(def));
	printf("kill returned %ld, handler ran %d time(s)\n", ret, hits);
	printf("xmm preserved: %d\n", memcmp(in, out, sizeof in) == 0);
	printf("mxcsr preserved: %d (%#x)\n", mx_after == mx, mx_after);
	printf("handler mxcsr: %#x\n", handler_mxcsr);

	// x87: a long double computation across a signal.
	volatile long double a = 1.0L / 3.0L;
	raise(SIGUSR1);
	volatile long double b = a * 3.0L;
	printf("x87: %d\n", b == 1.0L || (b > 0.999999L && b < 1.000001L));
	return 0;
}
