// errno checks that bad user pointers and bad file descriptors come back as
// errors rather than crashes: write(1, (void*)1, 10) is EFAULT, read/write on
// fds that are not open are EBADF. Raw syscalls, so libc does not interfere.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "0";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	default: return "other";
	}
}

static int failures;

static void check(const char *what, long r, int want) {
	int e = errno;
	printf("%s: %ld %s\n", what, r, r == -1 ? errname(e) : "no error");
	if (r != -1 || e != want)
		failures++;
}

int main(void) {
	char buf[16];
	// Line-buffered, so printf output and the raw write below interleave in
	// program order.
	setvbuf(stdout, NULL, _IOLBF, 0);

	errno = 0;
	long r = syscall(SYS_write, 1, (void *)1, 10);
	check("write(1, (void*)1, 10)", r, EFAULT);

	errno = 0;
	r = syscall(SYS_write, 1000, "hello\n", 6);
	check("write(1000, buf, 6)", r, EBADF);

	errno = 0;
	r = syscall(SYS_read, 1000, buf, sizeof buf);
	check("read(1000, buf, 16)", r, EBADF);

	errno = 0;
	r = syscall(SYS_write, -1, "hello\n", 6);
	check("write(-1, buf, 6)", r, EBADF);

	errno = 0;
	r = syscall(SYS_read, -1, buf, sizeof buf);
	check("read(-1, buf, 16)", r, EBADF);

	// The good path still works after the errors.
	errno = 0;
	r = syscall(SYS_write, 1, "ok\n", 3);
	printf("write(1, \"ok\\n\", 3) returned %ld\n", r);
	if (r != 3)
		failures++;

	printf("failures=%d\n", failures);
	return failures ? 1 : 0;
}
