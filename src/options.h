/*
 * options.h - settings read once from KZMALLOC_* environment variables.
 */
#ifndef KZ_OPTIONS_H
#define KZ_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* When objects are cleared (KZMALLOC_INIT). */
enum kz_init_mode {
	KZ_INIT_FREE,  /* at free: freed memory holds no old data; malloc returns zeroes */
	KZ_INIT_ALLOC, /* at allocation: malloc returns zeroes */
	KZ_INIT_NONE,  /* only pages from the pool are zero; calloc still clears */
};

/* How much a freed object's zero is checked when it is handed out again (KZMALLOC_CHECK). */
enum kz_check_mode {
	KZ_CHECK_DEFAULT, /* its first word: the write after free that hits a next or count field */
	KZ_CHECK_FULL,	  /* every byte */
};

struct kz_options {
	enum kz_init_mode init;	  /* KZMALLOC_INIT: free, alloc or none */
	bool stats;		  /* KZMALLOC_STATS: print the report at exit */
	uint32_t purge_delay_ms;  /* KZMALLOC_PURGE_DELAY: how long free pages stay before purge */
	bool purge_thread;	  /* KZMALLOC_PURGE_THREAD: purge in the background when idle */
	enum kz_check_mode check; /* KZMALLOC_CHECK: default or full */
};

extern KZ_HIDDEN struct kz_options kz_opt;

/* Scan environ (no getenv, no allocation); warn once per bad setting. */
void options_init(void);

#endif /* KZ_OPTIONS_H */
