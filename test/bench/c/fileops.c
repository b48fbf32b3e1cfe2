// fileops MODE N PATH: times N operations on PATH and prints "ns/op=X" (the clock is read
// only outside the loop).
//   open  open(PATH, O_RDONLY) + fstat + close
//   stat  stat(PATH)
//   read  N sequential reads of the whole file with a 1 MiB buffer (ns/op per pass)
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv) {
	if (argc != 4)
		return 2;
	long n = atol(argv[2]);
	const char *path = argv[3];
	struct stat st;
	struct timespec a, b;
	if (stat(path, &st) != 0) // warm: a cold first lookup is not what is measured
		return 3;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		if (strcmp(argv[1], "open") == 0) {
			int fd = open(path, O_RDONLY);
			if (fd < 0 || fstat(fd, &st) != 0)
				return 4;
			close(fd);
		} else if (strcmp(argv[1], "stat") == 0) {
			if (stat(path, &st) != 0)
				return 4;
		} else if (strcmp(argv[1], "read") == 0) {
			int fd = open(path, O_RDONLY);
			ssize_t r;
			long total = 0;
			while ((r = read(fd, buf, sizeof buf)) > 0)
				total += r;
			close(fd);
			if (total != st.st_size)
				return 5;
		} else {
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("ns/op=%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
