/*
 * stats.h - the report's start and end (KZMALLOC_STATS): where it goes, when it is printed. The
 * report itself is kz_stats_print (kzmalloc.h), which malloc_stats() prints too.
 */
#ifndef KZ_STATS_H
#define KZ_STATS_H

/*
 * Start-up, after options_init: the clock the run time counts from, and with KZMALLOC_STATS the
 * report's way out (a copy of stderr, or the directory a relative FILE is resolved against).
 */
void stats_init(void);

/* Exit: print the report, if KZMALLOC_STATS asks for it, to stderr's copy or to FILE. */
void stats_exit(void);

/* In a forked child: its run time and its counters start now (vmstat_fork_child). */
void stats_fork_child(void);

#endif /* KZ_STATS_H */
