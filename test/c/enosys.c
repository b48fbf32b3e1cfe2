// enosys calls io_uring_setup(1, NULL), a syscall the sentry does not
// implement in the first milestone, and prints the errno by name. On the host
// it fails otherwise (EFAULT for the NULL params, or EPERM where io_uring is
// disabled); in the sandbox it must be ENOSYS, and the program must go on
// running afterwards. Not differential.
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case ENOSYS: return "ENOSYS";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	default: return "other";
	}
}

int main(void) {
	errno = 0;
	long r = syscall(SYS_io_uring_setup, 1, NULL);
	printf("io_uring_setup: %ld %s\n", r, r == -1 ? errname(errno) : "no error");
	printf("still running\n");
	return 0;
}
