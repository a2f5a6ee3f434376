/*
 * stats.c - the statistics report, in the formats people already read:
 * a /proc/buddyinfo line of free blocks per order, then the pool's pages.
 *
 * Formatted into a stack buffer with snprintf (no allocation) and written
 * with write(2). No locks of its own: the numbers come from one snapshot.
 */
#include <stdio.h>
#include <unistd.h>

#include "kzmalloc.h"
#include "meta.h"

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t) n;
	}
}

void kz_stats_print(int fd)
{
	struct kz_pool_stats st;
	char buf[1024];
	size_t len = 0;

	kz_pool_stats(&st);
	len += (size_t) snprintf(buf + len, sizeof(buf) - len, "kzmalloc buddyinfo: pool ");
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++)
		len += (size_t) snprintf(buf + len, sizeof(buf) - len, " %6zu",
					 st.free_blocks[order]);
	len += (size_t) snprintf(
		buf + len, sizeof(buf) - len,
		"\nkzmalloc pool: chunks %zu, huge mappings %zu, pages mapped %zu, "
		"in use %zu, free %zu (resident %zu, dirty %zu), zeroed %zu, "
		"purged %zu, chunks unmapped %zu, metadata %zu KiB\n",
		st.chunks, st.huge_mappings, st.pages_mapped, st.pages_in_use,
		st.pages_mapped - st.pages_in_use, st.pages_resident, st.pages_dirty,
		st.pages_zeroed, st.pages_purged, st.chunks_unmapped, meta_mapped() >> 10);
	write_all(fd, buf, len < sizeof(buf) ? len : sizeof(buf) - 1);
}
