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

/*
 * The checks beyond the ones always on (KZMALLOC_CHECK, a comma list of their words, added to the
 * defaults; "none" drops the defaults, "all" is every one). Always on: a freed object's first
 * word is checked when it is handed out again, and every misuse on the free side is caught. On
 * by default: those that cost nothing measurable (bench/RESULTS.md prices each), KZ_CHECK_DEFAULT.
 */
enum kz_check_flags {
	KZ_CHECK_FULL = 1 << 0,	  /* "full": every byte of a reused object reads zero (INIT=free) */
	KZ_CHECK_CANARY = 1 << 1, /* "canary": bytes past the request, checked by free */
	KZ_CHECK_GUARD = 1 << 2,  /* "guard": a no-access page after every large and huge block */
	KZ_CHECK_ZERO_SIZE = 1 << 3,  /* "zero-size": malloc(0) points into a no-access region */
	KZ_CHECK_QUARANTINE = 1 << 4, /* "quarantine": freed memory waits before reuse, checked */
	KZ_CHECK_PROTECT = 1 << 5,    /* "protect": freed large and huge blocks are no-access */
	KZ_CHECK_ALL = (1 << 6) - 1,
	/* zero-size: no instruction on any other path, nothing on real programs (RESULTS.md) */
	KZ_CHECK_DEFAULT = KZ_CHECK_ZERO_SIZE,
};

struct kz_options {
	enum kz_init_mode init;	 /* KZMALLOC_INIT: free, alloc or none */
	bool stats;		 /* KZMALLOC_STATS: count, and print the report at exit */
	uint32_t purge_delay_ms; /* KZMALLOC_PURGE_DELAY: how long free pages stay before purge */
	bool purge_thread;	 /* KZMALLOC_PURGE_THREAD: purge in the background when idle */
	unsigned check;		 /* KZMALLOC_CHECK: enum kz_check_flags */
};

extern KZ_HIDDEN struct kz_options kz_opt;

/*
 * KZMALLOC_STATS=FILE: where the report goes instead of stderr, "" for stderr; a name with a '/'
 * or a '%' (%p the PID, %n the program's name, %% a '%'), at most KZ_STATS_FILE_MAX - 1 bytes.
 */
#define KZ_STATS_FILE_MAX 1024
extern KZ_HIDDEN char kz_stats_file[KZ_STATS_FILE_MAX];

/* Scan environ (no getenv, no allocation); warn once per bad setting. */
void options_init(void);

#endif /* KZ_OPTIONS_H */
