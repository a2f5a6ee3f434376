/*
 * segv_run.c - runs one program that must die by SIGSEGV (KZMALLOC_CHECK=zero-size: a read or
 * write through a zero-size pointer), at once and in silence: killed by that signal, nothing on
 * stderr (no kzmalloc line: the fault comes from the MMU, not from a check), after announcing
 * on stdout the address it touches (not NULL).
 *
 *   segv_run PROGRAM [ARGS...]
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t) n;
	buf[len] = '\0';
	return len;
}

int main(int argc, char **argv)
{
	char out[256], err[4096];
	int out_pipe[2], err_pipe[2], status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	if (pipe(out_pipe) || pipe(err_pipe))
		return 2;
	pid = fork();
	if (pid == 0) {
		dup2(out_pipe[1], STDOUT_FILENO);
		dup2(err_pipe[1], STDERR_FILENO);
		close(out_pipe[0]);
		close(err_pipe[0]);
		signal(SIGSEGV, SIG_DFL);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	read_all(out_pipe[0], out, sizeof(out));
	read_all(err_pipe[0], err, sizeof(err));
	waitpid(pid, &status, 0);
	out[strcspn(out, "\n")] = '\0';

	printf("touched: %s\nstderr: %s\n", out, err);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV) {
		printf("FAIL: %s was not killed by SIGSEGV (status %#x)\n", argv[1], status);
		return 1;
	}
	if (!out[0] || !strcmp(out, "(nil)")) {
		printf("FAIL: no address announced (malloc(0) returned NULL?)\n");
		return 1;
	}
	if (err[0]) {
		printf("FAIL: expected nothing on stderr\n");
		return 1;
	}
	printf("ok: SIGSEGV at once\n");
	return 0;
}
