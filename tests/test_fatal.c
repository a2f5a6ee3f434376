/*
 * test_fatal.c - the fatal line gets out whole though a signal interrupts
 * its write(2): a child writes into a full pipe, so the write blocks; a
 * signal whose handler was installed without SA_RESTART makes it return
 * EINTR (or, once some bytes are in, short), and only then does the parent
 * drain the pipe. The handler acknowledges on a second pipe, so every step
 * is ordered and nothing depends on timing:
 *
 *   - kz_fatal's line, interrupted before a byte of it is written;
 *   - kz_write_all of a buffer larger than PIPE_BUF, interrupted once with
 *     nothing written and once after a page of it (a short write).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fatal.h"
#include "kztest.h"

enum { WAIT_MS = 20000 };

static int ack_fd = -1; /* the child's end of the acknowledgement pipe */

static void on_signal(int sig)
{
	char c = 's';

	(void) sig;
	if (write(ack_fd, &c, 1) != 1)
		_exit(90);
}

struct child {
	pid_t pid;
	int out;      /* read end of the pipe the child writes into */
	int ack;      /* read end of the acknowledgement pipe */
	size_t depth; /* bytes of filler that made the pipe full */
};

/* Fill @fd (a pipe's write end) until a write would block; the bytes written, all 'f'. */
static size_t pipe_fill(int fd)
{
	static const char filler[4096] = {[0 ... 4095] = 'f'};
	int flags = fcntl(fd, F_GETFL);
	size_t total = 0;
	ssize_t n;

	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	while ((n = write(fd, filler, sizeof(filler))) > 0)
		total += (size_t) n;
	while ((n = write(fd, filler, 1)) > 0)
		total += (size_t) n;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fcntl(fd, F_SETFL, flags), 0);
	return total;
}

/* Start @body in a child whose @fd is a full pipe, with SIGUSR1 handled without SA_RESTART. */
static struct child child_start(int fd, void (*body)(void))
{
	int out[2], ack[2];
	struct child c;
	char ready;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(ack), 0);
	c.depth = pipe_fill(out[1]);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		struct sigaction sa = {.sa_handler = on_signal}; /* sa_flags 0: no SA_RESTART */

		signal(SIGABRT, SIG_DFL);
		close(out[0]);
		close(ack[0]);
		ack_fd = ack[1];
		if (sigaction(SIGUSR1, &sa, NULL) != 0 || dup2(out[1], fd) != fd)
			_exit(91);
		if (write(ack_fd, "r", 1) != 1)
			_exit(92);
		body();
		_exit(0);
	}
	close(out[1]);
	close(ack[1]);
	c.out = out[0];
	c.ack = ack[0];
	assert_int_equal(read(c.ack, &ready, 1), 1);
	assert_int_equal(ready, 'r');
	return c;
}

/* The state letter of /proc/<pid>/stat ('S': asleep, here in the blocked write); 0 if gone. */
static char proc_state(pid_t pid)
{
	char path[64], line[512], *paren;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	paren = strrchr(line, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* Wait until the child sleeps in its write with the pipe full again; false if it did not. */
static bool child_blocked(const struct child *c)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		int queued = 0;
		char state = proc_state(c->pid);

		if (state == 0 || state == 'Z' || state == 'X')
			return false;
		if (ioctl(c->out, FIONREAD, &queued) == 0 && (size_t) queued == c->depth &&
		    state == 'S')
			return true;
		usleep(1000);
	}
	return false;
}

/* Interrupt the child's blocked write; returns once its handler has run. */
static void child_interrupt(const struct child *c)
{
	char ack = 0;

	assert_true(child_blocked(c));
	assert_int_equal(kill(c->pid, SIGUSR1), 0);
	assert_int_equal(read(c->ack, &ack, 1), 1);
	assert_int_equal(ack, 's');
}

/* Read @len bytes (fewer at end of file) of the child's output into @buf; the count. */
static size_t child_read(const struct child *c, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(c->out, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t) n;
	}
	return got;
}

/* Drain the filler, then return the rest of the child's output (up to @len) and reap it. */
static size_t child_finish(struct child *c, char *buf, size_t len, int *status)
{
	char *filler = malloc(c->depth);
	size_t got;

	assert_non_null(filler);
	assert_int_equal(child_read(c, filler, c->depth), c->depth);
	free(filler);
	got = child_read(c, buf, len);
	assert_int_equal(waitpid(c->pid, status, 0), c->pid);
	close(c->out);
	close(c->ack);
	return got;
}

static void fatal_body(void)
{
	kz_fatal("free", "pointer not from kzmalloc", (void *) 0x1234);
}

static void fatal_line_survives_a_signal(void **state)
{
	static const char want[] = "kzmalloc: free(): pointer not from kzmalloc 0x1234\n";
	struct child c = child_start(STDERR_FILENO, fatal_body);
	char got[512];
	size_t n;
	int status;

	(void) state;
	child_interrupt(&c);
	n = child_finish(&c, got, sizeof(got) - 1, &status);
	got[n] = '\0';
	print_message("after the filler: \"%s\"\n", got);
	assert_string_equal(got, want);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

enum { LONG_LEN = 3 * 4096 + 123 };

static char long_buf[LONG_LEN];

static void long_fill(void)
{
	for (size_t i = 0; i < LONG_LEN; i++)
		long_buf[i] = (char) ('a' + i % 23);
}

static void long_body(void)
{
	kz_write_all(STDOUT_FILENO, long_buf, LONG_LEN);
}

static void write_all_after_eintr_and_short_write(void **state)
{
	static char got[2 * LONG_LEN], head[4096];
	struct child c;
	size_t n;
	int status;

	(void) state;
	long_fill();
	c = child_start(STDOUT_FILENO, long_body);
	/* Nothing written yet: EINTR. */
	child_interrupt(&c);
	/* A page of room: the write takes it and blocks again; the signal makes it short. */
	assert_int_equal(child_read(&c, head, sizeof(head)), sizeof(head));
	assert_int_equal(head[0], 'f');
	child_interrupt(&c); /* the pipe is as full as before, its last page the child's */
	c.depth -= sizeof(head);
	n = child_finish(&c, got, sizeof(got), &status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, LONG_LEN);
	assert_memory_equal(got, long_buf, LONG_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fatal_line_survives_a_signal),
		cmocka_unit_test(write_all_after_eintr_and_short_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
