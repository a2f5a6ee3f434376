/*
 * misuse_run.c - runs one misuse program and checks that kzmalloc stopped
 * it the promised way: killed by SIGABRT, with stderr exactly one line,
 * "kzmalloc: <function>(): <what> <address>", where the address is the one
 * the program announced on stdout.
 *
 *   misuse_run FUNCTION WHAT PROGRAM [ARGS...]
 *
 * With --segv instead of FUNCTION WHAT, the program must be killed by
 * SIGSEGV, at once and in silence (the MMU's fault, not a check's line:
 * nothing on stderr), after it announced on stdout the address it touches
 * (KZMALLOC_CHECK=guard: a write past a block; zero-size: a touch of what
 * malloc(0) returned).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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
	char out[256], err[4096], want[512];
	int out_pipe[2], err_pipe[2], status, sig = SIGABRT;
	char **prog = argv + 3;
	pid_t pid;

	if (argc >= 3 && !strcmp(argv[1], "--segv")) {
		sig = SIGSEGV;
		prog = argv + 2;
	} else if (argc < 4) {
		fprintf(stderr, "usage: %s FUNCTION WHAT PROGRAM [ARGS...]\n", argv[0]);
		fprintf(stderr, "       %s --segv PROGRAM [ARGS...]\n", argv[0]);
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
		signal(sig, SIG_DFL);
		execv(prog[0], prog);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	read_all(out_pipe[0], out, sizeof(out));
	read_all(err_pipe[0], err, sizeof(err));
	waitpid(pid, &status, 0);
	out[strcspn(out, "\n")] = '\0';
	printf("stdout: %s\nstderr: %s", out, err);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig) {
		printf("FAIL: %s was not killed by %s (status %#x)\n", prog[0], strsignal(sig),
		       status);
		return 1;
	}
	if (sig == SIGSEGV) {
		if (!out[0] || strstr(out, "(nil)") || err[0]) {
			printf("FAIL: expected an address on stdout, nothing on stderr\n");
			return 1;
		}
		printf("ok: SIGSEGV at once\n");
		return 0;
	}
	snprintf(want, sizeof(want), "kzmalloc: %s(): %s %s\n", argv[1], argv[2], out);
	if (strcmp(err, want)) {
		printf("FAIL: expected exactly: %s", want);
		return 1;
	}
	printf("ok: SIGABRT with the expected line\n");
	return 0;
}
