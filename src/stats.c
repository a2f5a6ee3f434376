/*
 * stats.c - the statistics report, in the formats people already read:
 * a /proc/slabinfo table (one row per kmalloc cache in use), a
 * /proc/buddyinfo line of free blocks per order, then the pool's pages, and
 * with KZMALLOC_CHECK=zero-size the no-access regions (address space only,
 * never counted as heap) and the zero-size pointers live in them.
 *
 * Formatted with snprintf (no allocation) into a buffer on the caller's
 * stack, one per call, and written with write(2) whenever it fills, in
 * whole lines, each write at most PIPE_BUF bytes (atomic on a pipe): two
 * threads reporting at once may alternate runs of lines, as glibc's
 * malloc_stats does, but never share a buffer or split a line. No locks of
 * its own: each number comes from its owner, read directly (not through
 * kz_get_pool_stats, which starts the library: the report is printed by
 * init.c's destructor, and the layers it calls never call up into it).
 */
#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buddy.h"
#include "fatal.h"
#include "huge.h"
#include "kzmalloc.h"
#include "meta.h"
#include "options.h"
#include "slab.h"
#include "zero_size.h"

/* Small enough for any thread's stack; whole lines of it go out at once, at most PIPE_BUF bytes. */
struct report {
	int fd;
	size_t len;	 /* bytes in buf */
	size_t line_end; /* bytes of buf up to its last newline: what a flush writes */
	char buf[2048];
};

static_assert(sizeof(((struct report *) 0)->buf) <= PIPE_BUF, "a flush is one atomic write");

/* Write the whole lines, keep the unfinished one. */
static void report_flush(struct report *r)
{
	kz_write_all(r->fd, r->buf, r->line_end);
	memmove(r->buf, r->buf + r->line_end, r->len - r->line_end);
	r->len -= r->line_end;
	r->line_end = 0;
}

__attribute__((format(printf, 2, 3))) static void report_add(struct report *r, const char *fmt, ...)
{
	char piece[1024];
	const char *nl;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t) n >= sizeof(piece))
		n = sizeof(piece) - 1;
	if (r->len + (size_t) n > sizeof(r->buf))
		report_flush(r);
	if (r->len + (size_t) n > sizeof(r->buf)) /* a line longer than the buffer: cut */
		n = (int) (sizeof(r->buf) - r->len);
	memcpy(r->buf + r->len, piece, (size_t) n);
	nl = memrchr(piece, '\n', (size_t) n);
	r->len += (size_t) n;
	if (nl)
		r->line_end = r->len - (size_t) n + (size_t) (nl - piece) + 1;
}

/* kmalloc-<size>, in KiB when it is a whole number of them, as the kernel names them. */
static void cache_name(char *name, size_t len, unsigned size)
{
	if (size >= 1024 && size % 1024 == 0)
		snprintf(name, len, "kmalloc-%uk", size / 1024);
	else
		snprintf(name, len, "kmalloc-%u", size);
}

void kz_stats_print(int fd)
{
	struct report r = {.fd = fd, .len = 0, .line_end = 0};
	struct kz_pool_stats st;

	report_add(&r, "kzmalloc slabinfo: %-14s %10s %10s %8s %11s %12s\n", "# name",
		   "active_objs", "num_objs", "objsize", "objperslab", "pagesperslab");
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct slab_info info;
		char name[24];

		slab_info(cls, &info);
		if (!info.num_objs)
			continue;
		cache_name(name, sizeof(name), kz_class_size[cls]);
		report_add(&r, "%-14s %10zu %10zu %8u %11u %12u\n", name, info.active_objs,
			   info.num_objs, kz_class_size[cls], info.objs_per_slab,
			   info.pages_per_slab);
	}
	buddy_stats(&st);
	huge_stats(&st);
	report_add(&r, "kzmalloc buddyinfo: pool ");
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++)
		report_add(&r, " %6zu", st.free_blocks[order]);
	report_add(
		&r,
		"\nkzmalloc pool: chunks %zu, pages mapped %zu, in use %zu (slab %zu, large %zu), "
		"free %zu (resident %zu, dirty %zu), zeroed %zu, purged %zu, chunks unmapped "
		"%zu, huge mappings %zu (%zu KiB), of them cached %zu (%zu KiB), metadata %zu "
		"KiB\n",
		st.chunks, st.pages_mapped, st.pages_in_use, st.pages_slab, st.pages_large,
		st.pages_mapped - st.pages_in_use, st.pages_resident, st.pages_dirty,
		st.pages_zeroed, st.pages_purged, st.chunks_unmapped, st.huge_mappings,
		st.huge_bytes >> 10, st.huge_cached, st.huge_cached_bytes >> 10,
		meta_mapped() >> 10);
	if (kz_opt.check & KZ_CHECK_ZERO_SIZE) {
		size_t regions, live;

		zero_size_stats(&regions, &live);
		report_add(&r, "kzmalloc zero-size: regions %zu (%zu KiB no access), live %zu\n",
			   regions, regions * (KZ_CHUNK_SIZE >> 10), live);
	}
	r.line_end = r.len;
	report_flush(&r);
}
