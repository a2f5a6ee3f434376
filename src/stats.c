/*
 * stats.c - the statistics report, in the formats people already read:
 * a /proc/slabinfo table (one row per kmalloc cache in use), a
 * /proc/buddyinfo line of free blocks per order, then the pool's pages, and
 * with KZMALLOC_CHECK=zero-size the no-access regions (address space only,
 * never counted as heap) and the zero-size pointers live in them.
 *
 * Formatted into a stack buffer with snprintf (no allocation) and written
 * with write(2). No locks of its own: each number comes from its owner.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "fatal.h"
#include "kzmalloc.h"
#include "meta.h"
#include "options.h"
#include "slab.h"
#include "zero_size.h"

struct report {
	char buf[8192];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void report_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t) n;
	if (r->len > sizeof(r->buf) - 1)
		r->len = sizeof(r->buf) - 1;
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
	static struct report r; /* too big for a small thread stack; the report is rare */
	struct kz_pool_stats st;

	r.len = 0;
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
	kz_get_pool_stats(&st);
	report_add(&r, "kzmalloc buddyinfo: pool ");
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++)
		report_add(&r, " %6zu", st.free_blocks[order]);
	report_add(
		&r,
		"\nkzmalloc pool: chunks %zu, pages mapped %zu, in use %zu (slab %zu, large %zu), "
		"free %zu (resident %zu, dirty %zu), zeroed %zu, purged %zu, chunks unmapped "
		"%zu, huge mappings %zu (%zu KiB), metadata %zu KiB\n",
		st.chunks, st.pages_mapped, st.pages_in_use, st.pages_slab, st.pages_large,
		st.pages_mapped - st.pages_in_use, st.pages_resident, st.pages_dirty,
		st.pages_zeroed, st.pages_purged, st.chunks_unmapped, st.huge_mappings,
		st.huge_bytes >> 10, meta_mapped() >> 10);
	if (kz_opt.check & KZ_CHECK_ZERO_SIZE) {
		size_t regions, live;

		zero_size_stats(&regions, &live);
		report_add(&r, "kzmalloc zero-size: regions %zu (%zu KiB no access), live %zu\n",
			   regions, regions * (KZ_CHUNK_SIZE >> 10), live);
	}
	kz_write_all(fd, r.buf, r.len);
}
