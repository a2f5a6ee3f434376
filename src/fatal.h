/*
 * fatal.h - the reporting leaf: one-line messages on stderr, written with
 * write(2) only (no stdio, no allocation), so it works from any state of
 * the heap.
 */
#ifndef KZ_FATAL_H
#define KZ_FATAL_H

#include <stddef.h>

/* "kzmalloc: <func>(): <what> <addr>", then abort(). */
void kz_fatal(const char *func, const char *what, const void *addr) __attribute__((noreturn, cold));

/* "kzmalloc: warning: <a><b><c>"; any part may be NULL. */
void kz_warn(const char *a, const char *b, const char *c) __attribute__((cold));

/*
 * The OS refused to make a guard page no-access (vm.max_map_count caps the mappings each
 * guard splits): the block is served without one, and the first time, one warning says so.
 */
void kz_warn_guard_refused(void) __attribute__((cold));

/* write(2) until all of @buf is out or the fd fails (EINTR is no failure); errno kept; no stdio. */
void kz_write_all(int fd, const char *buf, size_t len);

#endif /* KZ_FATAL_H */
