/*
 * misuse.h - what every misuse program shares: it tells the runner, on
 * stdout, the address it is about to misuse, then commits the misuse,
 * which must abort with "kzmalloc: <function>(): <what> <address>".
 */
#ifndef KZ_MISUSE_H
#define KZ_MISUSE_H

#include <stdio.h>
#include <stdlib.h>

#include "kzmalloc.h"

/* Where results go, so that no call is dropped as unused. */
static void *volatile sink __attribute__((unused));
static volatile size_t sink_size __attribute__((unused));

static inline void *misuse_announce(void *addr)
{
	printf("%p\n", addr);
	fflush(stdout);
	return addr;
}

/* Reached only if kzmalloc let the misuse pass. */
static inline int misuse_survived(void)
{
	fputs("misuse went undetected\n", stderr);
	return 3;
}

/* The C library in use has no such function (glibc 2.36 and free_sized). */
static inline int misuse_unavailable(const char *func)
{
	fprintf(stderr, "%s: not in this C library\n", func);
	return 4;
}

#endif /* KZ_MISUSE_H */
