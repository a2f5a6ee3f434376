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

#endif /* KZ_MISUSE_H */
