// execve: a program that execs itself (by the absolute path it was started with) in a
// forked child, checks that argv, envp, close-on-exec and the exit status come through, and
// checks execve's errnos.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case ENOTDIR: return "ENOTDIR";
	case EFAULT: return "EFAULT";
	default: return "other";
	}
}

static void try_exec(const char *what, const char *path) {
	char *argv[] = {(char *)path, NULL};
	char *envp[] = {NULL};
	execve(path, argv, envp);
	printf("execve(%s): %s\n", what, errname(errno));
	fflush(stdout);
}

int main(int argc, char **argv, char **envp) {
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		printf("child: argc=%d", argc);
		for (int i = 1; i < argc; i++)
			printf(" [%s]", argv[i]);
		printf(" env=%s", getenv("EXEC_TEST") ? getenv("EXEC_TEST") : "(unset)");
		// fd 5 was close-on-exec in the parent, fd 6 was not.
		printf(" fd5=%s fd6=%s\n", fcntl(5, F_GETFD) == -1 ? "closed" : "open",
		       fcntl(6, F_GETFD) == -1 ? "closed" : "open");
		return 7;
	}
	fflush(stdout);
	int p[2];
	pipe(p);
	dup2(p[0], 5);
	dup2(p[1], 6);
	fcntl(5, F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0) {
		char *cargv[] = {argv[0], "child", "a b", "", NULL};
		char *cenvp[] = {"EXEC_TEST=yes", NULL};
		execve(argv[0], cargv, cenvp);
		_exit(99);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	char dir[] = "/tmp/execve-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char text[64], noexec[64];
	snprintf(text, sizeof text, "%s/text", dir);
	snprintf(noexec, sizeof noexec, "%s/noexec", dir);
	int fd = open(text, O_CREAT | O_WRONLY, 0755);
	write(fd, "just text\n", 10);
	close(fd);
	fd = open(noexec, O_CREAT | O_WRONLY, 0644);
	close(fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		try_exec("missing", "/nonexistent/program");
		try_exec("directory", "/tmp");
		try_exec("not executable", noexec);
		try_exec("text file", text);
		try_exec("through a file", "/proc/../tmp/../nonexistent");
		_exit(0);
	}
	waitpid(pid, &status, 0);
	unlink(text);
	unlink(noexec);
	rmdir(dir);
	return 0;
}
