/*
 * malloc_info.c - glibc's extras with kzmalloc's own numbers: mallinfo,
 * mallinfo2, malloc_stats, malloc_info, malloc_trim, mallopt.
 *
 * Each reads one snapshot of the pool's and the caches' counters (their
 * own locks, one at a time) and formats it; nothing is held while
 * printing, so stdio may allocate.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "init.h"
#include "kzmalloc.h"
#include "purge.h"
#include "quarantine.h"
#include "slab.h"
#include "tcache.h"

/*
 * Bytes held in class objects (by the program or its thread caches) and free in slabs or, under
 * memcheck, waiting in the quarantine.
 */
static void slab_bytes(size_t *active, size_t *free_in_slabs)
{
	*active = *free_in_slabs = 0;
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct slab_info info;
		size_t held = quarantine_held(cls);

		slab_info(cls, &info);
		*active += (info.active_objs - held) * kz_class_size[cls];
		*free_in_slabs += (info.num_objs - info.active_objs + held) * kz_class_size[cls];
	}
}

/*
 * arena: everything mapped for the heap (chunks, huge mappings). In use: class objects, page runs
 * and the huge mappings the program holds (hblks, hblkhd); a freed huge mapping kept for reuse is
 * free memory like a free block of the pool (ordblks, fordblks). keepcost: what malloc_trim gives
 * back at once, the pool's free resident pages and the cached mappings.
 */
struct mallinfo2 kz_mallinfo2(void)
{
	struct mallinfo2 mi = {0};
	struct kz_pool_stats st;
	size_t active, slab_free, huge_in_use;

	kz_get_pool_stats(&st);
	slab_bytes(&active, &slab_free);
	huge_in_use = st.huge_bytes - st.huge_cached_bytes;
	for (unsigned order = 0; order <= KZ_MAX_ORDER; order++)
		mi.ordblks += st.free_blocks[order];
	mi.ordblks += st.huge_cached;
	mi.arena = st.pages_mapped * KZ_PAGE_SIZE + st.huge_bytes;
	mi.hblks = st.huge_mappings - st.huge_cached;
	mi.hblkhd = huge_in_use;
	mi.uordblks = active + st.pages_large * KZ_PAGE_SIZE + huge_in_use;
	mi.fordblks = mi.arena - mi.uordblks;
	mi.fsmblks = slab_free;
	mi.keepcost = st.pages_resident * KZ_PAGE_SIZE + st.huge_cached_bytes;
	return mi;
}

struct mallinfo kz_mallinfo(void)
{
	struct mallinfo2 mi2 = kz_mallinfo2();
	struct mallinfo mi = {0};

#define CLAMP(x) ((x) > INT_MAX ? INT_MAX : (int) (x))
	mi.arena = CLAMP(mi2.arena);
	mi.ordblks = CLAMP(mi2.ordblks);
	mi.hblks = CLAMP(mi2.hblks);
	mi.hblkhd = CLAMP(mi2.hblkhd);
	mi.uordblks = CLAMP(mi2.uordblks);
	mi.fordblks = CLAMP(mi2.fordblks);
	mi.fsmblks = CLAMP(mi2.fsmblks);
	mi.keepcost = CLAMP(mi2.keepcost);
#undef CLAMP
	return mi;
}

int kz_malloc_trim(size_t pad)
{
	(void) pad;
	kz_init();
	quarantine_drain();
	tcache_flush_all();
	slab_shrink();
	return purge_all() > 0;
}

void kz_malloc_stats(void)
{
	kz_stats_print(STDERR_FILENO);
}

/* glibc's XML shape: one heap, a size element per class in use, totals. */
int kz_malloc_info(int options, FILE *stream)
{
	struct mallinfo2 mi = kz_mallinfo2();

	if (options != 0)
		return EINVAL;
	fputs("<malloc version=\"kzmalloc-1\">\n<heap nr=\"0\">\n<sizes>\n", stream);
	for (unsigned cls = 0; cls < KZ_NR_CLASSES; cls++) {
		struct slab_info info;

		slab_info(cls, &info);
		if (info.num_objs)
			fprintf(stream,
				"  <size from=\"%u\" to=\"%u\" total=\"%zu\" count=\"%zu\"/>\n",
				cls ? kz_class_size[cls - 1] + 1 : 1, kz_class_size[cls],
				(info.num_objs - info.active_objs) * kz_class_size[cls],
				info.num_objs - info.active_objs);
	}
	fprintf(stream,
		"</sizes>\n<total type=\"fast\" count=\"0\" size=\"%zu\"/>\n"
		"<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
		"<system type=\"current\" size=\"%zu\"/>\n<system type=\"max\" size=\"%zu\"/>\n"
		"<aspace type=\"total\" size=\"%zu\"/>\n<aspace type=\"mprotect\" size=\"%zu\"/>\n"
		"</heap>\n<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n"
		"<system type=\"current\" size=\"%zu\"/>\n</malloc>\n",
		mi.fsmblks, mi.ordblks, mi.fordblks, mi.arena, mi.arena, mi.arena, mi.arena,
		mi.hblks, mi.hblkhd, mi.arena);
	return 0;
}

/* Nothing to tune this way: accepted, as glibc accepts what it ignores. */
int kz_mallopt(int param, int value)
{
	(void) param;
	(void) value;
	return 1;
}
