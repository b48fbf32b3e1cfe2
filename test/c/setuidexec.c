// setuidexec: execve ignores set-user-ID and set-group-ID bits in the sandbox. Run as root, it
// copies itself to a set-user-ID root file, drops to uid/gid 1000 in a child and execs the
// copy, which reports its ids. Natively the copy would run with euid 0 (unless /tmp is nosuid).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1) {
		print_ids("after exec");
		return 0;
	}
	if (getuid() != 0) {
		printf("not root\n");
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/tmp/setuidexec-%d", getpid());
	int in = open("/proc/self/exe", O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	struct stat st;
	fstat(in, &st);
	sendfile(out, in, NULL, st.st_size);
	close(in);
	close(out);
	chmod(path, 06755);
	stat(path, &st);
	printf("mode %o\n", st.st_mode & 07777);
	pid_t c = fork();
	if (c == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
			printf("drop failed\n");
			_exit(1);
		}
		execl(path, path, "child", (char *)NULL);
		printf("exec failed\n");
		_exit(1);
	}
	int ws;
	waitpid(c, &ws, 0);
	unlink(path);
	return 0;
}
