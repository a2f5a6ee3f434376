/*
 * rel.h - what the reliability programs share: a check that names the
 * program and the failed condition and exits 1, and a time limit, so a
 * hang fails the test instead of stalling the suite. Each program is a
 * plain C program that uses the libc names; ctest runs it with
 * libkzmalloc.so preloaded (tests/reliability/reliability.cmake).
 */
#ifndef REL_H
#define REL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define rel_check(cond)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static void rel_timeout(int sig)
{
	static const char msg[] = "time limit reached: a hang\n";

	(void) sig;
	(void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(2);
}

/* Fail with exit status 2 after @seconds, in this process and (inherited) in a forked child. */
static inline void rel_time_limit(unsigned seconds)
{
	signal(SIGALRM, rel_timeout);
	alarm(seconds);
}

/* A byte pattern that names object @i: written when it is made, checked before it is freed. */
static inline void rel_fill(unsigned char *p, size_t size, size_t i)
{
	for (size_t k = 0; k < size; k++)
		p[k] = (unsigned char) (i * 131 + k * 7 + 1);
}

static inline int rel_intact(const unsigned char *p, size_t size, size_t i)
{
	for (size_t k = 0; k < size; k++)
		if (p[k] != (unsigned char) (i * 131 + k * 7 + 1))
			return 0;
	return 1;
}

#endif /* REL_H */
